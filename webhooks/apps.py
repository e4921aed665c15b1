from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        # Each app declares the webhook event types it sends in its `outbound.py` (as
        # notifications finds each `notices.py`); webhooks itself names none of them.
        autodiscover_modules("outbound")
