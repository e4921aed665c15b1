"""Input and output shapes of the ingestion API. They parse and present; the rules live in
`credit.ingestion`."""

from typing import Any

from django.utils.translation import gettext as _
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from accounts.models import TIME_ZONE_CHOICES, Language
from credit.ingestion.services import BorrowerItem
from credit.ingestion.validation import AMOUNT_RE, MAX_BATCH, Reason, Rejection
from credit.models import CreditEventKind


class AmountField(serializers.DecimalField):
    """A money amount as the core system writes it: ASCII digits, a point, no sign on zero
    ("-0.00" and "１５０００" are mistakes, though Decimal reads them)."""

    default_error_messages = {
        "plain": 'Write the amount with the digits 0-9 and an optional point, e.g. "1234.56".'
    }

    def to_internal_value(self, data):
        text = str(data).strip() if isinstance(data, str | int) else data
        if isinstance(text, str) and not AMOUNT_RE.match(text):
            self.fail("plain")
        value = super().to_internal_value(data)
        if value.is_signed():
            self.fail("min_value", min_value=0)
        return value


def batch_of(value: Any, *, allow_single: bool) -> list:
    """The request body as a list of items: a JSON array, or (borrowers) one object."""
    if isinstance(value, dict) and allow_single:
        return [value]
    if not isinstance(value, list):
        expected = (
            _("Send a JSON array of items or one object.")
            if allow_single
            else _("Send a JSON array.")
        )
        raise serializers.ValidationError({"non_field_errors": [expected]})
    if not value:
        raise serializers.ValidationError({"non_field_errors": [_("The batch is empty.")]})
    if len(value) > MAX_BATCH:
        raise serializers.ValidationError(
            {
                "non_field_errors": [
                    _(
                        "A batch holds at most %(most)d items; this one has %(given)d. "
                        "Split it; nothing of it was saved."
                    )
                    % {"most": MAX_BATCH, "given": len(value)}
                ]
            }
        )
    return value


# --- borrowers ----------------------------------------------------------------------------


class BorrowerInSerializer(serializers.Serializer):
    customer_id = serializers.CharField(max_length=64)
    full_name = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254)
    phone = PhoneNumberField(
        required=False, allow_null=True, help_text="E.164, e.g. +8613800001001"
    )
    language = serializers.ChoiceField(choices=Language.values, default=Language.ZH_HANS)
    time_zone = serializers.ChoiceField(
        choices=[tz for tz, _label in TIME_ZONE_CHOICES], default="Asia/Shanghai"
    )
    credit_limit = AmountField(max_digits=12, decimal_places=2, min_value=0, coerce_to_string=True)
    balance = AmountField(max_digits=12, decimal_places=2, min_value=0, default="0.00")
    status = serializers.ChoiceField(
        choices=["active", "frozen", "closed"],
        required=False,
        help_text="Set by the core system: recorded as a decision with trigger `lender`.",
    )
    reason_code = serializers.CharField(
        max_length=40,
        required=False,
        help_text="The reason code of a limit or status change (a known code).",
    )

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(f"Unknown field(s): {', '.join(unknown)}.")
        return attrs


def borrower_items_parse(items: list) -> list[BorrowerItem | Rejection]:
    """Parse each item on its own; a bad one becomes a `Rejection` naming the field."""
    parsed: list[BorrowerItem | Rejection] = []
    for index, item in enumerate(items):
        customer_id = item.get("customer_id") if isinstance(item, dict) else None
        label = customer_id if isinstance(customer_id, str) else None
        if not isinstance(item, dict):
            parsed.append(
                Rejection(index, None, Reason.NOT_AN_OBJECT, "Each item must be a JSON object.")
            )
            continue
        given = BorrowerInSerializer(data=item)
        if not given.is_valid():
            reason = "; ".join(
                f"{name}: {' '.join(str(m) for m in messages)}"
                if name != "non_field_errors"
                else " ".join(str(m) for m in messages)
                for name, messages in given.errors.items()
            )
            parsed.append(Rejection(index, label, Reason.INVALID_FIELD, reason))
            continue
        data = given.validated_data
        parsed.append(
            BorrowerItem(
                customer_id=data["customer_id"].strip(),
                full_name=data["full_name"].strip(),
                email=data["email"],
                phone=data["phone"].as_e164 if data.get("phone") else None,
                language=data["language"],
                time_zone=data["time_zone"],
                credit_limit=data["credit_limit"],
                balance=data["balance"],
                status=data.get("status"),
                reason_code=data.get("reason_code"),
            )
        )
    return parsed


class BorrowerResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    customer_id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["created", "updated", "rejected"])
    code = serializers.CharField(required=False)
    reason = serializers.CharField(required=False)


class BorrowerCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    rejected = serializers.IntegerField()


class BorrowersReportSerializer(serializers.Serializer):
    counts = BorrowerCountsSerializer()
    results = BorrowerResultSerializer(many=True)


# --- credit events ------------------------------------------------------------------------


class CreditEventInSerializer(serializers.Serializer):
    """Documents one item; each item is checked by `credit.ingestion.validation`."""

    source = serializers.CharField(max_length=64, help_text="The upstream system, e.g. core")
    external_id = serializers.CharField(max_length=128, help_text="Its id for this event")
    customer_id = serializers.CharField(max_length=64)
    kind = serializers.ChoiceField(choices=CreditEventKind.values)
    occurred_at = serializers.DateTimeField(help_text="ISO-8601 with an offset")
    data = serializers.DictField(help_text="Per kind; see docs/integration.md")


class CreditEventResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    external_id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["accepted", "duplicate", "rejected"])
    code = serializers.CharField(required=False)
    reason = serializers.CharField(required=False)


class CreditEventCountsSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    rejected = serializers.IntegerField()


class CreditEventsReportSerializer(serializers.Serializer):
    counts = CreditEventCountsSerializer()
    results = CreditEventResultSerializer(many=True)


def report_body(report, statuses: tuple[str, ...], *, label: str) -> dict:
    """The report as the API answers it: counts for every status, then one row per item.

    Already in the answer's final shape (what the report serializers document), so the view
    returns it as is: running 1,000 rows through a serializer cost more than ingesting them."""
    counts = report.counts
    rows = []
    for result in report.results:
        value = getattr(result, label)
        row = {
            "index": result.index,
            label: None if value is None else str(value),  # as the documented CharField
            "status": result.status,
        }
        if result.code:
            row["code"] = result.code
        if result.reason:
            row["reason"] = result.reason
        rows.append(row)
    return {"counts": {s: counts.get(s, 0) for s in statuses}, "results": rows}
