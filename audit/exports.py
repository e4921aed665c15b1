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


class AuditedExportMixin:
    """A changelist's rows as a streaming CSV at `<changelist>/export/`, with the filters and
    search the list has, for staff holding `export_permission`; the export is audited.

    The admin sets `export_permission` ("app_label.codename"), `export_name` (what the trail
    calls it) and `export_columns`: (header, function of a row) pairs. The changelist gets
    `export_url` in its context when the viewer may export.
    """

    export_permission = ""
    export_name = ""
    export_columns: tuple = ()

    def has_export_permission(self, request) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and user.has_perm(self.export_permission)
            and self.has_view_permission(request)
        )

    def export_queryset(self, request):
        return self.get_changelist_instance(request).get_queryset(request)

    def get_urls(self):
        from django.urls import path

        name = f"{self.opts.app_label}_{self.opts.model_name}_export"
        export = self.admin_site.admin_view(self.export_view)
        return [path("export/", export, name=name), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        if self.has_export_permission(request):
            query = request.GET.urlencode()
            extra_context = {
                **(extra_context or {}),
                "export_url": "export/" + (f"?{query}" if query else ""),
            }
        return super().changelist_view(request, extra_context)

    def export_view(self, request):
        from django.core.exceptions import PermissionDenied

        if not self.has_export_permission(request):
            raise PermissionDenied
        queryset = self.export_queryset(request)
        filters = {k: v for k, v in request.GET.items() if k not in {"o", "p"}}
        columns = self.export_columns
        rows = ([value(row) for _, value in columns] for row in queryset.iterator(chunk_size=2000))
        return audited_csv_response(
            actor=request.user,
            what=self.export_name,
            filename=self.opts.model_name,
            header=[header for header, _ in columns],
            rows=rows,
            row_count=queryset.count(),
            filters=filters,
        )
