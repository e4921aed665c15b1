"""`/api/v1/appeals/`: the borrower's appeals. Views parse and present; services decide.

Every lookup is scoped to the authenticated borrower, so another borrower's appeal or file
answers 404. Internal notes have no serializer here: the thread lists public messages only.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from config.api import error_responses
from config.parsers import BoundedJSONParser
from credit.models import CreditDecision

from . import selectors, services
from .models import Appeal, AppealGround, Evidence
from .views import creation_limited, evidence_response

# --- output ---------------------------------------------------------------------------------


class EvidenceOutput(serializers.ModelSerializer):
    class Meta:
        model = Evidence
        fields = ["id", "original_name", "content_type", "size", "sha256", "uploaded_at"]


class MessageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.SerializerMethodField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_author(self, message) -> str:
        return "borrower" if message.kind == "borrower" else "staff"


class TransitionOutput(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    at = serializers.DateTimeField()
    by = serializers.SerializerMethodField()

    def get_by(self, transition) -> str:
        if transition.actor_id is None:
            return "system"
        return "borrower" if transition.actor_id == self.context["borrower_id"] else "staff"


class CreditChangeOutput(serializers.Serializer):
    old_status = serializers.CharField()
    new_status = serializers.CharField()
    old_limit = serializers.DecimalField(max_digits=12, decimal_places=2)
    new_limit = serializers.DecimalField(max_digits=12, decimal_places=2)


class AppealSummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    decision_id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)


class AppealOutput(AppealSummaryOutput):
    grounds = serializers.ListField(child=serializers.CharField())
    statement = serializers.CharField()
    first_response_due = serializers.DateTimeField(allow_null=True)
    resolution_due = serializers.DateTimeField(allow_null=True)
    borrower_reply_due = serializers.DateTimeField(allow_null=True)
    second_review_until = serializers.DateTimeField(allow_null=True)
    outcome_explanation = serializers.CharField()
    granted_limit = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    credit_change = CreditChangeOutput(source="credit_decision", allow_null=True)
    evidence = EvidenceOutput(many=True)
    transitions = serializers.SerializerMethodField()
    survey_answered = serializers.SerializerMethodField()

    def get_transitions(self, appeal) -> list[dict]:
        return TransitionOutput(
            appeal.transitions.all(), many=True, context={"borrower_id": appeal.borrower_id}
        ).data

    def get_survey_answered(self, appeal) -> bool:
        return hasattr(appeal, "survey")


# --- input ----------------------------------------------------------------------------------


class AppealCreateInput(serializers.Serializer):
    decision_id = serializers.IntegerField()
    grounds = serializers.ListField(
        child=serializers.ChoiceField(choices=AppealGround.choices), required=False, default=list
    )
    statement = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class AppealUpdateInput(serializers.Serializer):
    grounds = serializers.ListField(child=serializers.ChoiceField(choices=AppealGround.choices))
    statement = serializers.CharField(allow_blank=True, max_length=5000)


class EvidenceInput(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)


class MessageInput(serializers.Serializer):
    body = serializers.CharField(max_length=5000)


class SecondReviewInput(serializers.Serializer):
    statement = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class SurveyInput(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


# --- views ----------------------------------------------------------------------------------


class _AppealView(GenericAPIView):
    def get_appeal(self) -> Appeal:
        try:
            return selectors.appeal_get_for_borrower(
                user=self.request.user, appeal_id=self.kwargs["pk"]
            )
        except Appeal.DoesNotExist as exc:
            raise NotFound() from exc

    def detail(self, appeal: Appeal, status_code=status.HTTP_200_OK) -> Response:
        appeal = selectors.appeal_get_for_borrower(
            user=self.request.user, appeal_id=appeal.pk, include_discarded=True
        )
        return Response(AppealOutput(appeal).data, status=status_code)


class AppealListCreateView(_AppealView):
    serializer_class = AppealSummaryOutput

    @extend_schema(responses=AppealSummaryOutput(many=True))
    def get(self, request):
        page = self.paginate_queryset(selectors.appeals_for_borrower(user=request.user))
        return self.get_paginated_response(AppealSummaryOutput(page, many=True).data)

    @extend_schema(request=AppealCreateInput, responses={201: AppealOutput, **error_responses(429)})
    def post(self, request):
        data = AppealCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        if creation_limited(request):
            raise Throttled(detail=_("You have started several appeals in a short time."))
        decision = (
            CreditDecision.objects.filter(
                pk=data.validated_data["decision_id"], line__borrower=request.user
            )
            .select_related("line")
            .first()
        )
        if decision is None:
            raise APIValidationError({"decision_id": ["No such decision on your credit line."]})
        appeal = services.appeal_create(
            borrower=request.user,
            decision=decision,
            grounds=data.validated_data["grounds"],
            statement=data.validated_data["statement"],
        )
        return self.detail(appeal, status.HTTP_201_CREATED)


class AppealDetailView(_AppealView):
    serializer_class = AppealOutput

    def get(self, request, pk):
        return Response(AppealOutput(self.get_appeal()).data)

    @extend_schema(request=AppealUpdateInput, responses=AppealOutput)
    def patch(self, request, pk):
        appeal = self.get_appeal()
        data = AppealUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.appeal_update_draft(appeal=appeal, actor=request.user, **data.validated_data)
        return self.detail(appeal)


class AppealEvidenceView(_AppealView):
    serializer_class = EvidenceOutput
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=EvidenceOutput(many=True))
    def get(self, request, pk):
        return Response(EvidenceOutput(self.get_appeal().evidence.all(), many=True).data)

    @extend_schema(request={"multipart/form-data": EvidenceInput}, responses={201: EvidenceOutput})
    def post(self, request, pk):
        appeal = self.get_appeal()
        data = EvidenceInput(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.evidence_add(
            appeal=appeal, actor=request.user, upload=data.validated_data["file"]
        )
        return Response(EvidenceOutput(item).data, status=status.HTTP_201_CREATED)


class AppealEvidenceFileView(_AppealView):
    @extend_schema(
        responses={
            (200, "application/pdf"): bytes,
            (200, "image/jpeg"): bytes,
            (200, "image/png"): bytes,
        }
    )
    def get(self, request, pk, evidence_pk):
        try:
            item = selectors.evidence_get_for_user(
                user=request.user, appeal_id=pk, evidence_id=evidence_pk
            )
        except Evidence.DoesNotExist as exc:
            raise NotFound() from exc
        return evidence_response(item)


class _ActionView(_AppealView):
    input_serializer = None

    def act(self, appeal, data):  # pragma: no cover - each action overrides
        raise NotImplementedError

    def post(self, request, pk):
        appeal = self.get_appeal()
        data = {}
        if self.input_serializer is not None:
            parsed = self.input_serializer(data=request.data)
            parsed.is_valid(raise_exception=True)
            data = parsed.validated_data
        self.act(appeal, data)
        return self.detail(appeal)


@extend_schema(request=None, responses=AppealOutput)
class AppealSubmitView(_ActionView):
    serializer_class = AppealOutput

    def act(self, appeal, data):
        services.appeal_submit(appeal=appeal, actor=self.request.user)


@extend_schema(request=None, responses=AppealOutput)
class AppealWithdrawView(_ActionView):
    serializer_class = AppealOutput

    def act(self, appeal, data):
        services.appeal_withdraw(appeal=appeal, actor=self.request.user)


@extend_schema(request=SecondReviewInput, responses=AppealOutput)
class AppealSecondReviewView(_ActionView):
    serializer_class = AppealOutput
    input_serializer = SecondReviewInput

    def act(self, appeal, data):
        services.appeal_request_second_review(
            appeal=appeal, actor=self.request.user, statement=data["statement"]
        )


@extend_schema(request=SurveyInput, responses=AppealOutput)
class AppealSurveyView(_ActionView):
    serializer_class = AppealOutput
    input_serializer = SurveyInput

    def act(self, appeal, data):
        services.survey_submit(appeal=appeal, actor=self.request.user, **data)


class AppealMessagesView(_AppealView):
    serializer_class = MessageOutput
    parser_classes = [BoundedJSONParser, FormParser, MultiPartParser]

    @extend_schema(responses=MessageOutput(many=True))
    def get(self, request, pk):
        return Response(MessageOutput(selectors.public_messages(self.get_appeal()), many=True).data)

    @extend_schema(request=MessageInput, responses={201: MessageOutput})
    def post(self, request, pk):
        appeal = self.get_appeal()
        data = MessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.appeal_borrower_message(
            appeal=appeal, actor=request.user, body=data.validated_data["body"]
        )
        return Response(MessageOutput(message).data, status=status.HTTP_201_CREATED)
