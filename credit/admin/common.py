"""What the credit admin screens share: read-only rows, labelled tables and ranked reasons as
HTML."""

import json

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from ..feature_labels import feature_rows, points_rows
from ..models import (
    CreditDecision,
)


class CreditMedia:
    css = {"all": ("credit/admin.css",)}


class ReadOnlyMixin:
    """Rows that staff read but never edit here (they change only through services)."""

    Media = CreditMedia

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def pretty_json(value) -> str:
    return format_html(
        '<pre class="credit-json">{}</pre>', json.dumps(value, ensure_ascii=False, indent=2)
    )


def labelled_table(headers, rows) -> str:
    """Rows as a table with column headings (the admin shows rules and features this way,
    never as a JSON blob)."""
    rows = list(rows)
    if not rows:
        return "—"
    return format_html(
        "<table class='credit-table'><thead><tr>{}</tr></thead><tbody>{}</tbody></table>",
        format_html_join("", "<th scope='col'>{}</th>", ((h,) for h in headers)),
        format_html_join(
            "",
            "<tr>{}</tr>",
            ((format_html_join("", "<td>{}</td>", ((c,) for c in row)),) for row in rows),
        ),
    )


def features_table(features) -> str:
    return labelled_table(
        (_("feature"), _("value")),
        ((label, value) for label, _name, value in feature_rows(features)),
    )


def points_table(points) -> str:
    return labelled_table(
        (_("feature"), _("value"), _("band"), _("points / maximum"), _("reason code")),
        points_rows(points),
    )


def reasons_html(decision: CreditDecision) -> str:
    reasons = decision.reasons_ranked
    if not reasons:
        return "—"
    return format_html(
        "<ol class='credit-reasons'>{}</ol>",
        format_html_join(
            "",
            "<li><strong>{}</strong> {} / {} <span class='quiet'>({}{})</span></li>",
            (
                (
                    r.reason_code.code,
                    r.title_en,
                    r.title_zh,
                    _("knock-out rule") + ", " if r.knockout else "",
                    _("%(points)s points below maximum") % {"points": r.points_lost},
                )
                for r in reasons
            ),
        ),
    )
