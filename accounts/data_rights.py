"""What each app holds about a person: their copy of it, and what retention may remove.

accounts names no domain app. Each project app that keeps personal data ships a
`personal_data.py`, found at start-up the way the admin finds `admin.py`
(`config.discovery`), with any of:

- `export_sections(person) -> list[ExportSection]`: the person's records, for "Download my
  data" (called in the person's language, so labels and reason texts read in it);
- `in_use(person) -> bool`: the records are still needed for a live relationship (an open
  credit line, an appeal being worked): retention waits;
- `latest_record_at(person) -> datetime | None`: the newest record the law makes us keep
  (a decision, a notice, an appeal's end); retention counts its period from there;
- `erase(person) -> dict[str, int]`: remove the personal fields and files of this app's rows,
  keeping the rows (dates, states, outcomes, amounts) for the figures; returns counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from config.discovery import project_app_modules

SECTIONS_ORDER = ("profile", "credit_line", "decisions", "appeals", "support_requests")


@dataclass
class ExportSection:
    key: str  # the JSON key; stable
    title: str  # translated heading for the PDF
    records: list[dict[str, Any]]
    labels: dict[str, str] = field(default_factory=dict)  # record key -> translated label
    note: str = ""  # a sentence shown under the heading (e.g. what a file entry means)


def _modules():
    return [module for _config, module in project_app_modules("personal_data")]


def export_sections(person) -> list[ExportSection]:
    sections: list[ExportSection] = []
    for module in _modules():
        if hasattr(module, "export_sections"):
            sections.extend(module.export_sections(person))
    return sections


def in_use(person) -> bool:
    return any(m.in_use(person) for m in _modules() if hasattr(m, "in_use"))


def latest_record_at(person) -> datetime | None:
    found = [m.latest_record_at(person) for m in _modules() if hasattr(m, "latest_record_at")]
    found = [at for at in found if at is not None]
    return max(found) if found else None


def erase(person) -> dict[str, int]:
    counts: dict[str, int] = {}
    for module in _modules():
        if hasattr(module, "erase"):
            counts.update(module.erase(person))
    return counts
