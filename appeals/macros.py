"""Macros: a canned text with placeholders and, optionally, the action it goes with
(pure: no ORM). The desk fills the placeholders for one appeal in the borrower's language."""

from __future__ import annotations

from collections.abc import Mapping
from string import Formatter

# Placeholder → what it stands for (shown to supervisors who write macros).
PLACEHOLDERS = {
    "borrower_name": "the borrower's name",
    "reference": "the appeal reference (A-2026-000123)",
    "reply_due": "when a reply is expected",
    "decision_due": "when a decision is expected",
    "reasons": "the decision's reason titles",
}


def unknown_placeholders(text: str) -> list[str] | None:
    """Names in `{...}` that are not placeholders; None when the braces do not parse."""
    try:
        names = [
            field for _lit, field, _spec, _conv in Formatter().parse(text) if field is not None
        ]
    except ValueError:
        return None
    return [n for n in names if n not in PLACEHOLDERS]


def fill(text: str, values: Mapping[str, str]) -> str:
    """The text with each placeholder replaced (a checked text: see unknown_placeholders)."""
    return text.format_map({name: values.get(name, "") for name in PLACEHOLDERS})
