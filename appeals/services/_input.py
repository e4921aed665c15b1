"""Cleaning what people type into an appeal: one rule for required text and lengths."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import AppealGround


def clean_text(value: str, *, field: str, required: bool, max_length: int = 5000) -> str:
    """Trimmed text; refused when required and empty, or longer than `max_length`."""
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > max_length:
        raise ValidationError(
            {field: _("Please keep it under %(n)s characters.") % {"n": max_length}}
        )
    return value


def clean_grounds(grounds: Sequence[str]) -> list[str]:
    """The reasons for appeal, each from the list, without repeats (in the order chosen)."""
    chosen = list(dict.fromkeys(grounds or []))
    unknown = [g for g in chosen if g not in AppealGround.values]
    if unknown:
        raise ValidationError({"grounds": _("Choose reasons from the list.")})
    return chosen
