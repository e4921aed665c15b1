"""The satisfaction survey after a decision: once per appeal, by its borrower."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Appeal, Survey
from ._input import clean_text
from ._transition import lock_appeal, require_borrower


@transaction.atomic
def survey_submit(*, appeal: Appeal, actor, rating, comment: str = "") -> Survey:
    """The borrower rates how we handled a resolved appeal (1–5, optional comment), once."""
    appeal = lock_appeal(appeal)
    require_borrower(appeal, actor)
    if not appeal.is_resolved:
        raise ValidationError(_("You can rate your appeal once it has been decided."), code="state")
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Choose a rating from 1 to 5.")})
    comment = clean_text(comment, field="comment", required=False, max_length=2000)
    if Survey.objects.filter(appeal=appeal).exists():
        raise ValidationError(_("You have already answered this survey. Thank you!"), code="done")
    return Survey.objects.create(appeal=appeal, rating=rating, comment=comment)
