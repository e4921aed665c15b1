from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppealsConfig(AppConfig):
    name = "appeals"
    verbose_name = _("Appeals")

    def ready(self) -> None:
        from credit import holds

        from .selectors import lines_with_open_appeal

        holds.register("open_appeal", lines_with_open_appeal)
