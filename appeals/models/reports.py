"""The reports page's place in the admin: a proxy of the appeal with no rows of its own, so the
page has its own permission (supervisors and auditors) and its own entry on the admin index."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .appeal import Appeal


class NoRows(models.Manager):
    """The report is one page of aggregates: no appeal is reached through it one by one."""

    def get_queryset(self):
        return super().get_queryset().none()


class AppealReportPage(Appeal):
    objects = NoRows()

    class Meta:
        proxy = True
        verbose_name = _("appeals report")
        verbose_name_plural = _("appeals reports")
        default_permissions = ("view",)
