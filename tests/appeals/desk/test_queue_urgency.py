"""Issue 11: the default queue's urgency order at scale. The database stores each appeal's
nearest running clock (clock_due) and whether a borrower's reply waits (reply_rank), so the
queue is read off indexes: the pages UrgencyPaginator builds from two index scans are the
same rows, in the same order, as sorting the whole queue."""

from datetime import timedelta

import pytest
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from appeals import services
from appeals.desk.queue import URGENCY_ORDER, UrgencyPaginator
from appeals.models import BEING_WORKED_STATES, Appeal
from appeals.selectors import breached_q
from tests.appeals import factories as f
from tests.appeals.desk.test_case import signed_in

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:appeals_appeal_changelist"


def _old_breached(now):
    """The rule as it read before the stored column (issue 11's first pass)."""
    return (
        Q(
            status__in=["submitted", "in_review"],
            first_responded_at__isnull=True,
            first_response_due__lt=now,
        )
        | Q(status__in=["submitted", "in_review"], resolution_due__lt=now)
        | Q(status="second_review", second_review_due__lt=now)
    )


@pytest.fixture
def queue():
    """Appeals in every clock condition, due times set straight in the database (the
    stored columns follow any write, a queryset update included)."""
    now = timezone.now()
    worker = f.agent()
    made = {}

    def put(name, appeal, **fields):
        Appeal.objects.filter(pk=appeal.pk).update(**fields)
        made[name] = appeal.pk

    put("decision_late", f.in_review_appeal(worker=worker), resolution_due=now - timedelta(hours=2))
    put(
        "reply_late",
        f.submitted_appeal(),
        first_response_due=now - timedelta(hours=1),
        resolution_due=now + timedelta(days=9),
    )
    put(
        "answered_late_reply_ok",
        f.in_review_appeal(worker=worker),
        first_response_due=now - timedelta(days=1),
        first_responded_at=now - timedelta(days=2),
        resolution_due=now + timedelta(days=3),
    )
    put("paused_past", f.awaiting_appeal(worker=worker), resolution_due=now - timedelta(days=1))
    for days in (1, 4, 7):
        put(
            f"due_{days}",
            f.in_review_appeal(worker=worker),
            resolution_due=now + timedelta(days=days),
            first_responded_at=now,
        )
    replied = f.awaiting_appeal(worker=worker)
    services.appeal_borrower_message(appeal=replied, actor=replied.borrower, body="已上传")
    put("replied", replied, resolution_due=now + timedelta(days=10), first_responded_at=now)
    denied = f.denied_appeal()
    second = services.appeal_request_second_review(
        appeal=denied, actor=denied.borrower, statement="请复核"
    )
    put("second_late", second, second_review_due=now - timedelta(minutes=5))
    put("closed_past", f.denied_appeal(), resolution_due=now - timedelta(days=30))
    return made, worker


def test_the_stored_clock_says_breached_exactly_as_the_rule_did(queue):
    made, _worker = queue
    now = timezone.now()
    new = set(Appeal.objects.filter(breached_q(now)).values_list("pk", flat=True))
    old = set(Appeal.objects.filter(_old_breached(now)).values_list("pk", flat=True))
    assert new == old
    assert new == {made["decision_late"], made["reply_late"], made["second_late"]}


@pytest.mark.parametrize("per_page", [1, 2, 3, 4, 50])
def test_the_pages_read_off_the_indexes_are_the_sorted_queue(queue, per_page):
    made, _worker = queue
    now = timezone.now()
    worked = Appeal.objects.filter(status__in=list(BEING_WORKED_STATES))

    expected = list(
        worked.order_by(
            Case(
                When(breached_q(now), then=Value(0)), default=Value(1), output_field=IntegerField()
            ),
            Case(When(breached_q(now), then=F("clock_due"))).asc(nulls_last=True),
            *URGENCY_ORDER,
        ).values_list("pk", flat=True)
    )
    paginator = UrgencyPaginator(worked.order_by("pk"), per_page)
    paginator.tiered = True
    paged = [a.pk for n in paginator.page_range for a in paginator.page(n).object_list]
    assert paged == expected
    names = [{pk: name for name, pk in made.items()}[pk] for pk in paged]
    # Breached, the longest overdue first: 2 hours, 1 hour, 5 minutes.
    assert names[:3] == ["decision_late", "reply_late", "second_late"]
    assert names[3:] == [
        "replied",  # a reply waits: before any due time
        "paused_past",  # paused, so not breached, but its decision date is nearest
        "due_1",
        "answered_late_reply_ok",  # first response given: only the decision's clock counts
        "due_4",
        "due_7",
    ]


def test_the_queue_page_puts_breached_first_and_a_column_sort_still_works(client, queue):
    made, worker = queue
    client = signed_in(client, worker)
    response = client.get(reverse(CHANGELIST))
    shown = [a.pk for a in response.context["cl"].result_list]
    assert set(shown[:3]) == {made["decision_late"], made["reply_late"], made["second_late"]}
    # A column sort (here: by appeal, newest first) is the person's order, not urgency.
    cl = response.context["cl"]
    column = next(i for i, name in enumerate(cl.list_display) if name == "reference_col")
    response = client.get(reverse(CHANGELIST), {"o": f"-{column}"})
    cl = response.context["cl"]
    shown = [a.pk for a in cl.result_list]
    assert shown == sorted(shown, reverse=True) and not cl.paginator.tiered
