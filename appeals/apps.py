from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def register_closure_hold() -> None:
    """An appeal being worked holds the closure of its line (see credit.holds)."""
    from credit import holds

    from .selectors import lines_with_open_appeal

    holds.register("open_appeal", lines_with_open_appeal, label=_("appeal in review"))


def register_my_credit_panel() -> None:
    """My credit shows the open appeal, or the way to appeal (see credit.panels)."""
    from credit import panels

    from .panels import my_credit_appeal_panel

    panels.register("appeal", my_credit_appeal_panel)


def register_restoration_listener() -> None:
    """An appeal being worked on a line that is restored ends as resolved (see
    credit.restorations)."""
    from credit import restorations

    from .services import appeals_resolve_moot

    restorations.register("moot_appeal", appeals_resolve_moot)


def register_monitoring_figures() -> None:
    """Appeals opened and overturned count in credit's daily monitoring (see credit.figures)."""
    from credit import figures

    from .monitoring import appeal_figures

    figures.register("appeals", appeal_figures)


def register_review_calendar() -> None:
    """A key customer's staged decision is due for review in 2 business days of the desk's
    holiday calendar (see credit.services.staging)."""
    from credit.services import register_business_calendar

    from .selectors.staff import business_calendar

    register_business_calendar(lambda: business_calendar().is_business_day)


class AppealsConfig(AppConfig):
    name = "appeals"
    verbose_name = _("Appeals")

    def ready(self) -> None:
        register_closure_hold()
        register_my_credit_panel()
        register_restoration_listener()
        register_monitoring_figures()
        register_review_calendar()
