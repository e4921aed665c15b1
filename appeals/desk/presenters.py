"""How the desk shows an appeal: due times in words (never colour alone), the state chip,
refusals as text. Presentation only: no rule is decided here."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import formats, timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import BEING_WORKED_STATES, Appeal, AppealStatus


def _when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _duration(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours >= 48:
        return ngettext("%(n)s day", "%(n)s days", hours // 24) % {"n": hours // 24}
    if hours >= 1:
        return ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}
    minutes = max(1, int(delta.total_seconds() // 60))
    return ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}


def due_cell(due, *, done_at=None, paused=False, closed=False, now=None):
    """A due time in words: overdue is red *and* says "Overdue by …" (not colour alone)."""
    if due is None:
        return "—"
    now = now or timezone.now()
    if done_at is not None:
        return format_html(
            '<span class="desk-due desk-done">{}<br>{}</span>', _("Answered"), _when(done_at)
        )
    if closed:
        return format_html('<span class="desk-due desk-quiet">{}</span>', _when(due))
    if paused:
        return format_html(
            '<span class="desk-due desk-paused">{}<br>{}</span>',
            _("Paused: waiting for the borrower"),
            _when(due),
        )
    if due < now:
        return format_html(
            '<span class="desk-due desk-overdue">{}<br>{}</span>',
            _("Overdue by %(time)s") % {"time": _duration(now - due)},
            _when(due),
        )
    soon = due - now < timedelta(hours=24)
    return format_html(
        '<span class="desk-due {}">{}<br>{}</span>',
        "desk-soon" if soon else "",
        _("Due in %(time)s") % {"time": _duration(due - now)},
        _when(due),
    )


def first_response_cell(appeal: Appeal):
    return due_cell(
        appeal.first_response_due,
        done_at=appeal.first_responded_at,
        paused=appeal.status == AppealStatus.AWAITING_BORROWER,
        closed=appeal.status not in BEING_WORKED_STATES,
    )


def resolution_cell(appeal: Appeal):
    return due_cell(
        appeal.resolution_due,
        paused=appeal.status == AppealStatus.AWAITING_BORROWER,
        closed=appeal.status not in BEING_WORKED_STATES,
    )


def state_chip(appeal: Appeal):
    return format_html(
        '<span class="desk-state desk-state-{}">{}</span>',
        appeal.status,
        appeal.get_status_display(),
    )


def queue_state_cell(appeal: Appeal):
    """The state chip, and what asks for attention: the borrower replied (not yet answered),
    the agent handed it over for a decision. Words, not colour alone."""
    markers = []
    if appeal.status in BEING_WORKED_STATES and appeal.borrower_replied_at:
        markers.append(("desk-flag-replied", _("Borrower replied")))
    if appeal.status == AppealStatus.IN_REVIEW and appeal.ready_for_decision_at:
        markers.append(("desk-flag-ready", _("Ready for decision")))
    return format_html(
        "{}{}",
        state_chip(appeal),
        format_html_join("", '<br><span class="desk-flag {}">{}</span>', markers),
    )


def macro_values(appeal: Appeal, language: str) -> dict[str, str]:
    """What a macro's placeholders become for this appeal, in `language` (the borrower's)."""
    english = (language or "").startswith("en")
    with translation.override("en" if english else "zh-hans"):

        def when(moment):
            return _when(moment) if moment else "—"

        reasons = sorted(appeal.decision.reasons.all(), key=lambda r: r.rank)
        titles = [r.title_en if english else r.title_zh for r in reasons]
        return {
            "borrower_name": appeal.borrower.full_name,
            "reference": appeal.reference,
            "reply_due": when(appeal.first_response_due),
            "decision_due": when(appeal.resolution_due),
            "reasons": ("; " if english else "；").join(titles) or "—",
        }


def error_text(exc) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)
