"""Find what each project app contributes, the way `admin.autodiscover` finds each `admin.py`.

Role grants (`roles.py`) and demo data (`demo.py`) are found here, so nothing central lists
the apps. A project app is an installed app whose package sits at the top of this
repository (a library installed into the virtualenv never counts). Apps are visited in
INSTALLED_APPS order, which follows the dependencies (accounts ← credit ← appeals), so an
app's contribution always comes after the contributions of the apps it builds on.
"""

from importlib import import_module
from pathlib import Path
from types import ModuleType

from django.apps import AppConfig, apps
from django.conf import settings
from django.utils.module_loading import module_has_submodule


def project_apps() -> list[AppConfig]:
    """The installed apps that belong to this project, in INSTALLED_APPS order."""
    base = Path(settings.BASE_DIR).resolve()
    return [
        config for config in apps.get_app_configs() if Path(config.path).resolve().parent == base
    ]


def project_app_modules(submodule: str) -> list[tuple[AppConfig, ModuleType]]:
    """Each project app's `submodule` (e.g. "roles"), imported, for the apps that have one."""
    found = []
    for config in project_apps():
        if module_has_submodule(config.module, submodule):
            found.append((config, import_module(f"{config.name}.{submodule}")))
    return found
