"""notify(): which rows it writes, and what it refuses."""

import pytest
from django.core import mail
from django.db import transaction

from notifications.models import Notification, Status
from notifications.registry import Channel
from notifications.rendering import NotificationContextError
from notifications.services import notify, preferences_update
from tests.factories import StaffFactory
from tests.notifications.factories import sample_context

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("daytime")]

CLOSURE = "credit.closure_scheduled"


def _notify(recipient, event=CLOSURE, **kwargs):
    kwargs.setdefault("context", sample_context(event))
    return notify(recipient=recipient, event=event, **kwargs)


def test_a_closure_notice_goes_by_every_channel_and_is_sent_after_commit(
    borrower, sent_sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rows = _notify(borrower, obj=borrower)
        assert mail.outbox == [] and sent_sms == []  # nothing leaves before commit
    assert sorted(r.channel for r in rows) == ["email", "inbox", "sms"]
    assert len(mail.outbox) == 1 and len(sent_sms) == 1
    email = mail.outbox[0]
    assert email.to == [borrower.email]
    assert email.subject == "您的信用额度将于2026年12月28日关闭"
    assert "¥20,000.00" in email.body
    assert "近期在多家平台申请借款" in email.body  # reasons in the borrower's language
    assert email.alternatives[0][1] == "text/html"
    assert sent_sms[0].to == str(borrower.phone)
    statuses = dict(Notification.objects.values_list("channel", "status"))
    assert statuses == {"email": "sent", "sms": "sent", "inbox": "sent"}


def test_content_is_in_the_recipients_language_and_kept_on_the_row(borrower):
    borrower.preferred_language = "en"
    borrower.save()
    _notify(borrower, obj=borrower)
    inbox = Notification.objects.get(channel=Channel.INBOX)
    assert inbox.language == "en"
    assert inbox.subject == "Your credit line is closing on Dec. 28, 2026"
    assert "Applications at many other lenders recently" in inbox.body_text
    assert inbox.context["credit_limit"] == "20000.00"


def test_switched_off_channels_are_skipped(borrower):
    preferences_update(
        user=borrower,
        choices={("credit", "sms"): False, ("credit", "email"): False},
    )
    rows = _notify(borrower, event="credit.frozen", obj=borrower)
    assert [r.channel for r in rows] == ["inbox"]


def test_a_legal_notice_reaches_the_inbox_even_with_every_channel_off(borrower):
    preferences_update(
        user=borrower,
        choices={("credit", "sms"): False, ("credit", "email"): False, ("credit", "inbox"): False},
    )
    assert [r.channel for r in _notify(borrower, obj=borrower)] == ["inbox"]
    # a non-legal event of the same category is silenced entirely
    assert _notify(borrower, event="credit.frozen", obj=borrower) == []


def test_tips_are_opt_in(borrower):
    assert _notify(borrower, event="tips.risk_reminder", dedupe_key="tip:2026-12") == []
    preferences_update(user=borrower, choices={("tips", "inbox"): True})
    rows = _notify(borrower, event="tips.risk_reminder", dedupe_key="tip:2026-12")
    assert [r.channel for r in rows] == ["inbox"]


def test_no_phone_means_no_sms(borrower):
    borrower.phone = None
    borrower.save()
    assert Channel.SMS not in [r.channel for r in _notify(borrower, obj=borrower)]


def test_calling_twice_for_the_same_object_makes_no_second_row(borrower, sent_sms):
    first = _notify(borrower, obj=borrower)
    second = _notify(borrower, obj=borrower)
    assert len(first) == 3 and second == []
    assert Notification.objects.count() == 3


def test_explicit_dedupe_key_for_events_without_an_object(borrower):
    event = "policy.updated"
    assert len(_notify(borrower, event=event, dedupe_key="policy:privacy:2026-11")) == 2
    assert _notify(borrower, event=event, dedupe_key="policy:privacy:2026-11") == []
    assert len(_notify(borrower, event=event, dedupe_key="policy:privacy:2027-01")) == 2


def test_object_is_keyed_by_content_type_and_pk(borrower):
    row = _notify(borrower, obj=borrower)[0]
    assert row.dedupe_key == f"accounts.user:{borrower.pk}"
    assert row.object_type.model == "user" and row.object_id == str(borrower.pk)


def test_rollback_of_the_callers_transaction_leaves_and_queues_nothing(
    borrower, sent_sms, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _notify(borrower, obj=borrower)
        raise RuntimeError("the credit decision failed")
    assert callbacks == []
    assert Notification.objects.count() == 0
    assert mail.outbox == [] and sent_sms == []


@pytest.mark.parametrize(
    ("event", "context", "message"),
    [
        ("credit.nonexistent", {}, "Unknown notification event"),
        (CLOSURE, {"credit_limit": "1"}, "needs context keys"),
        (CLOSURE, {**sample_context(CLOSURE), "closing_effective_on": "28/12/2026"}, "ISO date"),
        (CLOSURE, {**sample_context(CLOSURE), "credit_limit": "lots"}, "decimal amount"),
        (CLOSURE, {**sample_context(CLOSURE), "when": object()}, "JSON-serialisable"),
    ],
)
def test_bad_input_is_refused_clearly_and_writes_nothing(borrower, event, context, message):
    with pytest.raises(ValueError, match=message):
        notify(recipient=borrower, event=event, context=context, obj=borrower)
    assert Notification.objects.count() == 0


def test_a_link_off_the_site_is_refused(borrower):
    with pytest.raises(NotificationContextError, match="path on this site"):
        _notify(borrower, obj=borrower, link="https://evil.example/")
    assert Notification.objects.count() == 0


def test_staff_events_go_to_staff_by_email_and_inbox_only(borrower):
    agent = StaffFactory()
    event = "staff.appeal_assigned"
    rows = notify(recipient=agent, event=event, context=sample_context(event), obj=borrower)
    assert sorted(r.channel for r in rows) == ["email", "inbox"]
    assert rows[0].subject.startswith("Appeal assigned to you")
    with pytest.raises(ValueError, match="staff recipients only"):
        notify(recipient=borrower, event=event, context=sample_context(event), obj=borrower)
    with pytest.raises(ValueError, match="borrower recipients only"):
        _notify(agent, obj=borrower)


def test_preferences_refuse_what_the_user_cannot_choose(borrower):
    with pytest.raises(ValueError, match="staff/email"):
        preferences_update(user=borrower, choices={("staff", "email"): False})
    with pytest.raises(ValueError, match="appeals/carrier-pigeon"):
        preferences_update(user=borrower, choices={("appeals", "carrier-pigeon"): True})


def test_notify_query_count(borrower, django_assert_max_num_queries):
    # 2 reads (preferences, existing rows) + per channel a savepoint, an INSERT, a release.
    with django_assert_max_num_queries(13):
        _notify(borrower, obj=borrower)


def test_inbox_rows_are_delivered_by_being_written(borrower):
    rows = _notify(borrower, event="appeal.submitted", dedupe_key="appeal:1:submitted")
    inbox = next(r for r in rows if r.channel == Channel.INBOX)
    assert inbox.status == Status.SENT and inbox.read_at is None
