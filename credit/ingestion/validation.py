"""Checks one credit event against the contract, with no database: plain data in, a
`ValidEvent` or a `Rejection` out. The API and the import command share it.

The per-kind `data` schema is the credit data contract (docs/integration.md); amounts are
decimal strings with at most two decimals, never negative; datetimes carry an offset.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from credit.models import CreditEventKind

MAX_BATCH = 1000
# Upstream clocks run a little ahead of ours; an event this far "in the future" is accepted.
CLOCK_SKEW = timedelta(minutes=5)
MAX_AMOUNT = Decimal("9999999999.99")  # fits DecimalField(max_digits=12, decimal_places=2)
# Nothing the lender reports predates this; earlier dates are typos (and year 1 can't even be
# converted to UTC).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)

EVENT_FIELDS = ("source", "external_id", "customer_id", "kind", "occurred_at", "data")
EVENT_FIELD_SET = frozenset(EVENT_FIELDS)
REQUIRED_FIELDS = tuple(f for f in EVENT_FIELDS if f != "data")
TEXT_LIMITS = {"source": 64, "external_id": 128, "customer_id": 64}
DATA_TEXT_LIMIT = 128  # a platform, loan id or document named in `data`
# Read once: `CreditEventKind.values` builds its list anew on every call (a tenth of a
# 1,000-event batch's validation time when asked per item).
KINDS = frozenset(CreditEventKind.values)
# ASCII digits only: \d would also take "１２３" or "١٢٣", which Decimal reads as numbers.
AMOUNT_RE = re.compile(r"^-?[0-9]+(\.[0-9]{1,2})?$")
DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class Reason:
    """Machine-readable codes of a rejection; the message says the rest."""

    NOT_AN_OBJECT = "not_an_object"
    MISSING_FIELD = "missing_field"
    UNKNOWN_FIELD = "unknown_field"
    INVALID_FIELD = "invalid_field"
    UNKNOWN_KIND = "unknown_kind"
    NAIVE_DATETIME = "naive_datetime"
    FUTURE_DATETIME = "future_datetime"
    BAD_DATA = "bad_data"
    UNKNOWN_CUSTOMER = "unknown_customer"
    NO_CREDIT_LINE = "no_credit_line"
    MALFORMED_JSON = "malformed_json"


@dataclass(slots=True)
class ValidEvent:
    index: int
    source: str
    external_id: str
    customer_id: str
    kind: str
    occurred_at: datetime
    data: dict
    # (source, external_id): read three times an event, so made once.
    key: tuple[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.key = (self.source, self.external_id)


@dataclass(frozen=True)
class Rejection:
    index: int
    external_id: str | None
    code: str
    reason: str


class Invalid(Exception):
    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def external_id_of(item: Any) -> str | None:
    """The item's external_id when it has a usable one, to label the answer."""
    if isinstance(item, dict) and isinstance(item.get("external_id"), str):
        return item["external_id"][: TEXT_LIMITS["external_id"]]
    return None


def validate_event(item: Any, *, index: int, now: datetime) -> ValidEvent | Rejection:
    """Everything that can be checked without the database. Customer existence and
    duplicates are the service's part."""
    try:
        return _validate(item, index=index, now=now)
    except Invalid as exc:
        return Rejection(index, external_id_of(item), exc.code, exc.reason)


