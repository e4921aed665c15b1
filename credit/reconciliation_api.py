"""The pull API for the lender's reconciliation (service token with `decisions:read`)."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import BearerTokenAuthentication
from accounts.models import ApiScope
from accounts.permissions import HasScope
from config.api import error_responses
from webhooks.selectors import last_sequence

from . import reconciliation
from .outbound import decision_data

DECISION = inline_serializer(
    name="ReconciledDecision",
    fields={
        "decision_id": serializers.IntegerField(),
        "credit_line_id": serializers.IntegerField(),
        "customer_id": serializers.CharField(),
        "change": serializers.CharField(help_text="the outcome: reduce_limit, freeze, ..."),
        "trigger": serializers.CharField(),
        "decided_at": serializers.DateTimeField(),
        "old_status": serializers.CharField(),
        "new_status": serializers.CharField(),
        "old_limit": serializers.DecimalField(max_digits=12, decimal_places=2),
        "new_limit": serializers.DecimalField(max_digits=12, decimal_places=2),
        "closing_effective_at": serializers.DateTimeField(allow_null=True),
        "reason_codes": serializers.ListField(child=serializers.CharField()),
    },
)


class ReconciliationView(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [HasScope(ApiScope.DECISIONS_READ)]


class DecisionsView(ReconciliationView):
    @extend_schema(
        operation_id="decisions_list",
        summary="Decisions in a stable order, after a cursor",
        description=(
            "Every decision that changed a credit line, oldest first, in an order that never "
            "changes: start without `after`, then pass the `next` cursor of each page. A page "
            "may be shorter than `limit` (or empty) while recent decisions are still being "
            "committed; ask again with the same cursor. Needs the scope `decisions:read`."
        ),
        parameters=[
            OpenApiParameter("after", str, description="the `next` cursor of the last page"),
            OpenApiParameter("limit", int, description="page size, 1 to 1000 (default 500)"),
        ],
        responses={
            200: inline_serializer(
                name="DecisionPage",
                fields={"results": DECISION, "next": serializers.CharField()},
            ),
            **error_responses(400, 401, 403),
        },
    )
    def get(self, request):
        limit = request.query_params.get("limit", "500")
        if not limit.isdigit() or not 1 <= int(limit) <= reconciliation.MAX_PAGE:
            raise ValidationError({"limit": "Give a whole number from 1 to 1000."})
        page, cursor = reconciliation.decisions_after(
            after=request.query_params.get("after"), limit=int(limit)
        )
        results = [
            {
                **decision_data(d, customer_id=d.customer_id, reason_codes=d.reason_codes),
                "credit_line_id": d.line_id,
            }
            for d in page
        ]
        return Response({"results": results, "next": cursor})


class CreditLineStateView(ReconciliationView):
    @extend_schema(
        operation_id="credit_line_state",
        summary="One credit line's present state",
        description=(
            "The line of the borrower with this `customer_id`: status, limit, balance, the "
            "closing date while closing, and `webhook_sequence`, the number of the latest "
            "webhook message for the line (compare with the last one received). "
            "Needs the scope `decisions:read`."
        ),
        responses={
            200: inline_serializer(
                name="CreditLineState",
                fields={
                    "customer_id": serializers.CharField(),
                    "credit_line_id": serializers.IntegerField(),
                    "status": serializers.CharField(),
                    "credit_limit": serializers.DecimalField(max_digits=12, decimal_places=2),
                    "balance": serializers.DecimalField(max_digits=12, decimal_places=2),
                    "closing_effective_at": serializers.DateTimeField(allow_null=True),
                    "updated_at": serializers.DateTimeField(),
                    "webhook_sequence": serializers.IntegerField(),
                },
            ),
            **error_responses(401, 403, 404),
        },
    )
    def get(self, request, customer_id: str):
        line = reconciliation.line_for_customer(customer_id)
        return Response(
            {
                "customer_id": line.borrower.customer_id,
                "credit_line_id": line.pk,
                "status": line.status,
                "credit_limit": str(line.credit_limit),
                "balance": str(line.balance),
                "closing_effective_at": line.closing_effective_at,
                "updated_at": line.updated_at,
                "webhook_sequence": last_sequence(line.pk),
            }
        )
