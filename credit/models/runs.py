"""What a campaign and a correction share: a draft that becomes a chunked run with progress."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChunkedRun(models.Model):
    """Who set it up, when it ran, and how far it got (lines done of lines to do).
    Subclasses add their own `state` (with a "draft" value) and `IN_PROGRESS` states."""

    IN_PROGRESS: tuple[str, ...] = ("running",)

    name = models.CharField(_("name"), max_length=120)
    note = models.TextField(_("note"), blank=True)
    lines_total = models.PositiveIntegerField(_("lines to do"), default=0)
    lines_done = models.PositiveIntegerField(_("lines done"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    last_progress_at = models.DateTimeField(_("last progress"), null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def progress_percent(self) -> int:
        if not self.lines_total:
            return 0 if self.state == "draft" else 100
        return min(100, self.lines_done * 100 // self.lines_total)

    @property
    def in_progress(self) -> bool:
        return self.state in self.IN_PROGRESS
