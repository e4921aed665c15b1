import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from jobs.services import job_enqueue

from . import tokens
from .models import ApiScope, ApiToken, ApiTokenKind, Language, User

logger = logging.getLogger(__name__)


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    """Remember the language a borrower chose; notifications go out in it."""
    if language not in Language.values:
        raise ValueError(f"Unsupported language: {language!r}")
    if user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
    return user


BORROWER_TOKEN_LIFETIME = timedelta(days=30)
# A token's last-used time is written at most once a minute, not on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


@transaction.atomic
def service_token_issue(
    *, name: str, scopes: Iterable[str], expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Issue a token for an upstream system. The raw secret is returned once and never
    stored; only its hash is. Every scope must be a known one and there must be at least one."""
    name = name.strip()
    scopes = sorted(set(scopes))
    if not name:
        raise ValidationError({"name": "A service token needs the name of its system."})
    unknown = [s for s in scopes if s not in ApiScope.values]
    if unknown or not scopes:
        raise ValidationError(
            {"scopes": f"Scopes must be among {', '.join(ApiScope.values)}; got {unknown or []}."}
        )
    raw = tokens.token_generate(service=True)
    token = ApiToken.objects.create(
        kind=ApiTokenKind.SERVICE,
        name=name,
        scopes=scopes,
        prefix=tokens.token_prefix(raw),
        key_hash=tokens.token_hash(raw),
        expires_at=expires_at,
    )
    logger.info(
        "api_token.issued",
        extra={"token_id": token.pk, "kind": token.kind, "token_name": name, "scopes": scopes},
    )
    return token, raw


@transaction.atomic
def borrower_token_issue(
    *, user: User, lifetime: timedelta | None = BORROWER_TOKEN_LIFETIME
) -> tuple[ApiToken, str]:
    """Issue a token that acts as this borrower, expiring after `lifetime` (None: never).
    Staff never get one: they work in the admin, with its own sign-in."""
    if user.is_staff or not user.is_active:
        raise PermissionDenied("API tokens are for active borrowers only.")
    raw = tokens.token_generate(service=False)
    token = ApiToken.objects.create(
        kind=ApiTokenKind.BORROWER,
        name="borrower API token",
        user=user,
        prefix=tokens.token_prefix(raw),
        key_hash=tokens.token_hash(raw),
        expires_at=timezone.now() + lifetime if lifetime else None,
    )
    logger.info(
        "api_token.issued", extra={"token_id": token.pk, "kind": token.kind, "user_id": user.pk}
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User | None) -> ApiToken:
    """Revoke a token for good. Revoking twice keeps the first time and actor."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
        logger.info(
            "api_token.revoked",
            extra={"token_id": token.pk, "actor_id": actor.pk if actor else None},
        )
    return token


def api_token_record_use(*, token: ApiToken, now: datetime | None = None) -> None:
    """Remember when a token was last used, to the minute (one UPDATE at most a minute)."""
    now = now or timezone.now()
    if token.last_used_at and now - token.last_used_at < LAST_USED_PRECISION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


@transaction.atomic
def borrower_upsert(
    *,
    customer_id: str,
    full_name: str,
    email: str,
    phone: str | None,
    language: str,
    time_zone: str,
) -> tuple[User, bool]:
    """Create or update the borrower the lender knows as `customer_id`.

    An email address or phone number already held by another account is refused (a
    `ValidationError` naming the field); a customer ID held by staff is refused. A new
    borrower has no usable password and is sent a "set your password" email after commit.
    """
    email = User.objects.normalize_email(email).strip().lower()
    user = User.objects.select_for_update().filter(customer_id=customer_id).first()
    if user is not None and user.is_staff:
        raise ValidationError({"customer_id": "This customer ID belongs to a staff account."})
    others = User.objects.exclude(pk=user.pk) if user else User.objects.all()
    if others.filter(email__iexact=email).exists():
        raise ValidationError({"email": "This email address is already used by another account."})
    if phone and others.filter(phone=phone).exists():
        raise ValidationError({"phone": "This phone number is already used by another account."})
    wanted = {
        "full_name": full_name,
        "email": email,
        "phone": phone or None,
        "preferred_language": language,
        "time_zone": time_zone,
    }
    if user is None:
        user = User(customer_id=customer_id, **wanted)
        user.set_unusable_password()
        user.save()
        job_enqueue(task="accounts.send_set_password_email", args=[user.pk])
        logger.info("borrower.created", extra={"user_id": user.pk, "customer_id": customer_id})
        return user, True
    changed = [name for name, value in wanted.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, wanted[name])
    if changed:
        user.save(update_fields=changed)
    return user, False


def set_password_email_send(*, user_id: int) -> bool:
    """Email a new borrower a link to choose a password, in their language. Sends nothing
    once they have a password (a retried or repeated task is harmless)."""
    user = User.objects.filter(pk=user_id, is_active=True, is_staff=False).first()
    if user is None or user.has_usable_password():
        return False
    context = {
        "user": user,
        "site_url": settings.SITE_URL,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }
    with translation.override(user.preferred_language):
        subject = render_to_string("accounts/emails/set_password_subject.txt", context)
        body = render_to_string("accounts/emails/set_password.txt", context)
        html = render_to_string("accounts/emails/set_password.html", context)
    message = EmailMultiAlternatives(" ".join(subject.split()), body, to=[user.email])
    message.attach_alternative(html, "text/html")
    message.send()
    logger.info("borrower.set_password_email_sent", extra={"user_id": user.pk})
    return True
