"""A borrower's personal data as staff see it: masked unless a supervisor or auditor reveals one
record with a reason (audited, see `personal_data_reveal`).

Masked forms keep enough to recognise a person on the phone (`138****1234`,
`l***@example.com`); searches still match the full value, since they run in the database.
Staff who edit people (the `accounts.change_user` permission, i.e. administrators) see the
values they edit. Log lines never carry them at all (`accounts.logging.PersonalDataFilter`).
"""

from __future__ import annotations

import contextlib
import re

import phonenumbers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .audited import personal_data_revealed

REVEAL_PERMISSION = "accounts.reveal_personal_data"
EDIT_PERMISSION = "accounts.change_user"
MASK = "****"


def mask_phone(value) -> str:
    """+8613812341234 → 138****1234; another country keeps its code: +44 770****0123."""
    if not value:
        return ""
    if isinstance(value, str) and value.startswith("+"):
        with contextlib.suppress(phonenumbers.NumberParseException):
            value = phonenumbers.parse(value)
    text = str(getattr(value, "as_e164", value) or "")
    digits = re.sub(r"\D", "", text)
    country = ""
    national = digits
    code = getattr(value, "country_code", None)
    if code:
        national = str(getattr(value, "national_number", digits))
        country = "" if code == 86 else f"+{code} "
    elif text.startswith("+86"):
        national = digits[2:]
    if len(national) <= 4:
        return country + MASK
    keep_head = 3 if len(national) > 7 else 1
    return f"{country}{national[:keep_head]}{MASK}{national[-4:]}"


def mask_email(value) -> str:
    """li.wei@example.com → l***@example.com."""
    if not value:
        return ""
    local, at, domain = str(value).partition("@")
    if not at:
        return local[:1] + "***"
    return f"{local[:1]}***@{domain}"


def sees_personal_data(viewer) -> bool:
    """Whether `viewer` sees full contact details without revealing them (they edit people)."""
    return bool(viewer and viewer.is_active and viewer.has_perm(EDIT_PERMISSION))


def may_reveal(viewer) -> bool:
    return bool(
        viewer and viewer.is_active and viewer.is_staff and viewer.has_perm(REVEAL_PERMISSION)
    )


def shown_phone(person, viewer) -> str:
    return str(person.phone or "") if sees_personal_data(viewer) else mask_phone(person.phone)


def shown_email(person, viewer) -> str:
    return person.email if sees_personal_data(viewer) else mask_email(person.email)


def shown_address(address: str, viewer) -> str:
    """A notification's address: an email or a phone number."""
    if sees_personal_data(viewer) or not address:
        return address or ""
    return mask_email(address) if "@" in address else mask_phone(address)


@transaction.atomic
def personal_data_reveal(*, person, actor, reason: str) -> dict[str, str]:
    """Show one person's contact details in full to a supervisor or auditor who gives a reason;
    recorded in the audit trail (who, whose, why). Returns the details to show once."""
    if not may_reveal(actor):
        raise PermissionDenied(_("Your role does not allow you to reveal personal data."))
    reason = " ".join((reason or "").split())
    if len(reason) < 10:
        raise ValidationError(
            {"reason": _("Say why you need to see this person's details (at least 10 characters).")}
        )
    if len(reason) > 500:
        raise ValidationError({"reason": _("Keep the reason under 500 characters.")})
    personal_data_revealed(person, actor=actor, reason=reason)
    return {
        "full_name": person.full_name,
        "email": person.email,
        "phone": str(person.phone or ""),
        "customer_id": person.customer_id or "",
    }
