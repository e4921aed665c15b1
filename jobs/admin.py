import json

from django.contrib import admin
from django.db.models import F, Q
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from .models import QueuedJob

ARGS_SHOWN = 40  # characters of the arguments in the list; the full value is on the row
WAITING = "waiting"
RETRYING = "retrying"
HANDED_OVER = "handed_over"
STATES = {
    WAITING: (_("Waiting for the broker"), Q(published_at__isnull=True, attempts=0)),
    RETRYING: (
        _("Broker unreachable; the relay retries"),
        Q(published_at__isnull=True, attempts__gt=0),
    ),
    HANDED_OVER: (_("Handed to the broker"), Q(published_at__isnull=False)),
}


def state_of(job: QueuedJob) -> str:
    if job.published_at:
        return HANDED_OVER
    return RETRYING if job.attempts else WAITING


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _q) in STATES.items()]

    def queryset(self, request, queryset):
        if self.value() in STATES:
            return queryset.filter(STATES[self.value()][1])
        return queryset


@admin.register(QueuedJob)
class QueuedJobAdmin(admin.ModelAdmin):
    """Read-only: what is waiting for the broker, how long it has waited, and why it could not
    be handed over. The relay (every minute) publishes what waited longer than two minutes;
    handed-over rows are kept for a week (docs/runbook.md)."""

    list_display = ("task", "arguments", "state", "age", "refusals")
    list_filter = (StateFilter, "task")
    readonly_fields = [f.name for f in QueuedJob._meta.fields]
    # what still waits for the broker first, then the newest
    ordering = (F("published_at").asc(nulls_first=True), "-created_at")

    @admin.display(description=_("arguments"))
    def arguments(self, job: QueuedJob) -> str:
        text = json.dumps(job.args, ensure_ascii=False)
        return text if len(text) <= ARGS_SHOWN else text[: ARGS_SHOWN - 1] + "…"

    @admin.display(description=_("state"))
    def state(self, job: QueuedJob) -> str:
        return str(STATES[state_of(job)][0])

    @admin.display(description=_("refusals"), ordering="attempts")
    def refusals(self, job: QueuedJob) -> int:
        return job.attempts

    @admin.display(description=_("age"), ordering="created_at")
    def age(self, job: QueuedJob) -> str:
        return timesince(job.created_at, timezone.now())

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
