"""Risk tips: once per period, to each borrower who turned tips on, outside quiet hours.

Tips are opt-in (the `tips` category is off until the borrower turns a channel on), so the
job starts from the borrowers who did. A borrower told in the last period is left alone (the
frequency cap), and the period is also the message's once-only key, so a second run, or two
workers at once, write nothing new. A borrower whose local time is inside quiet hours is left
for a later run (the job runs hourly): a tip is never worth waking anyone for, by any channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from accounts.localtime import user_zone
from notifications.models import Notification, Preference
from notifications.services.outbox import quiet_hours

from .. import notices

TIP_EVENT = "tips.risk_reminder"
TIPS_CATEGORY = "tips"


@dataclass(frozen=True)
class TipsSummary:
    period: date
    topic: str
    sent: int  # borrowers told now
    waiting_quiet_hours: int  # opted in and due, but asleep: the next run tells them
    messages: int  # outbox rows written (one per channel the borrower turned on)


def tips_period(today: date, *, days: int) -> tuple[date, str]:
    """The period `today` falls in (its first day) and the topic of that period: periods of
    `days` days counted from day 1 of the calendar, the topics taken in turn."""
    index = today.toordinal() // days
    topics = notices.TIP_TOPICS
    return date.fromordinal(max(index * days, 1)), topics[index % len(topics)]


def risk_tips_send(*, now: datetime | None = None) -> TipsSummary:
    """Send this period's tip to every borrower who turned tips on and was not sent one in
    the last `CREDIT_TIPS_PERIOD_DAYS` days, in their language, unless it is quiet hours
    where they live. Each borrower's messages are written in their own transaction."""
    now = now or timezone.now()
    days = settings.CREDIT_TIPS_PERIOD_DAYS
    period, topic = tips_period(timezone.localdate(now), days=days)
    opted_in = Preference.objects.filter(user=OuterRef("pk"), category=TIPS_CATEGORY, enabled=True)
    told_lately = Notification.objects.filter(
        recipient=OuterRef("pk"), event=TIP_EVENT, created_at__gt=now - timedelta(days=days)
    )
    due = (
        get_user_model()
        .objects.filter(is_staff=False, is_active=True)
        .filter(Exists(opted_in))
        .exclude(Exists(told_lately))
        .order_by("pk")
    )
    quiet = quiet_hours()
    link = reverse("help")
    sent = waiting = messages = 0
    for borrower in due.iterator(chunk_size=500):
        if quiet.contains(now.astimezone(user_zone(borrower)).time()):
            waiting += 1
            continue
        written = notices.send_risk_tip(
            recipient=borrower, topic=topic, period=period.isoformat(), link=link
        )
        sent += bool(written)
        messages += written
    return TipsSummary(
        period=period, topic=topic, sent=sent, waiting_quiet_hours=waiting, messages=messages
    )
