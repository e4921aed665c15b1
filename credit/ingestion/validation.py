"""Checks one credit event against the contract, with no database: plain data in, a
`ValidEvent` or a `Rejection` out. The API and the import command share it.

The per-kind `data` schema is the credit data contract (docs/integration.md); amounts are
decimal strings with at most two decimals, never negative; datetimes carry an offset.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
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
TEXT_LIMITS = {"source": 64, "external_id": 128, "customer_id": 64}
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
    unknown = item.keys() - EVENT_FIELD_SET
    if unknown:
        raise Invalid(Reason.UNKNOWN_FIELD, f"Unknown field(s): {', '.join(sorted(unknown))}.")
    missing = [f for f in EVENT_FIELDS if f != "data" and item.get(f) in (None, "")]
    if missing:
        raise Invalid(Reason.MISSING_FIELD, f"Missing required field(s): {', '.join(missing)}.")
    text = {name: _text(item[name], name, limit) for name, limit in TEXT_LIMITS.items()}
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
    data = item.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise Invalid(Reason.BAD_DATA, "data: must be a JSON object.")
    try:
        clean = DATA_VALIDATORS[kind](data, now)
    except Invalid as exc:
        raise Invalid(Reason.BAD_DATA, f"data.{exc.reason}") from None
    return ValidEvent(
        index=index,
        source=text["source"],
        external_id=text["external_id"],
        customer_id=text["customer_id"],
        kind=kind,
        occurred_at=occurred_at,
        data=clean,
    )


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
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise Invalid(
            Reason.NAIVE_DATETIME,
            f"{name}: has no UTC offset; send e.g. 2026-03-01T10:00:00+08:00 or …Z.",
        )
    if parsed.year < EARLIEST.year or parsed < EARLIEST:
        raise Invalid(Reason.INVALID_FIELD, f"{name}: is before 1970.")
    return parsed


# --- per-kind data ------------------------------------------------------------------------


class _Fields:
    """Reads the fields of one `data` object, remembering which were read."""

    def __init__(self, data: dict):
        self.data = data
        self.read: set[str] = set()

    def _get(self, name: str, *, required: bool = True) -> Any:
        self.read.add(name)
        if name not in self.data:
            if required:
                raise Invalid(Reason.BAD_DATA, f"{name}: is required.")
            return None
        return self.data[name]

    def text(self, name: str, *, required: bool = True, limit: int = 128) -> str | None:
        value = self._get(name, required=required)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise Invalid(Reason.BAD_DATA, f"{name}: must be a non-empty string.")
        if not value.strip().isprintable():
            raise Invalid(Reason.BAD_DATA, f"{name}: must not contain control characters.")
        if len(value) > limit:
            raise Invalid(Reason.BAD_DATA, f"{name}: at most {limit} characters.")
        return value.strip()

    def integer(self, name: str, *, low: int, high: int | None = None) -> int:
        value = self._get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(Reason.BAD_DATA, f"{name}: must be a whole number.")
        if value < low or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise Invalid(Reason.BAD_DATA, f"{name}: must be {bounds}.")
        return value

    def amount(self, name: str, *, positive: bool = False) -> str:
        value = self._get(name)
        if not isinstance(value, str) or not AMOUNT_RE.match(value.strip()):
            raise Invalid(
                Reason.BAD_DATA,
                f'{name}: must be a decimal string with at most 2 decimals, e.g. "1234.56".',
            )
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern already excludes it
            raise Invalid(Reason.BAD_DATA, f"{name}: is not a decimal number.") from None
        if amount.is_signed():  # "-0.00" too: a sign on an amount is always a mistake
            raise Invalid(Reason.BAD_DATA, f"{name}: must not be negative.")
        if positive and amount == 0:
            raise Invalid(Reason.BAD_DATA, f"{name}: must be more than 0.")
        if amount > MAX_AMOUNT:
            raise Invalid(Reason.BAD_DATA, f"{name}: is larger than {MAX_AMOUNT}.")
        return f"{amount:.2f}"

    def day(self, name: str) -> str:
        value = self._get(name)
        if not isinstance(value, str) or not DATE_RE.match(value):
            raise Invalid(Reason.BAD_DATA, f"{name}: must be a date written YYYY-MM-DD.")
        try:
            date.fromisoformat(value)
        except ValueError:
            raise Invalid(Reason.BAD_DATA, f"{name}: {value!r} is not a real date.") from None
        return value

    def moment(self, name: str, now: datetime, *, nullable: bool = False) -> str | None:
        value = self._get(name)
        if value is None and nullable:
            return None
        try:
            parsed = aware_datetime(value, name)
        except Invalid as exc:
            raise Invalid(Reason.BAD_DATA, exc.reason) from None
        if parsed > now + CLOCK_SKEW:
            raise Invalid(Reason.BAD_DATA, f"{name}: is in the future.")
        return parsed.isoformat()

    def done(self) -> None:
        extra = sorted(self.data.keys() - self.read)
        if extra:
            raise Invalid(Reason.BAD_DATA, f"{', '.join(extra)}: unknown field(s) for this kind.")


def _repayment(data: dict, now: datetime) -> dict:
    f = _Fields(data)
    clean = {
        "due_date": f.day("due_date"),
        "paid_at": f.moment("paid_at", now, nullable=True),
        "amount": f.amount("amount"),
    }
    f.done()
    return clean


def _external_overdue(data: dict, now: datetime) -> dict:
    f = _Fields(data)
    clean = {
        "days_past_due": f.integer("days_past_due", low=1, high=36500),
        "amount": f.amount("amount"),
        "platform": f.text("platform"),
    }
    f.done()
    return clean


def _external_loan_application(data: dict, now: datetime) -> dict:
    f = _Fields(data)
    clean = {"platform": f.text("platform")}
    f.done()
    return clean


def _external_loan_opened(data: dict, now: datetime) -> dict:
    f = _Fields(data)
    clean = {
        "platform": f.text("platform"),
        "loan_id": f.text("loan_id"),
        "amount": f.amount("amount"),
    }
    f.done()
    return clean


def _external_loan_closed(data: dict, now: datetime) -> dict:
    f = _Fields(data)
    clean = {"platform": f.text("platform"), "loan_id": f.text("loan_id")}
    f.done()
    return clean


def _bureau_score(data: dict, now: datetime) -> dict:
    f = _Fields(data)
    clean = {"score": f.integer("score", low=300, high=950)}
    f.done()
    return clean


def _income_verified(data: dict, now: datetime) -> dict:
    f = _Fields(data)
    clean = {"monthly_income": f.amount("monthly_income", positive=True)}
    f.done()
    return clean


def _identity_expired(data: dict, now: datetime) -> dict:
    f = _Fields(data)
    document = f.text("document", required=False)
    f.done()
    return {"document": document} if document else {}


DATA_VALIDATORS = {
    CreditEventKind.REPAYMENT: _repayment,
    CreditEventKind.EXTERNAL_OVERDUE: _external_overdue,
    CreditEventKind.EXTERNAL_LOAN_APPLICATION: _external_loan_application,
    CreditEventKind.EXTERNAL_LOAN_OPENED: _external_loan_opened,
    CreditEventKind.EXTERNAL_LOAN_CLOSED: _external_loan_closed,
    CreditEventKind.BUREAU_SCORE: _bureau_score,
    CreditEventKind.INCOME_VERIFIED: _income_verified,
    CreditEventKind.IDENTITY_EXPIRED: _identity_expired,
}