def _validate(item: Any, *, index: int, now: datetime) -> ValidEvent:
    if not isinstance(item, dict):
        raise Invalid(Reason.NOT_AN_OBJECT, "Each event must be a JSON object.")
    if not item.keys() <= EVENT_FIELD_SET:
        unknown = item.keys() - EVENT_FIELD_SET
        raise Invalid(Reason.UNKNOWN_FIELD, f"Unknown field(s): {', '.join(sorted(unknown))}.")
    missing = [f for f in REQUIRED_FIELDS if item.get(f) in (None, "")]
    if missing:
        raise Invalid(Reason.MISSING_FIELD, f"Missing required field(s): {', '.join(missing)}.")
    source = _text(item["source"], "source", TEXT_LIMITS["source"])
    external_id = _text(item["external_id"], "external_id", TEXT_LIMITS["external_id"])
    customer_id = _text(item["customer_id"], "customer_id", TEXT_LIMITS["customer_id"])
    kind = item["kind"]
    if not isinstance(kind, str) or kind not in KINDS:
        raise Invalid(
            Reason.UNKNOWN_KIND,
            f"kind: unknown kind {str(kind)[:40]!r}; expected one of "
            f"{', '.join(CreditEventKind.values)}.",
        )
    occurred_at = aware_datetime(item["occurred_at"], "occurred_at")
    if occurred_at > now + CLOCK_SKEW:
        raise Invalid(
            Reason.FUTURE_DATETIME,
            "occurred_at: is in the future (more than 5 minutes ahead of the server clock).",
        )
    data = item.get("data")
    if data is None:
        data = {}
    elif not isinstance(data, dict):
        raise Invalid(Reason.BAD_DATA, "data: must be a JSON object.")
    try:
        clean = _clean_data(DATA_FIELDS[kind], data, now)
    except Invalid as exc:
        raise Invalid(Reason.BAD_DATA, f"data.{exc.reason}") from None
    return ValidEvent(index, source, external_id, customer_id, kind, occurred_at, clean)


def _text(value: Any, name: str, limit: int) -> str:
    if not isinstance(value, str):
        raise Invalid(Reason.INVALID_FIELD, f"{name}: must be a string.")
    value = value.strip()
    if not value:
        raise Invalid(Reason.MISSING_FIELD, f"Missing required field(s): {name}.")
    if not value.isprintable():
        raise Invalid(Reason.INVALID_FIELD, f"{name}: must not contain control characters.")
    if len(value) > limit:
        raise Invalid(Reason.INVALID_FIELD, f"{name}: at most {limit} characters.")
    return value


def aware_datetime(value: Any, name: str) -> datetime:
    """An ISO-8601 datetime with an offset (`Z` or `+08:00`)."""
    if not isinstance(value, str):
        raise Invalid(Reason.INVALID_FIELD, f"{name}: must be an ISO-8601 datetime string.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(
            Reason.INVALID_FIELD, f"{name}: {value[:40]!r} is not an ISO-8601 datetime."
        ) from None
    # fromisoformat gives a fixed offset or none: no tzinfo whose utcoffset() may be None.
    if parsed.tzinfo is None:
        raise Invalid(
            Reason.NAIVE_DATETIME,
            f"{name}: has no UTC offset; send e.g. 2026-03-01T10:00:00+08:00 or …Z.",
        )
    if parsed.year < EARLIEST.year or parsed < EARLIEST:
        raise Invalid(Reason.INVALID_FIELD, f"{name}: is before 1970.")
    return parsed


# --- per-kind data ------------------------------------------------------------------------
# Each kind's `data` is a list of fields, each read by a function (value, name, now) -> clean
# value that raises `Invalid`; read in order, so the first field at fault is the one named.
# A table, not a function per kind: a batch reads ~3,000 of these fields.


def _data_text(value: Any, name: str, now: datetime) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(Reason.BAD_DATA, f"{name}: must be a non-empty string.")
    stripped = value.strip()
    if not stripped.isprintable():
        raise Invalid(Reason.BAD_DATA, f"{name}: must not contain control characters.")
    if len(value) > DATA_TEXT_LIMIT:
        raise Invalid(Reason.BAD_DATA, f"{name}: at most {DATA_TEXT_LIMIT} characters.")
    return stripped


def _optional_text(value: Any, name: str, now: datetime) -> str | None:
    return None if value is None else _data_text(value, name, now)


def _integer(low: int, high: int) -> Callable[[Any, str, datetime], int]:
    def read(value: Any, name: str, now: datetime) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(Reason.BAD_DATA, f"{name}: must be a whole number.")
        if value < low or value > high:
            raise Invalid(Reason.BAD_DATA, f"{name}: must be between {low} and {high}.")
        return value

    return read


