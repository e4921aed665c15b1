"""`Authorization: Bearer <token>` for the API.

A borrower token authenticates as its borrower. A service token authenticates as a
`ServicePrincipal`: an anonymous user (is_authenticated is False) that carries the token.
So every endpoint guarded by `IsAuthenticated` or a borrower check refuses service tokens
by default; only views that ask for a scope (`accounts.permissions.HasScope`) let them in.
"""

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from . import tokens
from .models import ApiToken, ApiTokenKind
from .services import api_token_record_use

KEYWORD = b"bearer"
CHALLENGE = 'Bearer realm="api"'


class TokenRejected(exceptions.AuthenticationFailed):
    """A bad token is always 401 with a Bearer challenge.

    DRF answers 403 instead when the view's first authenticator has no challenge (session
    authentication comes first in the default list); a bearer client must still be told
    that its token, not its permissions, is the problem.
    """

    default_code = "invalid_token"
    auth_header = CHALLENGE

    @property
    def status_code(self) -> int:
        return 401

    @status_code.setter
    def status_code(self, value: int) -> None:
        pass  # see the class docstring


class ServicePrincipal(AnonymousUser):
    """The caller behind a service token: an upstream system, never a borrower."""

    def __init__(self, token: ApiToken):
        self.token = token

    def __str__(self) -> str:
        return f"service:{self.token.name}"


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD:
            return None  # not ours: let the next authenticator (session) try
        if len(header) != 2:
            raise TokenRejected(
                _("Malformed Authorization header: expected 'Bearer <token>' with one token.")
            )
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise TokenRejected(_("Malformed token: it must be ASCII.")) from None
        if not tokens.token_looks_valid(raw):
            raise TokenRejected(_("Malformed token: this is not a Recourse API token."))
        token = (
            ApiToken.objects.select_related("user").filter(key_hash=tokens.token_hash(raw)).first()
        )
        if token is None:
            raise TokenRejected(_("Unknown token."))
        if token.is_revoked:
            raise TokenRejected(_("This token was revoked. Ask for a new one."))
        now = timezone.now()
        if token.is_expired(now):
            raise TokenRejected(_("This token has expired. Ask for a new one."))
        if token.kind == ApiTokenKind.BORROWER:
            if not token.user.is_active:
                raise TokenRejected(_("The account of this token is not active."))
            principal = token.user
        else:
            principal = ServicePrincipal(token)
        api_token_record_use(token=token, now=now)
        return principal, token

    def authenticate_header(self, request) -> str:
        return CHALLENGE


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Documents the scheme in /api/schema/ (drf-spectacular finds it by target class)."""

    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A service token from `manage.py issue_service_token` (ingestion endpoints, "
                "by scope) or a borrower token from POST /api/v1/auth/token/."
            ),
        }
