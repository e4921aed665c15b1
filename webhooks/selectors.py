"""Reads of the webhook outbox other apps show."""

from .models import LineSequence


def last_sequence(line_id: int) -> int:
    """The sequence number of the line's latest message (0 when it has none)."""
    return LineSequence.objects.filter(pk=line_id).values_list("last", flat=True).first() or 0
