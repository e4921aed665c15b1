"""The borrower's own credit line and decisions: `/api/v1/me/credit-line/`, `/api/v1/me/decisions/`.

Both answer only about the authenticated borrower; there is no id in the URL to guess.
"""

from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from . import counterfactual_texts
from .overview import credit_overview_for_borrower, decision_view
from .selectors import credit_line_get_for_borrower, decision_history_for_line
from .templatetags.credit_format import cny


def money(**kwargs) -> serializers.DecimalField:
    """Yuan as a decimal string with two places, e.g. "20000.00"."""
    return serializers.DecimalField(max_digits=12, decimal_places=2, **kwargs)


class ReasonOutput(serializers.Serializer):
    rank = serializers.IntegerField()
    code = serializers.CharField()
    category = serializers.CharField()
    title = serializers.CharField()
    explanation = serializers.CharField()
    advice = serializers.CharField()
    points_lost = serializers.IntegerField()
    knockout = serializers.BooleanField()


class FactChangeOutput(serializers.Serializer):
    """One actionable fact changed: the borrower's loans open elsewhere, their balance with
    us, their verified income, their identity document."""

    fact = serializers.CharField()
    action = serializers.CharField()
    before = serializers.JSONField(source="from", allow_null=True)
    after = serializers.JSONField(source="to", allow_null=True)


class CounterfactualOutput(serializers.Serializer):
    """What would change an adverse decision, computed when it was made and never again.

    `kind`: `actions` (these changes today give `outcome`), `time` (if nothing new happens,
    the line passes again on `date`, when it is re-evaluated), `knockout` (what makes the
    rule stop firing: `facts_changed` or `date`), `no_action` (no actionable change is
    enough), `campaign` / `regulatory` (nothing the borrower does changes it; a campaign's
    `date` is its end)."""

    kind = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())
    facts_changed = FactChangeOutput(many=True, source="changes")
    outcome = serializers.CharField(allow_null=True)
    date = serializers.DateField(source="on", allow_null=True)
    text = serializers.SerializerMethodField()

    def get_text(self, item) -> str:
        """The sentence My credit shows, in the request's language."""
        return counterfactual_texts.sentence(item)


class DecisionOutput(serializers.Serializer):
    id = serializers.IntegerField(source="decision.pk")
    decided_at = serializers.DateTimeField(source="decision.created_at")
    outcome = serializers.CharField(source="decision.outcome")
    outcome_label = serializers.CharField(source="decision.get_outcome_display")
    trigger = serializers.CharField(source="decision.trigger")
    score = serializers.IntegerField(source="decision.score", allow_null=True)
    old_status = serializers.CharField(source="decision.old_status")
    new_status = serializers.CharField(source="decision.new_status")
    old_limit = serializers.DecimalField(
        max_digits=12, decimal_places=2, source="decision.old_limit"
    )
    new_limit = serializers.DecimalField(
        max_digits=12, decimal_places=2, source="decision.new_limit"
    )
    closing_effective_at = serializers.DateTimeField(
        source="decision.closing_effective_at", allow_null=True
    )
    # A reduction or pause given a notice period takes effect then (null: when decided).
    effective_at = serializers.DateTimeField(source="decision.effective_at", allow_null=True)
    reasons = ReasonOutput(many=True)
    counterfactuals = CounterfactualOutput(many=True, source="decision.counterfactuals")
    appealable = serializers.BooleanField()
    appeal_until = serializers.DateTimeField(allow_null=True)
    segment_note = serializers.SerializerMethodField()

    def get_segment_note(self, view) -> str | None:
        """What the borrower's policy segment changed in this decision (a closure softened to
        a reduction or pause, a longer notice), in the request's language, as My credit and
        the notice say it; null when the segment changed nothing."""
        return view.segment_note or None


class RepaymentRecordOutput(serializers.Serializer):
    due = serializers.IntegerField()
    on_time = serializers.IntegerField()


class HoldOutput(serializers.Serializer):
    name = serializers.CharField()


class ScheduledChangeOutput(serializers.Serializer):
    """A reduction or pause waiting for its notice period to end (null when there is none)."""

    change = serializers.CharField(source="line.scheduled_change")
    new_limit = money(source="line.scheduled_limit")
    effective_at = serializers.DateTimeField(source="line.scheduled_change_at")
    effective_on = serializers.DateField(source="scheduled_on")  # the borrower's own day
    held = serializers.BooleanField(source="change_held")
    text = serializers.SerializerMethodField()

    def to_representation(self, overview):
        if not overview.line.scheduled_change:
            return None
        return super().to_representation(overview)

    def get_text(self, overview) -> str:
        """The sentence My credit shows, in the request's language."""
        when = date_format(overview.scheduled_on, "DATE_FORMAT")
        if overview.line.scheduled_change == "freeze":
            return gettext("Your credit line will be paused on %(date)s.") % {"date": when}
        return gettext("Your limit will be reduced to %(limit)s on %(date)s.") % {
            "limit": cny(overview.line.scheduled_limit),
            "date": when,
        }


class CreditLineOutput(serializers.Serializer):
    status = serializers.CharField(source="line.status")
    status_label = serializers.CharField(source="line.get_status_display")
    credit_limit = serializers.DecimalField(
        max_digits=12, decimal_places=2, source="line.credit_limit"
    )
    balance = money(source="line.balance")
    available = money(source="available_now")  # nothing on a closed or paused line
    closing_effective_at = serializers.DateTimeField(
        source="line.closing_effective_at", allow_null=True
    )
    days_left = serializers.IntegerField(allow_null=True)
    closure_held = serializers.SerializerMethodField()
    scheduled_change = ScheduledChangeOutput(source="*", allow_null=True)
    repayment_record = RepaymentRecordOutput(source="repayments", allow_null=True)
    explaining_decision = DecisionOutput(source="explaining", allow_null=True)

    def get_closure_held(self, overview) -> bool:
        return bool(overview.holds)


def _overview_or_404(request):
    overview = credit_overview_for_borrower(user=request.user, language=get_language())
    if overview is None:
        raise NotFound("You have no credit line with us.")
    return overview


class MyCreditLineView(GenericAPIView):
    serializer_class = CreditLineOutput

    @extend_schema(summary="The signed-in borrower's credit line, with the reasons behind it")
    def get(self, request):
        return Response(CreditLineOutput(_overview_or_404(request)).data)


class MyDecisionsView(GenericAPIView):
    serializer_class = DecisionOutput

    @extend_schema(
        summary="Every decision on the signed-in borrower's line, newest first",
        responses=DecisionOutput(many=True),  # a page of them, as the paginator answers
    )
    def get(self, request):
        line = credit_line_get_for_borrower(user=request.user)
        if line is None:
            raise NotFound("You have no credit line with us.")
        # Paged in SQL: a page reads its own rows, whatever the length of the history.
        page = self.paginate_queryset(decision_history_for_line(line_id=line.pk))
        # The segment sentence reads the deciding policy's rules: one query for the page.
        prefetch_related_objects([d for d in page if d.segment], "policy")
        language, now = get_language(), timezone.now()
        views = [decision_view(d, language=language, now=now) for d in page]
        return self.get_paginated_response(DecisionOutput(views, many=True).data)
