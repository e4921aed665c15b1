"""Reads a page makes on every request, with their SQL built by the ORM once per process.

Turning a queryset with a few subqueries into SQL costs the ORM more CPU than PostgreSQL
spends answering it (about a fifth of a cached "My credit" request). A `CompiledRead` asks the
ORM for the statement once, with a stand-in for its one varying value (a borrower's or a
line's id), then runs that statement with the real value as a parameter and turns the rows
into model instances the way `QuerySet` does (the same fields, related objects, annotations
and converters), so callers cannot tell the two apart.

Only the stand-in varies: the queryset must not read the clock, settings or anything else
that may change while the process lives (those would be frozen at the first call).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

# Stands in for the varying value while the ORM builds the statement: an int no id takes
# (ids are positive) that fits a 32-bit column, so it is sent like the real value.
STAND_IN = -1_987_654_321


@dataclass(frozen=True, slots=True)
class _Statement:
    sql: str
    params: tuple
    slot: int  # where the varying value goes in params
    model: type[Model]
    fields_start: int
    fields_end: int
    init_list: tuple[str, ...]
    related_populators: tuple
    annotation_col_map: dict[str, int]
    col_count: int
    converters: dict


class CompiledRead:
    """`build(value)` returns the queryset to run for one value (filtered on it, limited as the
    caller reads it); `fetch(value)` runs the compiled statement and returns the instances."""

    def __init__(self, build: Callable[[Any], QuerySet]):
        self._build = build
        self._statements: dict[tuple[str, str], _Statement] = {}
        self._lock = threading.Lock()

    def _statement(self, using: str) -> _Statement:
        key = (using, connections[using].vendor)
        statement = self._statements.get(key)
        if statement is None:
            with self._lock:
                statement = self._statements.get(key) or self._compile(using)
                self._statements[key] = statement
        return statement

    def _compile(self, using: str) -> _Statement:
        queryset = self._build(STAND_IN).using(using)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        slots = [i for i, p in enumerate(params) if type(p) is int and p == STAND_IN]
        if len(slots) != 1:
            raise ImproperlyConfigured(
                f"A compiled read must use its value exactly once (found {len(slots)} uses)."
            )
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        fields = [s[0] for s in select[: compiler.col_count]]
        return _Statement(
            sql=sql,
            params=tuple(params),
            slot=slots[0],
            model=klass_info["model"],
            fields_start=start,
            fields_end=end,
            init_list=tuple(f[0].target.attname for f in select[start:end]),
            related_populators=tuple(get_related_populators(klass_info, select, using)),
            annotation_col_map=dict(compiler.annotation_col_map or {}),
            col_count=compiler.col_count,
            converters=compiler.get_converters(fields),
        )

    def fetch(self, value, *, using: str = "default") -> list[Model]:
        if type(value) is not int:
            raise TypeError(f"A compiled read takes an int, not {type(value).__name__}.")
        statement = self._statement(using)
        params = list(statement.params)
        params[statement.slot] = value
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, params)
            rows = cursor.fetchall()
        return [self._instance(statement, row, connection, using) for row in rows]

    def first(self, value, *, using: str = "default") -> Model | None:
        found = self.fetch(value, using=using)
        return found[0] if found else None

    @staticmethod
    def _instance(statement: _Statement, row, connection, using: str) -> Model:
        row = list(row[: statement.col_count])
        for position, (converters, expression) in statement.converters.items():
            value = row[position]
            for converter in converters:
                value = converter(value, expression, connection)
            row[position] = value
        obj = statement.model.from_db(
            using, statement.init_list, row[statement.fields_start : statement.fields_end]
        )
        for populator in statement.related_populators:
            populator.populate(row, obj)
        for name, position in statement.annotation_col_map.items():
            setattr(obj, name, row[position])
        return obj
