"""The audit trail: one append-only table, `audit_entry`."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One audited act: who did what to which object, when.

    Written by `audit_record` inside the act's own transaction, so the entry exists exactly
    when the act does. Never changed: on PostgreSQL a trigger (migration 0002) refuses UPDATE
    and DELETE of any row. The object is named by type, id and a short label rather than a
    foreign key, so the entry outlives the object and never blocks deleting one; the actor's
    name is copied for the same reason (the key is kept without a database constraint).
    Details hold identifiers and values of the act (states, amounts, codes), never a
    borrower's phone, email or ID number.
    """

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    kind = models.CharField(_("kind"), max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=254, blank=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_label = models.CharField(_("object"), max_length=200, blank=True)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        db_table = "audit_entry"
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ("-at", "-id")
        permissions = [("export_auditentry", _("Can export the audit trail"))]
        indexes = [
            models.Index(fields=["kind", "at"], name="audit_kind_at_idx"),
            models.Index(fields=["actor", "at"], name="audit_actor_at_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.object_label}".strip()
