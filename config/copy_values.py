"""The values a COPY writes for a model instance, prepared as Django prepares them for an INSERT
(`Field.get_db_prep_save`), without Django's per-field call chain where it gives a value back
as it is: a batch of decisions writes ~25 columns for each of thousands of rows, and that
chain (pre_save, get_prep_value, to_python, the backend's adapt_*) was a tenth of the batch.

A column takes the fast path only for a field of a class listed here (not a subclass: it may
override any step) whose value is of the exact type the field keeps (an enum member, a naive
datetime, a float for a Decimal... all take Django's path), and only on PostgreSQL, where the
backend's adapt_* give these values back unchanged (integers in a psycopg wrapper that writes
the same text). JSON (a dict or a list) goes straight to the backend's adapt_json_value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal

from django.db import connection, models
from django.db.models import NOT_PROVIDED

# Field class -> the value type for which get_db_prep_save (on PostgreSQL) is the identity.
_KEPT_AS_IS: dict[type, type] = {
    models.CharField: str,
    models.TextField: str,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.SmallIntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.DecimalField: Decimal,
}


def _value_of(field: models.Field, connection) -> Callable[[models.Model], object]:
    """One column's value for an instance, as `get_db_prep_save(pre_save(obj, True))` gives."""
    attname = field.attname

    def slow(obj):
        return field.get_db_prep_save(field.pre_save(obj, True), connection)

    kind = type(field)
    if kind is models.ForeignKey:
        target = type(field.target_field)
        if target not in (models.AutoField, models.BigAutoField, models.IntegerField):
            return slow
        expected: type = int
    elif kind is models.DateTimeField:
        if field.auto_now or field.auto_now_add:  # pre_save sets the time: Django's path
            return slow
        expected = datetime

        def aware(obj):
            value = getattr(obj, attname)
            if value is None or (type(value) is datetime and value.tzinfo is not None):
                return value
            return slow(obj)  # a naive datetime: Django warns and makes it aware

        return aware
    elif kind is models.JSONField:
        adapt, encoder = connection.ops.adapt_json_value, field.encoder

        def as_json(obj):
            value = getattr(obj, attname)
            if type(value) in (dict, list):
                return adapt(value, encoder)
            return slow(obj)

        return as_json
    elif kind in _KEPT_AS_IS:
        expected = _KEPT_AS_IS[kind]
    else:
        return slow

    def kept(obj):
        value = getattr(obj, attname)
        if value is None or type(value) is expected:
            return value
        return slow(obj)

    # A field whose value may be None only through Django's path (None for a non-null
    # CharField is written as NULL by both, and refused by the database: the same outcome).
    return kept


def copy_values(
    fields: Sequence[models.Field], connection
) -> Callable[[models.Model], list[object]]:
    """A function giving an instance's values for `fields`, in order, ready for
    `copy.write_row` (PostgreSQL): what `[f.get_db_prep_save(f.pre_save(obj, True),
    connection) for f in fields]` gives, made once per batch rather than per row."""
    if connection.vendor != "postgresql":
        return lambda obj: [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    getters = [_value_of(field, connection) for field in fields]
    return lambda obj: [get(obj) for get in getters]


def copy_create(model, objs: list) -> list:
    """`bulk_create` with COPY on PostgreSQL (psycopg 3 `cursor.copy`): ids are taken from the
    table's sequence first (one statement), then the rows stream in without client-side
    quoting, each column prepared as `copy_values` prepares it. Columns the database fills
    (`db_default`, set by triggers) are left to it. Elsewhere, `bulk_create`."""
    if not objs or connection.vendor != "postgresql":
        return model.objects.bulk_create(objs)
    meta = model._meta
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if f is not pk and f.db_default is NOT_PROVIDED]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in (pk, *fields))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk.column, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        values_of = copy_values(fields, connection)
        # Names from the model's meta, quoted; the rows go through COPY's own protocol (its
        # errors raised as Django's, as an INSERT's would be: IntegrityError for a key).
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {qn(meta.db_table)} ({columns}) FROM STDIN") as copy,
        ):
            for obj, new_id in zip(objs, ids, strict=True):
                copy.write_row([new_id, *values_of(obj)])
                obj.pk = new_id
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs
