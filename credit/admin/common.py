"""What the credit admin screens share: read-only rows, JSON and ranked reasons as HTML."""

import json

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

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
                    r.reason_code.title_en,
                    r.reason_code.title_zh,
                    _("knock-out rule") + ", " if r.knockout else "",
                    _("%(points)s points below maximum") % {"points": r.points_lost},
                )
                for r in reasons
            ),
        ),
    )
