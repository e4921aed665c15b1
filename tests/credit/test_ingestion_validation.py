"""The pure validation of one credit event: whatever JSON arrives, an answer, never a crash."""

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from credit.ingestion.validation import Rejection, ValidEvent, validate_event
from tests.credit.ingestion_factories import DATA_BY_KIND, event

NOW = datetime(2026, 3, 12, 4, 0, tzinfo=UTC)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_value_gets_an_answer(item):
    result = validate_event(item, index=0, now=NOW)
    assert isinstance(result, Rejection | ValidEvent)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(sorted(DATA_BY_KIND)),
    field=st.sampled_from(["source", "external_id", "customer_id", "occurred_at", "data"]),
    value=json_values,
)
def test_one_field_replaced_by_anything_gets_an_answer(kind, field, value):
    item = event("C-1", kind=kind)
    item[field] = value
    result = validate_event(item, index=3, now=NOW)
    assert isinstance(result, Rejection | ValidEvent)
    if isinstance(result, ValidEvent):
        # whatever got through is storable: printable keys, an aware time since 1970
        assert result.occurred_at.tzinfo is not None
        assert result.occurred_at >= datetime(1970, 1, 1, tzinfo=UTC)
        assert result.source.isprintable() and result.external_id.isprintable()


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(sorted(DATA_BY_KIND)), key=st.text(max_size=12), value=json_values)
def test_data_fields_replaced_by_anything_get_an_answer(kind, key, value):
    item = event("C-1", kind=kind)
    item["data"] = {**item["data"], key: value}
    assert isinstance(validate_event(item, index=0, now=NOW), Rejection | ValidEvent)


def test_dates_outside_what_can_be_stored_are_rejected():
    for moment in ("0001-01-01T00:00:00+08:00", "1969-12-31T23:59:59Z"):
        result = validate_event(event("C-1", occurred_at=moment), index=0, now=NOW)
        assert isinstance(result, Rejection) and "before 1970" in result.reason
    late = validate_event(event("C-1", occurred_at="9999-12-31T23:59:59-05:00"), index=0, now=NOW)
    assert isinstance(late, Rejection) and late.code == "future_datetime"


def test_control_characters_are_rejected():
    for item in (
        event("C-1", external_id="ev\x00"),
        event("C\x00-1"),
        event("C-1", kind="external_loan_application", data={"platform": "Quick\x00Loan"}),
    ):
        result = validate_event(item, index=0, now=NOW)
        assert isinstance(result, Rejection)
        assert "control characters" in result.reason


def test_negative_zero_and_non_ascii_digits_are_rejected():
    """Finding 11 of issue 15: "-0.00" and digits of other scripts were accepted as amounts."""
    for amount, words in (
        ("-0.00", "negative"),
        ("-0", "negative"),
        ("١٢٣٤.٥٠", "decimal string"),  # Arabic-Indic digits
        ("１２３４.５０", "decimal string"),  # full-width digits
        ("12३4", "decimal string"),  # a Devanagari digit among ASCII ones
    ):
        item = event(
            "C-1",
            kind="external_overdue",
            data={**DATA_BY_KIND["external_overdue"], "amount": amount},
        )
        result = validate_event(item, index=0, now=NOW)
        assert isinstance(result, Rejection), amount
        assert words in result.reason, (amount, result.reason)
    for day in ("２０２６-03-10", "2026-0٣-10"):
        item = event("C-1", data={**DATA_BY_KIND["repayment"], "due_date": day})
        assert isinstance(validate_event(item, index=0, now=NOW), Rejection), day


def test_plain_amounts_still_pass():
    item = event(
        "C-1", kind="external_overdue", data={**DATA_BY_KIND["external_overdue"], "amount": "0.5"}
    )
    assert isinstance(validate_event(item, index=0, now=NOW), ValidEvent)
