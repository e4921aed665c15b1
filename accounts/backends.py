import phonenumbers
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from notifications.selectors import UNREAD_SNAPSHOT, unread_count_subquery

from .models import User


class EmailOrPhoneBackend(ModelBackend):
    """Signs in with an email address or a mobile number (China numbers without +86 too)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        user = user_find_by_sign_in_name(username)
        if user is None:
            # Run the hasher anyway so timing does not reveal which accounts exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """The signed-in user of a request, read with their unread inbox count in the same
        query (the header badge of every page shows it; `notifications.selectors`)."""
        try:
            user = User._default_manager.annotate(**{UNREAD_SNAPSHOT: unread_count_subquery()}).get(
                pk=user_id
            )
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def user_find_by_sign_in_name(name: str) -> User | None:
    """The account a typed sign-in name reaches: its email in any case, or its mobile number
    however written. The one resolution the sign-in and its lockout share."""
    query = Q(email__iexact=name.strip())
    phone = _as_e164(name)
    if phone:
        query |= Q(phone=phone)
    return User.objects.filter(query).order_by("pk").first()


def sign_in_identity(name: str) -> str:
    """What failed sign-ins are counted against: the account the name reaches (so every
    spelling of it shares one count), else the name in its one canonical spelling."""
    user = user_find_by_sign_in_name(name) if name else None
    if user is not None:
        return f"account:{user.pk}"
    return _as_e164(name) or name.strip().lower()


def _as_e164(value: str) -> str | None:
    try:
        number = phonenumbers.parse(value.strip(), "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
