"""The audit app's own kind: somebody exported part of the trail (or any other export an app
performs through `audit.exports`)."""

from django.utils.translation import gettext_lazy as _

from .registry import AuditKind, register

EXPORTED = register(AuditKind("audit.exported", _("Data exported")))
