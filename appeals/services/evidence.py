"""Supporting documents: who may attach them, while the appeal is open, how many."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import evidence as evidence_files
from ..models import EVIDENCE_STATES, Appeal, Evidence
from ._transition import lock_appeal, require_borrower
from .thread import mark_borrower_replied


@transaction.atomic
def evidence_add(*, appeal: Appeal, actor, upload) -> Evidence:
    """Attach one supporting document to the borrower's open appeal.

    Rules: only the borrower; only while the appeal is open; PDF, JPEG or PNG judged by the
    content; not empty; at most APPEAL_EVIDENCE_MAX_BYTES; at most APPEAL_EVIDENCE_MAX_FILES
    per appeal; a name without path tricks. A refused file changes nothing. The file is stored
    under a random name outside any public URL, with its SHA-256.
    """
    appeal = lock_appeal(appeal)
    require_borrower(appeal, actor)
    if appeal.status not in EVIDENCE_STATES:
        raise ValidationError(
            {"file": _("Documents can no longer be added to this appeal.")}, code="state"
        )
    if appeal.evidence.count() >= settings.APPEAL_EVIDENCE_MAX_FILES:
        raise ValidationError(
            {
                "file": _("An appeal can have at most %(n)s documents.")
                % {"n": settings.APPEAL_EVIDENCE_MAX_FILES}
            },
            code="count",
        )
    try:
        checked = evidence_files.check_upload(upload)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}, code=exc.code) from exc
    stored_name = evidence_files.store(checked, appeal_id=appeal.pk)
    try:
        item = Evidence.objects.create(
            appeal=appeal,
            uploaded_by=actor,
            original_name=checked.original_name,
            stored_name=stored_name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
        )
    except Exception:
        evidence_files.remove(stored_name)
        raise
    mark_borrower_replied(appeal, at=item.uploaded_at, what="document", key=f"e{item.pk}")
    return item
