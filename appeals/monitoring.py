"""Appeals' part of credit's daily monitoring (see credit.figures): for a day, each appeal
submitted, and each appeal whose favourable outcome overturned the decision it was about."""

from collections.abc import Iterable
from datetime import datetime

from credit import figures

from .models import Appeal
from .states import FAVOURABLE_STATES


def appeal_figures(start: datetime, end: datetime) -> Iterable[tuple[int, str]]:
    opened = Appeal.objects.filter(submitted_at__gte=start, submitted_at__lt=end).values_list(
        "decision_id", flat=True
    )
    overturned = Appeal.objects.filter(
        status__in=FAVOURABLE_STATES, closed_at__gte=start, closed_at__lt=end
    ).values_list("decision_id", flat=True)
    return [(d, figures.OPENED) for d in opened] + [(d, figures.OVERTURNED) for d in overturned]
