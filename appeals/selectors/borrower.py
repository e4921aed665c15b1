"""Reads for the borrower's side. Borrower getters are scoped to the borrower: another's id is
not found."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from config.compiled_reads import CompiledRead
from credit.models import DecisionReason

from ..models import (
    HOLDING_STATES,
    OPEN_STATES,
    Appeal,
    AppealStatus,
    AppealTransition,
    Evidence,
    Message,
    MessageKind,
    SupportMessage,
    SupportRequest,
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


# How many messages of a thread the appeal page shows at once (the newest); older ones are a
# link away, so the page reads the same rows however long the conversation.
THREAD_PAGE_SIZE = 20


@dataclass(frozen=True, slots=True)
class ThreadPage:
    messages: list[Message]  # oldest first, as the thread reads
    earlier_before: int | None  # pass as `before` to read the messages before these
    latest: Message | None  # the newest public message of the whole thread


def public_thread_page(
    appeal: Appeal, *, before: int | None = None, size: int = THREAD_PAGE_SIZE
) -> ThreadPage:
    """A page of the public thread: the newest `size` messages, or the `size` before the
    message `before` (an id of this thread; an unknown or foreign id reads the newest)."""
    newest_first = public_messages(appeal).order_by("-created_at", "-id")
    anchor = None
    if before is not None:
        anchor = newest_first.filter(pk=before).values("created_at", "id").first()
    rows = newest_first
    if anchor is not None:
        rows = rows.filter(
            Q(created_at__lt=anchor["created_at"])
            | Q(created_at=anchor["created_at"], id__lt=anchor["id"])
        )
    page = list(rows[: size + 1])
    earlier = page[size - 1].pk if len(page) > size else None
    page = page[:size]
    latest = (page[0] if page else None) if anchor is None else newest_first.first()
    return ThreadPage(messages=page[::-1], earlier_before=earlier, latest=latest)


def appeals_for_borrower(*, user) -> QuerySet[Appeal]:
    """The borrower's appeals, newest first; a discarded draft is not listed."""
    return (
        Appeal.objects.filter(borrower=user)
        .exclude(status=AppealStatus.DISCARDED)
        .select_related("decision", "line")
        .order_by("-created_at", "-id")
    )


def appeal_get_for_borrower(*, user, appeal_id, include_discarded: bool = False) -> Appeal:
    """The borrower's own appeal with what its page shows; Appeal.DoesNotExist otherwise (and
    for a discarded draft, unless the caller is answering the act that discarded it)."""
    qs = Appeal.objects.all()
    if not include_discarded:
        qs = qs.exclude(status=AppealStatus.DISCARDED)
    return (
        qs.select_related(*APPEAL_PAGE_RELATED)
        .prefetch_related(*appeal_page_prefetches())
        .get(pk=appeal_id, borrower=user)
    )


# What the appeal page shows with the appeal: its rows joined, and the children prefetched.
APPEAL_PAGE_RELATED = ("decision", "line", "credit_decision", "survey")


def appeal_page_prefetches() -> tuple:
    return (
        # One query for the reasons with their codes and wordings (not one each).
        Prefetch(
            "decision__reasons",
            queryset=DecisionReason.objects.select_related("reason_code", "wording"),
        ),
        "evidence",
        "extensions",
        Prefetch(
            "transitions",
            queryset=AppealTransition.objects.select_related("actor").order_by("at", "id"),
        ),
    )


def _open_appeal_query(line_id: int) -> QuerySet[Appeal]:
    return Appeal.objects.filter(line_id=line_id, status__in=list(OPEN_STATES)).order_by(
        "-created_at", "-id"
    )[:1]


# "My credit" asks on every request: the statement is built once (see CompiledRead).
_open_appeal_read = CompiledRead(_open_appeal_query)


def open_appeal_for_line(*, line_id: int) -> Appeal | None:
    return _open_appeal_read.first(line_id)


def evidence_get_for_user(*, user, appeal_id, evidence_id) -> Evidence:
    """A file its owner, or staff allowed to view evidence, may download; else DoesNotExist."""
    qs = Evidence.objects.select_related("appeal").filter(pk=evidence_id, appeal_id=appeal_id)
    if not (user.is_staff and user.has_perm("appeals.view_evidence")):
        qs = qs.filter(appeal__borrower=user)
    return qs.get()


def support_requests_for_borrower(*, user) -> QuerySet[SupportRequest]:
    """The borrower's support requests, the latest message first."""
    return SupportRequest.objects.filter(borrower=user).order_by("-updated_at", "-id")


def support_request_get_for_borrower(*, user, request_id) -> SupportRequest:
    """The borrower's own request with its thread; SupportRequest.DoesNotExist otherwise."""
    return (
        SupportRequest.objects.select_related("decision")
        .prefetch_related(
            Prefetch("messages", queryset=SupportMessage.objects.order_by("created_at", "id"))
        )
        .get(pk=request_id, borrower=user)
    )
