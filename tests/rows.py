"""Counting what a request reads from the database: queries and the rows they return.

A page whose query count stays flat can still read every row of a growing history; this
counts the rows too (PostgreSQL reports them on every SELECT; SQLite does not, see `rows`).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection


@dataclass
class Reads:
    queries: int = 0
    rows: int = 0
    statements: list[tuple[int, str]] = field(default_factory=list)  # (rows, sql)

    @property
    def rows_counted(self) -> bool:
        return connection.vendor == "postgresql"


@contextmanager
def counting_reads():
    """Count the queries run and the rows each SELECT returned while the block runs."""
    reads = Reads()

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        reads.queries += 1
        if sql.lstrip().upper().startswith("SELECT"):
            returned = max(context["cursor"].rowcount, 0)
            reads.rows += returned
            reads.statements.append((returned, sql))
        return result

    with connection.execute_wrapper(wrapper):
        yield reads
