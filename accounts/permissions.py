from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from . import consent
from .models import ApiToken, ApiTokenKind


class HasScope(BasePermission):
    """Only a service token holding `scope` gets in. Borrower tokens and sessions never do.

    Used as `permission_classes = [HasScope("credit-events:write")]`: DRF instantiates each
    entry, so an instance hands itself back when called.
    """

    def __init__(self, scope: str):
        self.scope = scope
        self.message = format_lazy(
            _("This endpoint needs a service token with the scope '{scope}'."), scope=scope
        )

    def __call__(self):
        return self

    def has_permission(self, request, view) -> bool:
        token = request.auth
        return (
            isinstance(token, ApiToken)
            and token.kind == ApiTokenKind.SERVICE
            and self.scope in token.scopes
        )


class PoliciesAccepted(BasePermission):
    """A borrower reaches the API only after accepting the version in force of each policy
    document; until then every borrower endpoint but the consent ones answers 403
    `consent_required`, naming the versions to read and accept."""

    code = "consent_required"
    message = _(
        "Read and accept the current policy documents first: GET /api/v1/consents/ lists "
        "them, POST /api/v1/consents/ accepts them."
    )

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated or user.is_staff:
            return True
        # Signed in through the page session: remember there; a bearer token has none.
        session = getattr(request._request, "session", None) if request.auth is None else None
        return not consent.must_accept(user, session)
