from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Each app declares its events at the end of its `notices.py` (as admin.autodiscover
        # finds each `admin.py`); notifications itself lists none of them.
        autodiscover_modules("notices")
        from . import checks  # noqa: F401 - registers the system checks
