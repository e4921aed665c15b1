"""appeals' part of a person's data (see accounts.data_rights): appeals, their messages and
evidence, surveys and support requests.

The copy lists each evidence file by name, type, size and SHA-256, not the file itself: the
borrower uploaded it and can still open it from the appeal while it is kept, the copy stays a
small readable document, and the hash shows exactly which file we hold. Internal notes are
staff working notes, never shown to a borrower; they are not in the copy.

Retention keeps every appeal row (states, dates, grounds, outcome: the figures) and removes
what the person wrote or sent: statements, messages, survey comments, support requests' texts
and the evidence files themselves.
"""

from __future__ import annotations

from django.db.models import Max, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.data_rights import ExportSection

from . import evidence as evidence_files
from .models import (
    Appeal,
    AppealStatus,
    Evidence,
    Message,
    MessageKind,
    SupportMessage,
    SupportRequest,
    SupportRequestStatus,
    Survey,
)
from .states import OPEN_STATES

REMOVED = "—"


def _when(value):
    return timezone.localtime(value).isoformat() if value else None


def export_sections(person) -> list[ExportSection]:
    appeals = (
        Appeal.objects.filter(borrower=person)
        .exclude(status=AppealStatus.DISCARDED)
        .select_related("decision", "survey")
        .prefetch_related("evidence", "transitions")
        .order_by("created_at", "id")
    )
    public = Message.objects.filter(appeal__borrower=person).exclude(kind=MessageKind.INTERNAL)
    by_appeal: dict[int, list[Message]] = {}
    for message in public.order_by("created_at", "id"):
        by_appeal.setdefault(message.appeal_id, []).append(message)
    records = []
    for appeal in appeals:
        survey = appeal.survey if hasattr(appeal, "survey") else None
        records.append(
            {
                "reference": appeal.reference,
                "status": appeal.get_status_display(),
                "decision_appealed": str(appeal.decision) if appeal.decision_id else None,
                "grounds": ", ".join(appeal.grounds_display()),
                "statement": appeal.statement,
                "created_at": _when(appeal.created_at),
                "submitted_at": _when(appeal.submitted_at),
                "decided_at": _when(appeal.decided_at),
                "outcome_explanation": appeal.outcome_explanation,
                "second_review_statement": appeal.second_review_statement,
                "status_history": [
                    {"to_status": t.get_to_status_display(), "at": _when(t.at)}
                    for t in appeal.transitions.all().order_by("at", "id")
                ],
                "messages": [
                    {
                        "from": (_("You") if m.kind == MessageKind.BORROWER else _("Our team")),
                        "sent_at": _when(m.created_at),
                        "body": m.body,
                    }
                    for m in by_appeal.get(appeal.pk, [])
                ],
                "evidence": [
                    {
                        "file_name": item.original_name,
                        "content_type": item.content_type,
                        "size_bytes": item.size,
                        "sha256": item.sha256,
                        "uploaded_at": _when(item.uploaded_at),
                    }
                    for item in appeal.evidence.all().order_by("uploaded_at", "id")
                ],
                "survey": (
                    {"rating": survey.rating, "comment": survey.comment} if survey else None
                ),
            }
        )
    requests = []
    for request in (
        SupportRequest.objects.filter(borrower=person)
        .prefetch_related("messages")
        .order_by("created_at", "id")
    ):
        requests.append(
            {
                "subject": request.subject,
                "status": request.get_status_display(),
                "created_at": _when(request.created_at),
                "messages": [
                    {
                        "from": _("Our team") if m.from_staff else _("You"),
                        "sent_at": _when(m.created_at),
                        "body": m.body,
                    }
                    for m in request.messages.all().order_by("created_at", "id")
                ],
            }
        )
    labels = {
        "reference": _("Reference"),
        "status": _("Status"),
        "decision_appealed": _("Decision appealed"),
        "grounds": _("Reason for appeal"),
        "statement": _("Your statement"),
        "created_at": _("Started"),
        "submitted_at": _("Submitted"),
        "decided_at": _("Decided"),
        "outcome_explanation": _("Our explanation"),
        "second_review_statement": _("Your request for a second review"),
        "status_history": _("Status history"),
        "to_status": _("Status"),
        "at": _("When"),
        "messages": _("Messages"),
        "from": _("From"),
        "sent_at": _("Sent"),
        "body": _("Message"),
        "evidence": _("Supporting documents"),
        "file_name": _("File name"),
        "content_type": _("Type"),
        "size_bytes": _("Size (bytes)"),
        "sha256": "SHA-256",
        "uploaded_at": _("Uploaded"),
        "survey": _("How did we do?"),
        "rating": _("Rating"),
        "comment": _("Comment"),
        "subject": _("Subject"),
    }
    return [
        ExportSection(
            "appeals",
            _("Appeals"),
            records,
            labels,
            note=_(
                "Supporting documents are listed by name, type, size and SHA-256 fingerprint; "
                "you can open each file from its appeal while we keep it."
            ),
        ),
        ExportSection("support_requests", _("Support requests"), requests, labels),
    ]


def in_use(person) -> bool:
    """An appeal being worked (or a draft), a denial still open to a second review, or an
    unanswered support request keeps the person's records in use."""
    now = timezone.now()
    return (
        Appeal.objects.filter(borrower=person)
        .filter(Q(status__in=OPEN_STATES) | Q(second_review_until__gt=now, status="denied"))
        .exists()
        or SupportRequest.objects.filter(borrower=person)
        .exclude(status=SupportRequestStatus.CLOSED)
        .exists()
    )


def latest_record_at(person):
    appeal = Appeal.objects.filter(borrower=person).aggregate(
        at=Max(Coalesce("closed_at", "decided_at", "created_at"))
    )["at"]
    support = SupportRequest.objects.filter(borrower=person).aggregate(at=Max("updated_at"))["at"]
    found = [at for at in (appeal, support) if at is not None]
    return max(found) if found else None


def erase(person) -> dict[str, int]:
    """Remove what the person wrote and sent; keep the appeals' states, dates and outcomes."""
    files = 0
    for item in Evidence.objects.filter(appeal__borrower=person).exclude(original_name=REMOVED):
        evidence_files.remove(item.stored_name)
        files += 1
    Evidence.objects.filter(appeal__borrower=person).update(original_name=REMOVED)
    appeals = Appeal.objects.filter(borrower=person).update(
        statement="", second_review_statement="", outcome_explanation="", decision_summary=""
    )
    messages = Message.objects.filter(appeal__borrower=person).update(body=REMOVED)
    Survey.objects.filter(appeal__borrower=person).update(comment="")
    SupportRequest.objects.filter(borrower=person).update(subject=REMOVED)
    support = SupportMessage.objects.filter(request__borrower=person).update(body=REMOVED)
    cached = _drop_cached_pages(person)
    return {
        "appeals": appeals,
        "evidence_files": files,
        "appeal_messages": messages,
        "support_messages": support,
        "cached appeal pages": cached,
    }


def _drop_cached_pages(person) -> int:
    """Drop the person's rendered appeal pages from the cache (they quote their messages and
    name their files; erasing rewrites those rows without changing the pages' fingerprint),
    in every language, once the erasure commits."""
    from django.conf import settings

    from config.page_cache import page_cache_forget

    from .detail_page import cache_key

    keys = [
        cache_key(appeal_id=appeal_id, user_id=person.pk, language=code)
        for appeal_id in Appeal.objects.filter(borrower=person).values_list("pk", flat=True)
        for code, _name in settings.LANGUAGES
    ]
    page_cache_forget(keys)
    return len(keys)
