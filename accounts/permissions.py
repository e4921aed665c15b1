from rest_framework.permissions import BasePermission

from .models import ApiToken, ApiTokenKind


class HasScope(BasePermission):
    """Only a service token holding `scope` gets in. Borrower tokens and sessions never do.

    Used as `permission_classes = [HasScope("credit-events:write")]`: DRF instantiates each
    entry, so an instance hands itself back when called.
    """

    def __init__(self, scope: str):
        self.scope = scope
        self.message = f"This endpoint needs a service token with the scope '{scope}'."

    def __call__(self):
        return self

    def has_permission(self, request, view) -> bool:
        token = request.auth
        return (
            isinstance(token, ApiToken)
            and token.kind == ApiTokenKind.SERVICE
            and self.scope in token.scopes
        )
