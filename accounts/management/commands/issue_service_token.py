from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import ApiScope
from accounts.services import service_token_issue


class Command(BaseCommand):
    help = (
        "Issue an API token for an upstream system and print it once. Only its hash is kept: "
        "if it is lost, issue a new one and revoke the old one in the admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The upstream system, e.g. core")
        parser.add_argument(
            "--scope",
            required=True,
            nargs="+",
            action="extend",
            choices=ApiScope.values,
            dest="scopes",
            help="One or more scopes the token may use.",
        )
        parser.add_argument(
            "--expires-in-days", type=int, default=None, help="Default: does not expire."
        )

    def handle(self, *args, name, scopes, expires_in_days, **options):
        expires_at = None
        if expires_in_days is not None:
            if expires_in_days < 1:
                raise CommandError("--expires-in-days must be at least 1.")
            expires_at = timezone.now() + timedelta(days=expires_in_days)
        try:
            token, raw = service_token_issue(name=name, scopes=scopes, expires_at=expires_at)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stderr.write(
            f"Token {token.prefix}… for {token.name} with {', '.join(token.scopes)}"
            + (f", expires {token.expires_at:%Y-%m-%d %H:%M %Z}" if token.expires_at else "")
            + ". It is shown once; store it in the upstream system's secrets now."
        )
        self.stdout.write(raw)
