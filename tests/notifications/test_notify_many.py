"""notify_many(): a batch's notices make exactly the rows one notify() each would make."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from notifications.services import Notice, notify, notify_many, preferences_update
from tests.factories import BorrowerFactory, StaffFactory
from tests.notifications.factories import sample_context

pytestmark = pytest.mark.django_db

CLOSURE = "credit.closure_scheduled"
FROZEN = "credit.frozen"
TIP = "tips.risk_reminder"


class _Undo(Exception):
    pass


def _snapshot() -> list[dict]:
    """Every outbox row as written, without its id (the two runs take different ids)."""
    rows = Notification.objects.order_by("recipient_id", "event", "dedupe_key", "channel")
    return [model_to_dict(row, exclude=["id"]) for row in rows]


@pytest.fixture
def mixed_chunk(time_machine):
    """A chunk as a night brings it: 22:30 in Shanghai (SMS held for the morning) but
    afternoon in London, both languages, no phone, switched-off channels, a notice sent
    before, a twin in the same chunk, an opt-in category nobody opted into."""
    time_machine.move_to("2026-11-28T22:30:00+08:00", tick=False)
    zh = BorrowerFactory()
    en = BorrowerFactory(preferred_language="en", time_zone="Europe/London")
    no_phone = BorrowerFactory(phone="")
    no_email = BorrowerFactory(preferred_language="en")
    preferences_update(user=no_email, choices={("credit", "email"): False})
    silent = BorrowerFactory()
    preferences_update(
        user=silent,
        choices={("credit", "sms"): False, ("credit", "email"): False, ("credit", "inbox"): False},
    )
    told_before = BorrowerFactory()
    notify(recipient=told_before, event=CLOSURE, context=sample_context(CLOSURE), obj=told_before)

    def notice(recipient, event=CLOSURE, **kwargs):
        return Notice(recipient=recipient, event=event, context=sample_context(event), **kwargs)

    return [
        notice(zh, obj=zh),
        notice(zh, FROZEN, obj=zh),
        notice(zh, TIP, dedupe_key="tip:2026-12"),  # opt-in: nobody turned tips on
        notice(en, obj=en),
        notice(en, obj=en),  # a twin in the same chunk
        notice(no_phone, FROZEN, obj=no_phone),
        notice(no_email, obj=no_email),
        notice(silent, obj=silent),  # legal: the inbox all the same
        notice(silent, FROZEN, obj=silent),  # not legal: nothing
        notice(told_before, obj=told_before),  # told before: nothing new
        notice(told_before, FROZEN, obj=told_before),
    ]


def test_the_bulk_path_writes_exactly_the_rows_one_call_each_writes(mixed_chunk):
    try:
        with transaction.atomic():
            one_by_one = [
                row
                for n in mixed_chunk
                for row in notify(
                    recipient=n.recipient,
                    event=n.event,
                    context=n.context,
                    obj=n.obj,
                    dedupe_key=n.dedupe_key,
                )
            ]
            expected = _snapshot()
            raise _Undo
    except _Undo:
        pass
    assert Notification.objects.count() == 3  # only what was told before

    together = notify_many(mixed_chunk)

    assert _snapshot() == expected
    # Each recipient's channels: preferences, reachability, legal weight, earlier rows, twins.
    zh, en, no_phone, no_email, silent, told_before = (
        mixed_chunk[i].recipient for i in (0, 3, 5, 6, 7, 9)
    )
    written: dict[tuple, list[str]] = {}
    for r in together:
        written.setdefault((r.recipient_id, r.event), []).append(r.channel)
    every = ["email", "sms", "inbox"]
    assert written == {
        (zh.pk, CLOSURE): every,
        (zh.pk, FROZEN): every,
        (en.pk, CLOSURE): every,
        (no_phone.pk, FROZEN): ["email", "inbox"],
        (no_email.pk, CLOSURE): ["sms", "inbox"],
        (silent.pk, CLOSURE): ["inbox"],
        (told_before.pk, FROZEN): every,
    }
    # The same rows come back, in the notices' order.
    key = [(r.recipient_id, r.event, r.dedupe_key, r.channel) for r in one_by_one]
    assert [(r.recipient_id, r.event, r.dedupe_key, r.channel) for r in together] == key
    assert all(r.pk for r in together)
    # What the chunk holds: SMS waits for 08:00 in Shanghai, goes at once in London.
    by_recipient = {(r.recipient.preferred_language, r.recipient.time_zone) for r in together}
    assert ("en", "Europe/London") in by_recipient
    sms = {r.recipient.time_zone: r for r in together if r.channel == "sms"}
    assert sms["Europe/London"].last_queued_at is not None
    assert sms["Asia/Shanghai"].last_queued_at is None
    assert sms["Asia/Shanghai"].send_after.isoformat() == "2026-11-29T00:00:00+00:00"
    languages = {r.language for r in together}
    assert languages == {"zh-hans", "en"}
    english = next(r for r in together if r.language == "en" and r.channel == "inbox")
    assert english.subject == "Your credit line is closing on Dec. 28, 2026"


def test_calling_it_again_writes_nothing(mixed_chunk):
    first = notify_many(mixed_chunk)
    assert first
    assert notify_many(mixed_chunk) == []
    assert Notification.objects.count() == len(first) + 3


def test_one_bad_notice_writes_nothing_for_the_chunk(mixed_chunk):
    staff = StaffFactory()
    bad = [*mixed_chunk, Notice(recipient=staff, event=CLOSURE, context=sample_context(CLOSURE))]
    with pytest.raises(ValueError, match="borrower recipients only"):
        notify_many(bad)
    assert Notification.objects.count() == 3
    missing = {**sample_context(CLOSURE)}
    del missing["appeal_by"]
    broken = [
        *mixed_chunk,
        Notice(recipient=mixed_chunk[0].recipient, event=CLOSURE, context=missing),
    ]
    with pytest.raises(ValueError, match="appeal_by"):
        notify_many(broken)
    assert Notification.objects.count() == 3


def test_delivery_is_queued_once_for_the_chunk_after_commit(
    mixed_chunk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        rows = notify_many(mixed_chunk)
    assert len(callbacks) == 1
    due = [r for r in rows if r.channel != "inbox" and r.send_after <= r.created_at]
    assert due and len(due) < len([r for r in rows if r.channel != "inbox"])


@pytest.mark.postgres  # elsewhere each row is its own INSERT
def test_the_queries_do_not_grow_with_the_chunk(mixed_chunk, django_assert_max_num_queries):
    more = []
    for _ in range(20):
        borrower = BorrowerFactory()
        more.append(
            Notice(recipient=borrower, event=CLOSURE, context=sample_context(CLOSURE), obj=borrower)
        )
    with django_assert_max_num_queries(12):
        rows = notify_many([*mixed_chunk, *more])
    assert len(rows) > 60


@pytest.fixture
def new_chunk(time_machine):
    """Notices about objects made in this transaction only (what a chunk's new decisions
    send): both languages and zones, a switched-off channel, a twin in the same chunk."""
    time_machine.move_to("2026-11-28T22:30:00+08:00", tick=False)
    zh = BorrowerFactory()
    en = BorrowerFactory(preferred_language="en", time_zone="Europe/London")
    no_email = BorrowerFactory(preferred_language="en")
    preferences_update(user=no_email, choices={("credit", "email"): False})

    def notice(recipient, event=CLOSURE):
        return Notice(
            recipient=recipient, event=event, context=sample_context(event), obj=recipient
        )

    return [notice(zh), notice(zh, FROZEN), notice(en), notice(en), notice(no_email)]


def test_notices_of_new_objects_are_the_same_rows_written_without_the_twin_checks(
    new_chunk, django_assert_max_num_queries
):
    try:
        with transaction.atomic():
            checked = notify_many(new_chunk)
            expected = _snapshot()
            raise _Undo
    except _Undo:
        pass
    assert Notification.objects.count() == 0

    with CaptureQueriesContext(connection) as queries:
        fresh = notify_many(new_chunk, new_objects=True)

    assert _snapshot() == expected
    assert [(r.recipient_id, r.event, r.channel) for r in fresh] == [
        (r.recipient_id, r.event, r.channel) for r in checked
    ]
    assert all(r.pk for r in fresh)
    if connection.vendor == "postgresql":
        # Neither the read of rows written before nor the scratch table of the twin check.
        sql = " ".join(q["sql"] for q in queries.captured_queries)
        assert 'FROM "notifications_notification"' not in sql
        assert "notifications_in" not in sql


def test_new_objects_refuses_a_notice_not_keyed_by_its_object(new_chunk):
    loose = Notice(
        recipient=new_chunk[0].recipient,
        event=TIP,
        context=sample_context(TIP),
        dedupe_key="tip:2026-12",
    )
    with pytest.raises(ValueError, match="keyed by the object"):
        notify_many([*new_chunk, loose], new_objects=True)
    assert Notification.objects.count() == 0


def test_new_objects_told_before_fails_loudly_rather_than_writing_twice(new_chunk):
    notify_many(new_chunk[:1])
    before = Notification.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        notify_many(new_chunk, new_objects=True)
    assert Notification.objects.count() == before
