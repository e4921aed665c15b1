"""credit's part of a person's data (see accounts.data_rights): their line and its decisions.

Decisions and their inputs are the record the law makes us keep (Reg B 1002.12(b): 25 months);
they hold no contact details, so retention removes nothing here: once the person's profile is
anonymised, a decision is a figure about nobody in particular.
"""

from __future__ import annotations

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.data_rights import ExportSection

from .feature_labels import feature_label, feature_value
from .models import CreditDecision, CreditEvent, CreditLine, CreditLineStatus
from .selectors import decisions_for_line


def _when(value):
    return timezone.localtime(value).isoformat() if value else None


def _money(value):
    return f"{value:.2f}" if value is not None else None


def export_sections(person) -> list[ExportSection]:
    line = CreditLine.objects.filter(borrower=person).first()
    if line is None:
        return []
    language = person.preferred_language
    line_record = {
        "status": line.get_status_display(),
        "credit_limit": _money(line.credit_limit),
        "balance": _money(line.balance),
        "opened_at": _when(line.opened_at),
        "closing_effective_at": _when(line.closing_effective_at),
        "scheduled_change": line.get_scheduled_change_display() or None,
        "scheduled_limit": _money(line.scheduled_limit),
        "scheduled_change_at": _when(line.scheduled_change_at),
    }
    decisions = []
    for decision in decisions_for_line(line=line):
        decisions.append(
            {
                "decided_at": _when(decision.created_at),
                "outcome": decision.get_outcome_display(),
                "trigger": decision.get_trigger_display(),
                "limit_before": _money(decision.old_limit),
                "limit_after": _money(decision.new_limit),
                "status_after": decision.get_new_status_display(),
                "score": decision.score,
                "closing_effective_at": _when(decision.closing_effective_at),
                "reasons": [
                    {
                        "rank": reason.rank,
                        "code": reason.reason_code_id,
                        "title": reason.title_in(language),
                        "explanation": reason.explanation_in(language),
                        "advice": reason.advice_in(language),
                    }
                    for reason in decision.reasons_ranked
                ],
                "features": [
                    {"factor": feature_label(name), "name": name, "value": feature_value(name, v)}
                    for name, v in sorted((decision.features or {}).items())
                ],
            }
        )
    events = [
        {
            "kind": event.get_kind_display(),
            "occurred_at": _when(event.occurred_at),
            "source": event.source,
            "data": event.data,
        }
        for event in CreditEvent.objects.filter(line=line).order_by("occurred_at", "id")
    ]
    labels = {
        "status": _("Status"),
        "credit_limit": _("Credit limit"),
        "balance": _("Balance"),
        "opened_at": _("Opened"),
        "closing_effective_at": _("Closing on"),
        "scheduled_change": _("Scheduled change"),
        "scheduled_limit": _("Scheduled limit"),
        "scheduled_change_at": _("Scheduled change on"),
        "decided_at": _("Decided"),
        "outcome": _("Outcome"),
        "trigger": _("Why we looked again"),
        "limit_before": _("Limit before"),
        "limit_after": _("Limit after"),
        "status_after": _("Status after"),
        "score": _("Credit score"),
        "reasons": _("Reasons"),
        "rank": _("Rank"),
        "code": _("Code"),
        "title": _("Reason"),
        "explanation": _("Explanation"),
        "advice": _("What you can do"),
        "features": _("What the decision was based on"),
        "factor": _("Factor"),
        "name": _("Name"),
        "value": _("Value"),
        "kind": _("Kind"),
        "occurred_at": _("When"),
        "source": _("Reported by"),
        "data": _("Details"),
    }
    return [
        ExportSection("credit_line", _("Credit line"), [line_record], labels),
        ExportSection("decisions", _("Decisions about your credit line"), decisions, labels),
        ExportSection("credit_events", _("Credit events we received"), events, labels),
    ]


def in_use(person) -> bool:
    """A line that is not closed is a live relationship: its records are in use."""
    return (
        CreditLine.objects.filter(borrower=person).exclude(status=CreditLineStatus.CLOSED).exists()
    )


def latest_record_at(person):
    found = CreditDecision.objects.filter(line__borrower=person).aggregate(at=Max("created_at"))
    return found["at"]


def erase(person) -> dict[str, int]:
    """Drop the person's rendered "My credit" history from the cache (it names the platforms
    of their events), in every language, once the erasure commits: it would otherwise stay
    until its timeout. Decisions and events are kept (see the module's docstring)."""
    from django.conf import settings

    from config.page_cache import page_cache_forget

    from .overview import history_cache_key

    keys = [
        history_cache_key(line_id=line_id, user_id=person.pk, language=code)
        for line_id in CreditLine.objects.filter(borrower=person).values_list("pk", flat=True)
        for code, _name in settings.LANGUAGES
    ]
    page_cache_forget(keys)
    return {"cached credit pages": len(keys)}
