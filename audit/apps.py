from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        # Each app declares the kinds of act it audits in its `audited.py`, the way the admin
        # finds each `admin.py`; this app names none of them.
        autodiscover_modules("audited")
        from . import kinds  # noqa: F401  (its own kind: an export of the trail)
