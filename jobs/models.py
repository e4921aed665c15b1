"""Work queued after commit, kept in the database until the broker has it."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class QueuedJob(models.Model):
    """One Celery task to run once the caller's transaction commits.

    Written in that transaction, so the work exists exactly when the act it follows does;
    `published_at` is set once the broker accepted the task. The relay publishes rows the
    broker never got (it was down), so a broker outage delays the work and loses none.
    Tasks queued this way are safe to run twice: a crash between publishing and marking
    publishes the row again.
    """

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list)
    countdown = models.PositiveIntegerField(_("delay in seconds"), default=0)
    created_at = models.DateTimeField(_("queued"), default=timezone.now)
    published_at = models.DateTimeField(_("handed to the broker"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("failed attempts to publish"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("queued job")
        verbose_name_plural = _("queued jobs")
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(published_at__isnull=True),
                name="jobs_unpublished_idx",
            ),
            models.Index(fields=["published_at"], name="jobs_published_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task}{self.args}"
