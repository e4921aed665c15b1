"""Reads for the borrower's side. Borrower getters are scoped to the borrower: another's id is
not found."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db.models import Prefetch, QuerySet

from ..models import (
    HOLDING_STATES,
    OPEN_STATES,
    Appeal,
    AppealTransition,
    Evidence,
    Message,
    MessageKind,
    appeal_reference,
)

PUBLIC_KINDS = (MessageKind.BORROWER, MessageKind.STAFF_PUBLIC)


def lines_with_open_appeal(line_ids: Sequence[int]) -> Mapping[int, str]:
    """The closure hold: {line_id: detail} for lines whose appeal is being worked."""
    rows = Appeal.objects.filter(line_id__in=line_ids, status__in=list(HOLDING_STATES)).values_list(
        "line_id", "pk", "created_at", "status"
    )
    return {
        line_id: f"Appeal {appeal_reference(pk=pk, created_at=created)} is {status}"
        for line_id, pk, created, status in rows
    }


def public_messages(appeal: Appeal) -> QuerySet[Message]:
    """The thread as the borrower sees it: never an internal note."""
    return (
        Message.objects.filter(appeal=appeal, kind__in=[k.value for k in PUBLIC_KINDS])
        .select_related("author")
        .order_by("created_at", "id")
    )


def appeals_for_borrower(*, user) -> QuerySet[Appeal]:
    return (
        Appeal.objects.filter(borrower=user)
        .select_related("decision", "line")
        .order_by("-created_at", "-id")
    )


def appeal_get_for_borrower(*, user, appeal_id) -> Appeal:
    """The borrower's own appeal with what its page shows; Appeal.DoesNotExist otherwise."""
    return (
        Appeal.objects.select_related("decision", "line", "credit_decision", "survey")
        .prefetch_related(
            "decision__reasons__reason_code",
            "decision__reasons__wording",
            "evidence",
            "extensions",
            Prefetch(
                "transitions",
                queryset=AppealTransition.objects.select_related("actor").order_by("at", "id"),
            ),
        )
        .get(pk=appeal_id, borrower=user)
    )


def open_appeal_for_line(*, line_id: int) -> Appeal | None:
    return (
        Appeal.objects.filter(line_id=line_id, status__in=list(OPEN_STATES))
        .order_by("-created_at")
        .first()
    )


def evidence_get_for_user(*, user, appeal_id, evidence_id) -> Evidence:
    """A file its owner, or staff allowed to view evidence, may download; else DoesNotExist."""
    qs = Evidence.objects.select_related("appeal").filter(pk=evidence_id, appeal_id=appeal_id)
    if not (user.is_staff and user.has_perm("appeals.view_evidence")):
        qs = qs.filter(appeal__borrower=user)
    return qs.get()
