"""Reads for appeals: the borrower's side (scoped to the borrower) and the staff desk's."""

from .borrower import (
    PUBLIC_KINDS,
    appeal_get_for_borrower,
    appeals_for_borrower,
    evidence_get_for_user,
    lines_with_open_appeal,
    open_appeal_for_line,
    public_messages,
)
from .staff import (
    TimelineEntry,
    appeal_get_for_staff,
    assignment_candidates,
    breached_q,
    business_calendar,
    canned_responses,
    people_who_can_work,
    reviewers,
    second_review_by_reviewer,
    second_reviewers,
    staff_timeline,
    supervisors,
)

__all__ = [
    "PUBLIC_KINDS",
    "TimelineEntry",
    "appeal_get_for_borrower",
    "appeal_get_for_staff",
    "appeals_for_borrower",
    "assignment_candidates",
    "breached_q",
    "business_calendar",
    "canned_responses",
    "evidence_get_for_user",
    "lines_with_open_appeal",
    "open_appeal_for_line",
    "people_who_can_work",
    "public_messages",
    "reviewers",
    "second_review_by_reviewer",
    "second_reviewers",
    "staff_timeline",
    "supervisors",
]
