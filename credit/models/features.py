"""What the nightly pass keeps per line so it need not read every event every night: the
facts of the line's events that still count (kept up to date at ingestion), and when the line
next needs a look."""

import json

from django.db import models
from django.utils.translation import gettext_lazy as _

from .lines import CreditLine


class LineFeatureState(models.Model):
    """The facts of a line's events that can still change a feature (`credit.engine.state`):
    folded in by ingestion in the transaction that stores the events, rebuilt from the events
    by `reevaluate --from-events`."""

    line = models.OneToOneField(
        CreditLine, on_delete=models.CASCADE, primary_key=True, related_name="feature_state"
    )
    facts = models.JSONField(_("facts that still count"), default=list)
    folded_at = models.DateTimeField(_("folded"), null=True, blank=True)

    class Meta:
        verbose_name = _("line feature state")
        verbose_name_plural = _("line feature states")

    def __str__(self) -> str:
        return f"Feature state of line {self.line_id}"


class VerdictField(models.TextField):
    """A small JSON object kept as text in one canonical spelling (sorted keys, no spaces):
    the nightly scan groups a million looks by it, and equal texts hash far faster than equal
    `jsonb` values (`jsonb` re-reads the structure for every row). Reads and writes a dict."""

    @staticmethod
    def dumps(value: dict) -> str:
        """The one spelling every writer uses, raw SQL included, so equal verdicts group."""
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def from_db_value(self, value, expression, connection):
        return json.loads(value) if value else {}

    def to_python(self, value):
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value):
        return self.dumps(value) if isinstance(value, dict) else value


class LineLook(models.Model):
    """When a line next needs a look by the nightly pass, and what it was last looked at with.

    A line is looked at when `next_look_at` has come (an event arrived: ingestion sets it to
    the arrival; or a feature changes by the clock that day), when the line changed since
    (`line_updated_at`), or when the rules are not those it was scored with (`rules_key`): a
    new scorecard or policy version re-scores every line. A line with no row is looked at.

    On PostgreSQL every line has a row, and `line_changed_at` is the line's own `updated_at`:
    triggers on the line table (migration 0026) write both, in the writer's transaction,
    whoever writes the line. So the nightly scan reads only the looks: a line changed since
    its look is one whose `line_changed_at` is not the `line_updated_at` it was looked at."""

    line = models.OneToOneField(
        CreditLine, on_delete=models.CASCADE, primary_key=True, related_name="look"
    )
    next_look_at = models.DateTimeField(_("next look"), db_index=True)
    looked_at = models.DateTimeField(_("looked at"), null=True, blank=True)
    line_updated_at = models.DateTimeField(_("line as of"), null=True, blank=True)
    line_changed_at = models.DateTimeField(_("line changed"), null=True, blank=True)
    rules_key = models.CharField(_("rules scored with"), max_length=64, blank=True)
    # What the last look found (outcome, score, segment, knock-outs, first reason): the daily
    # monitoring tally counts the lines a night does not score as they were last found.
    verdict = VerdictField(_("last verdict"), default=dict, blank=True)

    class Meta:
        verbose_name = _("line look")
        verbose_name_plural = _("line looks")

    def __str__(self) -> str:
        return f"Line {self.line_id}: next look {self.next_look_at:%Y-%m-%d %H:%M}"
