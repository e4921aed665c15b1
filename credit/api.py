"""The ingestion API: upstream systems push borrowers and credit events with a service token."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import BearerTokenAuthentication
from accounts.models import ApiScope
from accounts.permissions import HasScope
from config.api import error_responses
from config.parsers import BoundedJSONParser
from credit.ingestion.services import borrowers_upsert, credit_events_ingest
from credit.serializers import (
    BorrowerInSerializer,
    BorrowersReportSerializer,
    CreditEventInSerializer,
    CreditEventsReportSerializer,
    batch_of,
    borrower_items_parse,
    report_body,
)

ERRORS = error_responses(400, 401, 403, 415)


class IngestionView(APIView):
    """Service tokens only: no session, no borrower token, JSON only."""

    authentication_classes = [BearerTokenAuthentication]
    parser_classes = [BoundedJSONParser]


class BorrowersUpsertView(IngestionView):
    permission_classes = [HasScope(ApiScope.BORROWERS_WRITE)]

    @extend_schema(
        operation_id="borrowers_upsert",
        summary="Create or update borrowers and their credit lines",
        description=(
            "One borrower object, or an array of up to 1,000. Matched by `customer_id`. "
            "Each item is answered on its own: `created`, `updated` or `rejected` with the "
            "reason. New borrowers are emailed a link to choose their password. "
            "Needs a service token with the scope `borrowers:write`."
        ),
        request=BorrowerInSerializer(many=True),
        responses={200: BorrowersReportSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "One borrower",
                request_only=True,
                value=[
                    {
                        "customer_id": "C-2001",
                        "full_name": "赵磊",
                        "email": "zhao.lei@example.com",
                        "phone": "+8613800002001",
                        "language": "zh-hans",
                        "time_zone": "Asia/Shanghai",
                        "credit_limit": "20000.00",
                        "balance": "3500.00",
                    }
                ],
            )
        ],
    )
    def post(self, request):
        items = borrower_items_parse(batch_of(request.data, allow_single=True))
        report = borrowers_upsert(items=items, origin=f"api:{request.auth.name}")
        body = report_body(report, ("created", "updated", "rejected"), label="customer_id")
        return Response(body)  # in the shape BorrowersReportSerializer documents


class CreditEventsIngestView(IngestionView):
    permission_classes = [HasScope(ApiScope.CREDIT_EVENTS_WRITE)]

    @extend_schema(
        operation_id="credit_events_ingest",
        summary="Send a batch of credit events",
        description=(
            "An array of up to 1,000 events. Each is answered on its own: `accepted`, "
            "`duplicate` (same `source` + `external_id` already stored or earlier in the "
            "batch; ignored) or `rejected` with a `code` and `reason`. A bad item never "
            "costs the good ones. Needs a service token with the scope `credit-events:write`."
        ),
        request=CreditEventInSerializer(many=True),
        responses={200: CreditEventsReportSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "A repayment",
                request_only=True,
                value=[
                    {
                        "source": "core",
                        "external_id": "rp-88121",
                        "customer_id": "C-1001",
                        "kind": "repayment",
                        "occurred_at": "2026-03-10T09:30:00+08:00",
                        "data": {
                            "due_date": "2026-03-10",
                            "paid_at": "2026-03-10T09:30:00+08:00",
                            "amount": "1250.00",
                        },
                    }
                ],
            )
        ],
    )
    def post(self, request):
        items = batch_of(request.data, allow_single=False)
        report = credit_events_ingest(items=items, origin=f"api:{request.auth.name}")
        body = report_body(report, ("accepted", "duplicate", "rejected"), label="external_id")
        return Response(body)  # in the shape CreditEventsReportSerializer documents
