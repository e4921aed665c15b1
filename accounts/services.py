from django.db import transaction

from .models import Language, User


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    """Remember the language a borrower chose; notifications go out in it."""
    if language not in Language.values:
        raise ValueError(f"Unsupported language: {language!r}")
    if user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
    return user
