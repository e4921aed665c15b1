"""The desk's reference data: the holiday calendar the clocks count on, canned responses."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import macros
from ..models import CalendarDay, CalendarDayKind, CannedResponse, MacroAction
from ._input import clean_text


@transaction.atomic
def calendar_day_set(*, day, kind: str, name: str) -> CalendarDay:
    """Add or change one day of the holiday calendar (a day off, or a make-up working day)."""
    if kind not in CalendarDayKind.values:
        raise ValidationError({"kind": _("Choose a holiday or a working day.")})
    name = clean_text(name, field="name", required=True, max_length=80)
    row, _created = CalendarDay.objects.update_or_create(
        date=day, defaults={"kind": kind, "name": name}
    )
    return row


def _clean_canned(title: str, body_zh: str, body_en: str) -> tuple[str, str, str]:
    cleaned = (
        clean_text(title, field="title", required=True, max_length=80),
        clean_text(body_zh, field="body_zh", required=True),
        clean_text(body_en, field="body_en", required=True),
    )
    canned_response_check(body_zh=cleaned[1], body_en=cleaned[2])
    return cleaned


def canned_response_check(*, body_zh: str, body_en: str) -> None:
    """A macro's texts use only known placeholders (ValidationError per field otherwise)."""
    for field, text in (("body_zh", body_zh or ""), ("body_en", body_en or "")):
        unknown = macros.unknown_placeholders(text)
        if unknown is None:
            raise ValidationError({field: _("Braces { } are only for placeholders.")})
        if unknown:
            raise ValidationError(
                {
                    field: _("Unknown placeholder %(names)s. Use: %(known)s")
                    % {
                        "names": ", ".join(f"{{{n}}}" for n in unknown),
                        "known": " ".join(f"{{{n}}}" for n in macros.PLACEHOLDERS),
                    }
                }
            )


@transaction.atomic
def canned_response_upsert(
    *, title: str, body_zh: str, body_en: str, active: bool = True, action: str = ""
) -> CannedResponse:
    """Create or update a macro by its title; both languages are required, placeholders
    must be known ones, the action one the desk offers."""
    title, body_zh, body_en = _clean_canned(title, body_zh, body_en)
    if action not in MacroAction.values:
        raise ValidationError({"action": _("Choose an action from the list.")})
    row, _created = CannedResponse.objects.update_or_create(
        title=title,
        defaults={"body_zh": body_zh, "body_en": body_en, "active": active, "action": action},
    )
    return row


@transaction.atomic
def canned_response_save(*, response: CannedResponse) -> CannedResponse:
    """Save a canned response edited in the admin: a title and both languages required."""
    response.title, response.body_zh, response.body_en = _clean_canned(
        response.title, response.body_zh, response.body_en
    )
    response.save()
    return response
