"""The readable copy of a person's data: a PDF drawn with fpdf2 in a font that has Chinese.

fpdf2 is pure Python (no system libraries, unlike WeasyPrint's Pango/Cairo), embeds a subset
of a TrueType font, including one inside a .ttc collection such as the WenQuanYi Micro Hei the
project installs for the browser tests, and wraps lines of Chinese, which has no spaces, by
character (`wrapmode="CHAR"`). ReportLab would do as well but is larger and its CJK wrapping is
a paragraph option of its layout engine; for a list of headings and "label: value" lines the
simpler API is enough.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from .data_rights import ExportSection

# fontTools logs every glyph of every subset at INFO: nothing an operator needs.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT_FAMILY = "cjk"
INDENT = 5  # mm per nesting level


def cjk_font_path() -> Path:
    """The first configured font file that exists (settings.DATA_EXPORT_PDF_FONTS)."""
    for candidate in settings.DATA_EXPORT_PDF_FONTS:
        path = Path(candidate)
        if path.is_file():
            return path
    raise ImproperlyConfigured(
        "No font for Chinese text was found for the data export PDF; install "
        "fonts-wqy-microhei or set DATA_EXPORT_PDF_FONTS."
    )


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class _Document(FPDF):
    def __init__(self, footer_text: str):
        super().__init__(format="A4")
        self.footer_text = footer_text
        font = cjk_font_path()
        options = {"collection_font_number": 0} if font.suffix.lower() == ".ttc" else {}
        self.add_font(FONT_FAMILY, fname=str(font), **options)
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(15, 15, 15)

    def footer(self):
        self.set_y(-12)
        self.set_font(FONT_FAMILY, size=8)
        self.cell(0, 6, f"{self.footer_text} · {self.page_no()}", align="C")

    def line_of(self, text: str, *, size: float = 10, indent: int = 0, height: float = 5.5):
        self.set_font(FONT_FAMILY, size=size)
        self.set_x(self.l_margin + indent * INDENT)
        self.multi_cell(
            0,
            height,
            text,
            wrapmode=WrapMode.CHAR,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )


def _record(doc: _Document, record: dict, labels: dict[str, str], indent: int) -> None:
    for key, value in record.items():
        label = labels.get(key, key)
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            doc.line_of(f"{label}:", indent=indent)
            for number, item in enumerate(value, start=1):
                doc.line_of(f"{number}.", indent=indent + 1)
                _record(doc, item, labels, indent + 2)
        elif isinstance(value, dict):
            doc.line_of(f"{label}:", indent=indent)
            _record(doc, value, labels, indent + 1)
        elif isinstance(value, list) and not value:
            doc.line_of(f"{label}: —", indent=indent)
        else:
            doc.line_of(f"{label}: {_text(value)}", indent=indent)


def render_pdf(
    *,
    title: str,
    intro: Iterable[str],
    sections: list[ExportSection],
    empty_text: str,
    footer_text: str,
) -> bytes:
    doc = _Document(footer_text)
    doc.set_title(title)
    doc.add_page()
    doc.line_of(title, size=16, height=9)
    for sentence in intro:
        doc.line_of(sentence, size=9)
    for section in sections:
        doc.ln(3)
        doc.line_of(section.title, size=13, height=8)
        if section.note:
            doc.line_of(section.note, size=8)
        if not section.records:
            doc.line_of(empty_text, size=9)
        for number, record in enumerate(section.records, start=1):
            if len(section.records) > 1:
                doc.line_of(f"#{number}", size=9)
            _record(doc, record, section.labels, indent=1)
    return bytes(doc.output())
