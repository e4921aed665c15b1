from accounts.models import ApiScope
from accounts.services import borrower_token_issue, service_token_issue


def service_token(name="core", scopes=(ApiScope.BORROWERS_WRITE, ApiScope.CREDIT_EVENTS_WRITE)):
    """(token row, raw secret) issued through the real service."""
    return service_token_issue(name=name, scopes=list(scopes))


def borrower_token(user, **kwargs):
    return borrower_token_issue(user=user, **kwargs)


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
