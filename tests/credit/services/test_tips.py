"""Risk tips: once per period to borrowers who turned tips on, in their language, never in
their quiet hours, and a second run writes nothing."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import override_settings

from credit import services
from credit.tasks import send_risk_tips
from notifications.models import Notification
from notifications.services import preferences_update
from tests.factories import BorrowerFactory, StaffFactory

pytestmark = pytest.mark.django_db

# 10:00 in Shanghai, 02:00 UTC: daytime for a borrower in Shanghai, night in New York (21:00).
MORNING_IN_SHANGHAI = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


def _opt_in(user, *channels):
    preferences_update(user=user, choices={("tips", c): True for c in channels})
    return user


def _tips(user=None):
    rows = Notification.objects.filter(event="tips.risk_reminder")
    return rows.filter(recipient=user) if user is not None else rows


@override_settings(CREDIT_TIPS_PERIOD_DAYS=30)
def test_a_tip_goes_once_per_period_to_opted_in_borrowers_only_in_their_language():
    zh = _opt_in(BorrowerFactory(), "inbox", "email")
    en = _opt_in(BorrowerFactory(preferred_language="en"), "inbox")
    silent = BorrowerFactory()  # never turned tips on: the category is off by default
    switched_off = BorrowerFactory()
    preferences_update(user=switched_off, choices={("tips", "inbox"): False})
    staff = StaffFactory()

    with time_machine.travel(MORNING_IN_SHANGHAI, tick=False):
        summary = services.risk_tips_send()
    assert summary.sent == 2 and summary.messages == 3
    assert sorted(_tips(zh).values_list("channel", flat=True)) == ["email", "inbox"]
    [zh_inbox] = _tips(zh).filter(channel="inbox")
    [en_inbox] = _tips(en)
    assert zh_inbox.language == "zh-hans" and "小贴士" in zh_inbox.subject + zh_inbox.body_text
    assert en_inbox.language == "en" and en_inbox.subject.startswith("Tip:")
    # the tip is the period's topic, the same for both, and links to the help centre
    assert zh_inbox.context["topic"] == en_inbox.context["topic"] == summary.topic
    assert en_inbox.link == "/help/"
    assert not _tips(silent).exists() and not _tips(switched_off).exists()
    assert not _tips(staff).exists()

    # Run twice: nothing new. A week later: still the same period, nothing new.
    with time_machine.travel(MORNING_IN_SHANGHAI + timedelta(minutes=5), tick=False):
        assert send_risk_tips.apply().get()["sent"] == 0
    with time_machine.travel(MORNING_IN_SHANGHAI + timedelta(days=7), tick=False):
        assert services.risk_tips_send().sent == 0
    assert _tips().count() == 3

    # A period later the next tip (the next topic) goes, once.
    with time_machine.travel(MORNING_IN_SHANGHAI + timedelta(days=31), tick=False):
        later = services.risk_tips_send()
        assert services.risk_tips_send().sent == 0
    assert later.sent == 2 and later.topic != summary.topic
    assert _tips(en).count() == 2


@override_settings(CREDIT_TIPS_PERIOD_DAYS=30)
def test_the_cap_holds_across_a_period_boundary():
    """Told on the last day of a period: not told again the next morning, but a period later."""
    borrower = _opt_in(BorrowerFactory(), "inbox")
    period_start, _topic = services.tips_period(MORNING_IN_SHANGHAI.date(), days=30)
    last_day = datetime.combine(period_start + timedelta(days=29), MORNING_IN_SHANGHAI.timetz())
    with time_machine.travel(last_day, tick=False):
        assert services.risk_tips_send().sent == 1
    with time_machine.travel(last_day + timedelta(days=1), tick=False):
        assert services.risk_tips_send().sent == 0
    with time_machine.travel(last_day + timedelta(days=30, hours=1), tick=False):
        assert services.risk_tips_send().sent == 1
    assert _tips(borrower).count() == 2


@override_settings(NOTIFICATIONS_QUIET_HOURS_START="21:00", NOTIFICATIONS_QUIET_HOURS_END="08:00")
def test_quiet_hours_where_the_borrower_lives_wait_for_a_later_run():
    in_shanghai = _opt_in(BorrowerFactory(), "inbox", "sms")
    in_new_york = _opt_in(BorrowerFactory(time_zone="America/New_York"), "inbox", "sms")

    with time_machine.travel(MORNING_IN_SHANGHAI, tick=False):  # 21:00 in New York
        summary = services.risk_tips_send()
    assert summary.sent == 1 and summary.waiting_quiet_hours == 1
    assert _tips(in_shanghai).count() == 2 and not _tips(in_new_york).exists()

    # 08:00 in New York: her tip goes now, by SMS too, and nothing is held for later.
    with time_machine.travel(MORNING_IN_SHANGHAI + timedelta(hours=11), tick=False):
        summary = services.risk_tips_send()
    assert summary.sent == 1 and summary.waiting_quiet_hours == 0
    sms = _tips(in_new_york).get(channel="sms")
    assert sms.send_after <= MORNING_IN_SHANGHAI + timedelta(hours=11)
    assert _tips(in_shanghai).count() == 2


def test_the_period_and_its_topic_are_the_same_for_every_day_in_it():
    first, topic = services.tips_period(MORNING_IN_SHANGHAI.date(), days=30)
    assert first <= MORNING_IN_SHANGHAI.date() < first + timedelta(days=30)
    for offset in range(30):
        assert services.tips_period(first + timedelta(days=offset), days=30) == (first, topic)
    assert services.tips_period(first + timedelta(days=30), days=30)[1] != topic


def test_beat_runs_the_job_every_hour():
    from config.beat import BEAT_SCHEDULE

    entry = BEAT_SCHEDULE["credit.send_risk_tips"]
    assert entry["task"] == send_risk_tips.name == "credit.send_risk_tips"
    assert entry["schedule"].hour == set(range(24))
