"""The decision's features in words: a label for each engine feature and its value as staff
read it (a share as a percentage, yes/no, "—" for unknown). Pure: no ORM; the credit admin
and the appeals desk show the same labelled table, never the JSON."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

FEATURE_LABELS = {
    "on_time_ratio_12m": gettext_lazy("Repayments on time, last 12 months"),
    "repayments_due_12m": gettext_lazy("Repayments due, last 12 months"),
    "repayments_late_12m": gettext_lazy("Repayments late, last 12 months"),
    "applications_30d": gettext_lazy("Loan applications elsewhere, last 30 days"),
    "applications_90d": gettext_lazy("Loan applications elsewhere, last 90 days"),
    "applications_weighted": gettext_lazy("Recent applications (weighted by age)"),
    "loans_opened_30d": gettext_lazy("Loans opened elsewhere, last 30 days"),
    "loans_opened_90d": gettext_lazy("Loans opened elsewhere, last 90 days"),
    "open_external_loans": gettext_lazy("Loans open at other lenders"),
    "open_external_debt": gettext_lazy("Debt at other lenders (CNY)"),
    "overdue_max_days_12m": gettext_lazy("Longest overdue, last 12 months (days)"),
    "overdue_count_12m": gettext_lazy("Times overdue, last 12 months"),
    "monthly_income": gettext_lazy("Monthly income (CNY)"),
    "debt_to_income": gettext_lazy("Debt to income"),
    "account_age_months": gettext_lazy("Months since the credit line opened"),
    "bureau_score": gettext_lazy("Credit bureau score"),
    "identity_expired": gettext_lazy("Identity document expired"),
    "verification_status": gettext_lazy("Income verification"),
    "clean_repayment_months": gettext_lazy("Months repaid on time since the last late repayment"),
    "key_customer": gettext_lazy("Key customer (staff flag)"),
}
_SHARES = {"on_time_ratio_12m", "debt_to_income"}
_MONEY = {"open_external_debt", "monthly_income"}
OPERATOR_WORDS = {
    "gte": "≥",
    "gt": ">",
    "lte": "≤",
    "lt": "<",
    "eq": "=",
    "ne": "≠",
}


def feature_label(name: str) -> str:
    return str(FEATURE_LABELS.get(name, name))


def feature_value(name: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name in _SHARES and isinstance(value, int | float):
        return f"{value * 100:.0f}%"
    if name in _MONEY and isinstance(value, int | float):
        return f"¥{value:,.2f}"
    if name == "verification_status":
        words = {
            "verified": _("verified"),
            "unverified": _("not verified"),
            "expired": _("expired"),
        }
        return str(words.get(value, value))
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def feature_rows(features: Mapping | None) -> list[tuple[str, str, str]]:
    """(label, feature name, value in words), in the engine's order, unknown names last."""
    features = features or {}
    known = [n for n in FEATURE_LABELS if n in features]
    rest = sorted(n for n in features if n not in FEATURE_LABELS)
    return [(feature_label(n), n, feature_value(n, features[n])) for n in (*known, *rest)]


def points_rows(points: Iterable[Mapping] | None) -> list[tuple[str, str, str, str, str]]:
    """A scorecard result per attribute: (label, value, band, points / maximum, reason code)."""
    rows = []
    for p in points or []:
        name = str(p.get("feature", ""))
        rows.append(
            (
                feature_label(name),
                feature_value(name, p.get("value")),
                str(p.get("bin", "")),
                f"{p.get('points', '—')} / {p.get('max_points', '—')}",
                str(p.get("reason_code", "")),
            )
        )
    return rows


def condition_text(condition: Mapping) -> str:
    """One rule condition in words: "Times overdue, last 12 months ≥ 3"."""
    name = str(condition.get("feature", ""))
    op = OPERATOR_WORDS.get(condition.get("op"), str(condition.get("op", "")))
    return f"{feature_label(name)} {op} {feature_value(name, condition.get('value'))}"
