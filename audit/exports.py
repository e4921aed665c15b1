"""Streaming CSV exports, each one audited.

An export hands personal and business data out of the system, so it is an audited act: the
entry (who, what, which filters, how many rows) is committed before the first byte is sent.
Rows are produced while streaming, so a large export never sits in memory. Cells that a
spreadsheet would read as a formula are prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.http import StreamingHttpResponse
from django.utils import timezone

from .services import audit_record

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def _safe(cell) -> str:
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(header: Sequence[str], rows: Iterable[Sequence]) -> Iterable[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # spreadsheets then read the Chinese as UTF-8
    yield writer.writerow([_safe(h) for h in header])
    for row in rows:
        yield writer.writerow([_safe(cell) for cell in row])


def audited_csv_response(
    *,
    actor,
    what: str,
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    row_count: int,
    filters: dict | None = None,
) -> StreamingHttpResponse:
    """Record the export (kind "audit.exported"), then stream `rows` as a CSV attachment."""
    with transaction.atomic():
        audit_record(
            kind="audit.exported",
            actor=actor,
            summary=f"{what}: {row_count} rows",
            details={"what": what, "rows": row_count, "filters": filters or {}},
        )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