def _amount(value: Any, name: str, now: datetime, *, positive: bool = False) -> str:
    if not isinstance(value, str) or not AMOUNT_RE.match(value.strip()):
        raise Invalid(
            Reason.BAD_DATA,
            f'{name}: must be a decimal string with at most 2 decimals, e.g. "1234.56".',
        )
    amount = Decimal(value.strip())  # the pattern admits only what Decimal reads
    if amount.is_signed():  # "-0.00" too: a sign on an amount is always a mistake
        raise Invalid(Reason.BAD_DATA, f"{name}: must not be negative.")
    if positive and amount == 0:
        raise Invalid(Reason.BAD_DATA, f"{name}: must be more than 0.")
    if amount > MAX_AMOUNT:
        raise Invalid(Reason.BAD_DATA, f"{name}: is larger than {MAX_AMOUNT}.")
    return f"{amount:.2f}"


def _positive_amount(value: Any, name: str, now: datetime) -> str:
    return _amount(value, name, now, positive=True)


def _day(value: Any, name: str, now: datetime) -> str:
    if not isinstance(value, str) or not DATE_RE.match(value):
        raise Invalid(Reason.BAD_DATA, f"{name}: must be a date written YYYY-MM-DD.")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise Invalid(Reason.BAD_DATA, f"{name}: {value!r} is not a real date.") from None
    return value


def _moment_or_none(value: Any, name: str, now: datetime) -> str | None:
    if value is None:
        return None
    try:
        parsed = aware_datetime(value, name)
    except Invalid as exc:
        raise Invalid(Reason.BAD_DATA, exc.reason) from None
    if parsed > now + CLOCK_SKEW:
        raise Invalid(Reason.BAD_DATA, f"{name}: is in the future.")
    return parsed.isoformat()


@dataclass(frozen=True, slots=True)
class DataField:
    name: str
    read: Callable[[Any, str, datetime], Any]
    # An optional field may be left out (or null): then it is left out of the clean data.
    required: bool = True


@dataclass(frozen=True, slots=True)
class DataFields:
    fields: tuple[DataField, ...]
    names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", frozenset(f.name for f in self.fields))


def _clean_data(spec: DataFields, data: dict, now: datetime) -> dict:
    """The kind's fields of `data`, each read and cleaned, in the spec's order; then any field
    the kind does not have is named."""
    clean = {}
    for item in spec.fields:
        name = item.name
        if name in data:
            value = item.read(data[name], name, now)
            if value is not None or item.required:
                clean[name] = value
        elif item.required:
            raise Invalid(Reason.BAD_DATA, f"{name}: is required.")
    if not data.keys() <= spec.names:
        extra = sorted(data.keys() - spec.names)
        raise Invalid(Reason.BAD_DATA, f"{', '.join(extra)}: unknown field(s) for this kind.")
    return clean


_PLATFORM = DataField("platform", _data_text)
_LOAN_ID = DataField("loan_id", _data_text)
_AMOUNT = DataField("amount", _amount)

DATA_FIELDS = {
    CreditEventKind.REPAYMENT: DataFields(
        (DataField("due_date", _day), DataField("paid_at", _moment_or_none), _AMOUNT)
    ),
    CreditEventKind.EXTERNAL_OVERDUE: DataFields(
        (DataField("days_past_due", _integer(1, 36500)), _AMOUNT, _PLATFORM)
    ),
    CreditEventKind.EXTERNAL_LOAN_APPLICATION: DataFields((_PLATFORM,)),
    CreditEventKind.EXTERNAL_LOAN_OPENED: DataFields((_PLATFORM, _LOAN_ID, _AMOUNT)),
    CreditEventKind.EXTERNAL_LOAN_CLOSED: DataFields((_PLATFORM, _LOAN_ID)),
    CreditEventKind.BUREAU_SCORE: DataFields((DataField("score", _integer(300, 950)),)),
    CreditEventKind.INCOME_VERIFIED: DataFields((DataField("monthly_income", _positive_amount),)),
    CreditEventKind.IDENTITY_EXPIRED: DataFields(
        (DataField("document", _optional_text, required=False),)
    ),
}
