"""The COPY writers (`copy_create` for decisions, reasons, audit entries and webhook
messages; the outbox's `_insert_skipping_twins` for notices) write the very rows Django's own
INSERT writes for the same instances: `config.copy_values` skips Django's per-field
preparation only where it would give the value back unchanged."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.forms.models import model_to_dict

from config.copy_values import copy_create, copy_values
from credit.models import (
    CreditDecision,
    CreditLineStatus,
    DecisionOutcome,
    DecisionReason,
    DecisionTrigger,
    ReasonCode,
)
from notifications.models import Notification, Status
from notifications.services.outbox import _insert_skipping_twins
from tests.credit.factories import make_line
from tests.factories import BorrowerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

NOW = datetime(2026, 11, 30, 18, 30, 5, 123456, tzinfo=UTC)


class _Undo(Exception):
    pass


def _written(model, write, make) -> list[dict]:
    """The rows `write` stores for the instances `make()` gives (read back, ids left out),
    then undone, so the other writer starts from the same database."""
    found: list[dict] = []
    try:
        with transaction.atomic():
            objs = make()
            write(objs)
            rows = model.objects.filter(pk__in=[obj.pk for obj in objs]).order_by("pk")
            found.extend(model_to_dict(row, exclude=["id"]) for row in rows)
            assert len(found) == len(objs)
            raise _Undo
    except _Undo:
        pass
    return found


def _decisions(lines, actor) -> list[CreditDecision]:
    """Decisions as the batch makes them: enum members, Decimals, JSON, empty and null."""
    made = []
    for number, line in enumerate(lines):
        made.append(
            CreditDecision(
                line=line,
                created_at=NOW,
                trigger=DecisionTrigger.PERIODIC,
                outcome=(DecisionOutcome.FREEZE, "reduce_limit", DecisionOutcome.REINSTATE)[
                    number % 3
                ],
                old_status=CreditLineStatus.ACTIVE,
                new_status="frozen" if number % 2 else CreditLineStatus.ACTIVE,
                old_limit=Decimal("20000.00"),
                new_limit=Decimal("12300.5") if number else Decimal(0),
                effective_at=NOW + timedelta(days=7) if number % 2 else None,
                closing_effective_at=None,
                features={"bureau_score": 612 + number, "income": "8000.00", "ok": True},
                points=[{"attribute": "bureau", "points": -12.5}],
                score=None if number == 2 else 540 - number,
                actor=actor if number == 1 else None,
                note="knock-out: 多头借贷" if number else "",
                segment="thin_file" if number % 2 else "",
                counterfactuals=[] if number % 2 else [{"action": "repay", "days": 30}],
            )
        )
    return made


def test_decisions_and_reasons_written_as_django_writes_them():
    lines = [make_line() for _ in range(3)]
    actor = BorrowerFactory()
    codes = list(ReasonCode.objects.select_related("wording")[:2])

    def reasons_for(decisions):
        return [
            DecisionReason(
                decision=decision,
                rank=rank,
                reason_code=code,
                wording=code.wording,
                attribute="bureau_score" if rank == 1 else "",
                points_lost=rank * 7,
                knockout=rank == 2,
            )
            for decision in decisions
            for rank, code in enumerate(codes, start=1)
        ]

    def both_by(write):
        decisions = _written(CreditDecision, write, lambda: _decisions(lines, actor))
        # The reasons hang off decisions written by Django, the same for both writers.
        reasons = _written(
            DecisionReason,
            write,
            lambda: reasons_for(CreditDecision.objects.bulk_create(_decisions(lines, actor))),
        )
        return decisions, [{**r, "decision": None} for r in reasons]

    by_copy = both_by(lambda objs: copy_create(type(objs[0]), objs))
    by_django = both_by(lambda objs: type(objs[0]).objects.bulk_create(objs))
    assert by_copy == by_django
    assert by_copy[0][0]["new_limit"] == Decimal("0.00")  # it did read something back


def test_notices_written_as_django_writes_them():
    zh = BorrowerFactory()
    en = BorrowerFactory(preferred_language="en", phone="")

    def notices():
        made = []
        for number, (recipient, channel) in enumerate(
            [(zh, "inbox"), (zh, "email"), (zh, "sms"), (en, "email")]
        ):
            row = Notification(
                recipient=recipient,
                event="credit.frozen",
                category="credit",
                channel=channel,
                is_legal_notice=number % 2 == 0,
                dedupe_key=f"credit.creditdecision:{number}",
                context={"new_limit": "0.00", "reasons": [{"zh-hans": "多头", "en": "many"}]},
                language=recipient.preferred_language,
                subject="额度已冻结" if channel != "sms" else "",
                body_text=f"正文 {number}\n第二段",
                body_html="<p>正文 &amp; more</p>" if channel == "email" else "",
                link="/me/credit/",
                created_at=NOW,
                send_after=NOW + timedelta(hours=number),
            )
            if channel == "inbox":
                row.status, row.sent_at = Status.SENT, NOW
            else:
                row.address = recipient.email if channel == "email" else str(recipient.phone)
                row.last_queued_at = NOW if number < 2 else None
            made.append(row)
        return made

    by_copy = _written(Notification, _insert_skipping_twins, notices)
    by_django = _written(Notification, Notification.objects.bulk_create, notices)
    assert by_copy == by_django
    assert [row["channel"] for row in by_copy] == ["inbox", "email", "sms", "email"]


@pytest.mark.parametrize("model", [CreditDecision, DecisionReason, Notification])
def test_values_are_what_django_prepares(model):
    """Column by column, on an instance read back: the fast path gives what
    `get_db_prep_save` gives (as text: the integer wrappers are psycopg's)."""
    line = make_line()
    decision = CreditDecision.objects.bulk_create(_decisions([line], None))[0]
    code = ReasonCode.objects.select_related("wording").first()
    instance = {
        CreditDecision: decision,
        DecisionReason: DecisionReason(
            decision=decision, rank=1, reason_code=code, wording=code.wording
        ),
        Notification: Notification(
            recipient=line.borrower,
            event="credit.frozen",
            category="credit",
            channel="email",
            dedupe_key="k",
            language="en",
            body_text="t",
            created_at=NOW,
        ),
    }[model]
    fields = [f for f in model._meta.concrete_fields if f is not model._meta.pk]
    fast = copy_values(fields, connection)(instance)
    slow = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]

    def as_text(value):
        return None if value is None else str(getattr(value, "obj", value))

    assert [as_text(v) for v in fast] == [as_text(v) for v in slow]


def test_audit_entries_and_webhook_messages_written_as_django_writes_them():
    from audit.models import AuditEntry
    from webhooks.models import WebhookMessage

    line = make_line()

    def entries():
        return [
            AuditEntry(
                at=NOW,
                kind="credit.decision",
                summary=f"决定 {number}",
                details={"outcome": "freeze", "score": 512} if number else {},
                actor_label="" if number else "user #1",
                object_type="credit.creditdecision",
                object_id=str(number),
                object_label="Decision",
            )
            for number in range(3)
        ]

    def messages():
        return [
            WebhookMessage(
                msg_id=f"msg_{number:032x}",
                event_type="credit_line.decision",
                line_id=line.pk,
                sequence=number + 1,
                created_at=NOW,
                payload={"type": "credit_line.decision", "data": {"limit": "0.00", "n": number}},
            )
            for number in range(3)
        ]

    for model, make in ((AuditEntry, entries), (WebhookMessage, messages)):
        by_copy = _written(model, lambda objs: copy_create(type(objs[0]), objs), make)
        assert by_copy == _written(model, model.objects.bulk_create, make)
        assert len(by_copy) == 3
