"""Panels on "My credit": other apps add their part of the page without credit knowing them.

The appeals app registers its panel at start-up (in its AppConfig.ready):

    from credit import panels
    panels.register("appeal", my_credit_appeal_panel)

A panel source is called once per page with the borrower and their `CreditOverview` (on My
credit its history, `decisions`, `timeline`, `chart` and `repayments`, is left empty: the page
shows it rendered from the cache; read the line and `explaining`, whose appeal deadline is
computed for the request). It
returns a `Panel` (the template to include at each place of the page it fills, and the
context those templates read as `panel`) or None when it has nothing to show. The places:
`STATUS`, in the status card under the figures; `DECISION`, under the reasons of the
decision that explains the line (only shown when a decision explains it); `ACTION`, the
page's one main action, kept in view at the bottom of the screen (a sticky bar on phones).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the overview module imports the models; this registry stays import-light
    from .overview import CreditOverview

STATUS = "status"
DECISION = "decision"
ACTION = "action"
PLACES = (STATUS, DECISION, ACTION)


@dataclass(frozen=True, slots=True)
class Panel:
    templates: Mapping[str, str]  # place -> template name
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlacedPanel:
    name: str
    template_name: str
    context: Mapping[str, Any]


PanelSource = Callable[..., Panel | None]  # called as source(user=..., overview=...)

_registry: dict[str, PanelSource] = {}


def register(name: str, source: PanelSource) -> None:
    """Add (or replace) the panel called `name`."""
    _registry[name] = source


def unregister(name: str) -> None:
    _registry.pop(name, None)


def registered() -> tuple[str, ...]:
    return tuple(_registry)


def panels_for(*, user, overview: CreditOverview | None) -> dict[str, list[PlacedPanel]]:
    """place -> the panels to show there, in the order they were registered."""
    placed: dict[str, list[PlacedPanel]] = {place: [] for place in PLACES}
    if overview is None:
        return placed
    for name, source in list(_registry.items()):
        panel = source(user=user, overview=overview)
        if panel is None:
            continue
        for place, template_name in panel.templates.items():
            if place not in placed:
                raise ValueError(f"Panel {name!r} asks for an unknown place {place!r}.")
            placed[place].append(PlacedPanel(name, template_name, panel.context))
    return placed
