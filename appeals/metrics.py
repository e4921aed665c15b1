"""Appeals open by state, and missed due times (clocks breached) per clock."""

from django.db.models import Count
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from . import states
from .models import Appeal, SlaBreach


def collect():
    open_by_state = GaugeMetricFamily(
        "recourse_appeals_open", "Appeals being worked, per state", labels=["state"]
    )
    counts = dict(
        Appeal.objects.filter(status__in=states.BEING_WORKED_STATES)
        .values_list("status")
        .annotate(n=Count("id"))
    )
    for state in states.BEING_WORKED_STATES:
        open_by_state.add_metric([state], counts.get(state, 0))
    breached = CounterMetricFamily(
        "recourse_appeal_clock_breaches", "Due times missed, per clock", labels=["clock"]
    )
    for clock, n in SlaBreach.objects.values_list("clock").annotate(n=Count("id")):
        breached.add_metric([clock], n)
    yield from (open_by_state, breached)
