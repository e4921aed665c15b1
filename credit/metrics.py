"""Decisions taken, per outcome and trigger (a counter: rows are never deleted)."""

from django.db.models import Count
from prometheus_client.core import CounterMetricFamily

from .models import CreditDecision


def collect():
    family = CounterMetricFamily(
        "recourse_decisions", "Decisions recorded", labels=["outcome", "trigger"]
    )
    for row in CreditDecision.objects.values("outcome", "trigger").annotate(n=Count("id")):
        family.add_metric([row["outcome"], row["trigger"]], row["n"])
    yield family
