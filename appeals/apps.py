from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def register_closure_hold() -> None:
    """An appeal being worked holds the closure of its line (see credit.holds)."""
    from credit import holds

    from .selectors import lines_with_open_appeal

    holds.register("open_appeal", lines_with_open_appeal)


class AppealsConfig(AppConfig):
    name = "appeals"
    verbose_name = _("Appeals")

    def ready(self) -> None:
        register_closure_hold()
