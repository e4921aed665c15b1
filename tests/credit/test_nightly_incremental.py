"""The incremental nightly pass against the full recomputation from events: twin lines with the
same events, one pair of lines per story, night after night with time travel (across the days
applications leave their 30/60/90-day windows and instalments fall due), give the same
decisions; and the incremental pass scores only the lines whose look has come."""

from collections import Counter
from datetime import date, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction

from credit import selectors, services
from credit.ingestion.services import credit_events_ingest
from credit.models import (
    CreditDecision,
    CreditLine,
    EvaluationTally,
    LineFeatureState,
    LineLook,
)
from notifications.models import Notification
from tests.credit.factories import at
from tests.credit.ingestion_factories import borrower_with_line

T0 = at(date(2026, 3, 20), 12)


def _repayments(customer, *, late=(), months=10, first=date(2025, 5, 10)):
    items = []
    for n in range(months):
        month = first.month - 1 + n
        due = date(first.year + month // 12, month % 12 + 1, 10)
        paid = at(due + timedelta(days=6 if n in late else 0), 9)
        items.append(
            {
                "kind": "repayment",
                "occurred_at": paid.isoformat(),
                "data": {
                    "due_date": due.isoformat(),
                    "paid_at": paid.isoformat(),
                    "amount": "1000.00",
                },
            }
        )
    return items


def _story(name: str, now):
    """The events of one story, as upstream sends them (no customer id yet)."""
    base = [
        *_repayments(name),
        {
            "kind": "bureau_score",
            "occurred_at": (now - timedelta(days=40)).isoformat(),
            "data": {"score": 700},
        },
        {
            "kind": "income_verified",
            "occurred_at": (now - timedelta(days=200)).isoformat(),
            "data": {"monthly_income": "12000"},
        },
    ]
    if name == "multi_lender":
        for p in range(3):
            when = now - timedelta(days=20 - 4 * p)
            base.append(
                {
                    "kind": "external_loan_application",
                    "occurred_at": when.isoformat(),
                    "data": {"platform": f"P{p}"},
                }
            )
            base.append(
                {
                    "kind": "external_loan_opened",
                    "occurred_at": when.isoformat(),
                    "data": {"platform": f"P{p}", "loan_id": "1", "amount": "9000"},
                }
            )
    elif name == "overdue_elsewhere":
        base.append(
            {
                "kind": "external_overdue",
                "occurred_at": (now - timedelta(days=300)).isoformat(),
                "data": {"days_past_due": 95, "amount": "900", "platform": "PX"},
            }
        )
    elif name == "late":
        base = [*_repayments(name, late={6, 8, 9}), *base[10:]]
    return base


STORIES = ("clean", "multi_lender", "overdue_elsewhere", "late")


def _ingest(customer: str, items, tag: str):
    report = credit_events_ingest(
        items=[
            {
                "source": "core",
                "external_id": f"{customer}-{tag}-{i}",
                "customer_id": customer,
                **it,
            }
            for i, it in enumerate(items)
        ],
        origin="test",
    )
    assert report.counts["accepted"] == len(items)


def _clean_lines(prefix: str, count: int) -> list[int]:
    """`count` borrowers' lines with the clean story ingested (ids in order)."""
    lines = []
    for n in range(count):
        borrower = borrower_with_line(customer_id=f"{prefix}-{n}")
        _ingest(borrower.customer_id, _story("clean", T0), "a")
        lines.append(CreditLine.objects.get(borrower=borrower).pk)
    return lines


def _decisions(line_id: int) -> list[tuple]:
    return [
        (
            d.created_at,
            d.outcome,
            d.score,
            d.old_status,
            d.new_status,
            d.old_limit,
            d.new_limit,
            d.effective_at,
            d.closing_effective_at,
            d.features,
            tuple(r.reason_code.code for r in d.reasons.order_by("rank")),
        )
        for d in CreditDecision.objects.filter(line_id=line_id).order_by("created_at", "id")
    ]


def _tallied(since_id: int) -> dict:
    """The monitoring tally written after row `since_id`, added up per segment."""
    totals: dict = {}
    for tally in EvaluationTally.objects.filter(id__gt=since_id):
        group = totals.setdefault(tally.segment, [0, 0, Counter(), Counter(), Counter()])
        group[0] += tally.evaluated
        group[1] += tally.adverse
        for index, field in ((2, "scores"), (3, "knockouts"), (4, "reasons")):
            group[index].update(getattr(tally, field))
    return totals


def _last_tally_id() -> int:
    return EvaluationTally.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _night(incremental_ids, full_ids):
    """One night of each pass; returns what each told the daily monitoring."""
    mark = _last_tally_id()
    services.credit_lines_reevaluate(
        line_ids=incremental_ids, trigger="periodic", incremental=True, keep_decisions=False
    )
    incremental = _tallied(mark)
    mark = _last_tally_id()
    services.credit_lines_reevaluate(line_ids=full_ids, trigger="periodic", keep_decisions=False)
    return incremental, _tallied(mark)


@pytest.mark.django_db
def test_night_after_night_both_passes_decide_the_same():
    with time_machine.travel(T0, tick=False) as clock:
        twins = {}
        for story in STORIES:
            pair = []
            for side in ("inc", "full"):
                borrower = borrower_with_line(customer_id=f"{story}-{side}")
                _ingest(borrower.customer_id, _story(story, T0), "a")
                pair.append(CreditLine.objects.get(borrower=borrower).pk)
            twins[story] = pair
        inc = [pair[0] for pair in twins.values()]
        full = [pair[1] for pair in twins.values()]
        # Ingestion made a state row for each new line (built from the events by the first
        # pass) and marked its look due; no line has been looked at, so each is due.
        assert LineFeatureState.objects.filter(line_id__in=inc).count() == len(inc)
        assert set(
            LineLook.objects.filter(line_id__in=inc, looked_at__isnull=True).values_list(
                "line", flat=True
            )
        ) == set(inc)

        scored_by_night = []
        nights = (0, 1, 2, 11, 12, 17, 21, 40, 50, 75, 80, 95, 120, 200, 400)
        for day in nights:
            clock.move_to(T0 + timedelta(days=day))
            if day == 50:
                # New events for two stories (both twins), arriving between nights.
                for story, tag in (("clean", "b"), ("late", "b")):
                    extra = [
                        {
                            "kind": "external_loan_application",
                            "occurred_at": (T0 + timedelta(days=49)).isoformat(),
                            "data": {"platform": "Q"},
                        },
                        {
                            "kind": "bureau_score",
                            "occurred_at": (T0 + timedelta(days=49)).isoformat(),
                            "data": {"score": 560},
                        },
                    ]
                    for side in ("inc", "full"):
                        _ingest(f"{story}-{side}", extra, tag)
                # The built states took the new events in, in the events' transaction.
                state = LineFeatureState.objects.get(line_id=twins["clean"][0])
                assert state.folded_at == T0 + timedelta(days=50)
                assert ["bureau_score", (T0 + timedelta(days=49)).isoformat(), {"score": 560}] in (
                    state.facts
                )
            before = dict(LineLook.objects.filter(line_id__in=inc).values_list("line", "looked_at"))
            tally_inc, tally_full = _night(inc, full)
            # The monitoring figures agree too: lines not scored count as last found.
            assert tally_inc == tally_full, day
            after = dict(LineLook.objects.filter(line_id__in=inc).values_list("line", "looked_at"))
            scored_by_night.append(sum(1 for i in inc if after.get(i) != before.get(i)))
            for story, (a, b) in twins.items():
                assert _decisions(a) == _decisions(b), (story, day)

    # The multi-lender's closure was scheduled, then called off once the applications had aged
    # out of the 30-day window, with no new event: only the clock changed it.
    multi = _decisions(twins["multi_lender"][0])
    assert [d[1] for d in multi[:2]] == ["schedule_closure", "reinstate"]
    assert T0 + timedelta(days=12) < multi[1][0] <= T0 + timedelta(days=21)
    assert any(d[0] > T0 for pair in twins.values() for d in _decisions(pair[0]))
    # The first night scores every line; on quiet nights the incremental pass scores few.
    assert scored_by_night[0] == len(inc)
    assert scored_by_night[1] == 0
    assert min(scored_by_night) == 0 and sum(scored_by_night) < len(nights) * len(inc)
    # Both told the borrowers the same number of times.
    told = {
        side: Notification.objects.filter(recipient__customer_id__endswith=f"-{side}").count()
        for side in ("inc", "full")
    }
    assert told["inc"] == told["full"] > 0


@pytest.mark.django_db
def test_a_new_rules_version_or_a_changed_line_makes_the_line_due():
    with time_machine.travel(T0, tick=False):
        borrower = borrower_with_line(customer_id="rules-1")
        _ingest(borrower.customer_id, _story("clean", T0), "a")
        line = CreditLine.objects.get(borrower=borrower)
        services.credit_lines_reevaluate(line_ids=[line.pk], trigger="periodic", incremental=True)
        look = LineLook.objects.get(line=line)
        assert look.next_look_at > T0
        assert selectors.line_ids_due_for_look([line.pk], rules_key=look.rules_key, now=T0) == []
        assert selectors.line_ids_due_for_look([line.pk], rules_key="s9.9/p9.9", now=T0) == [
            line.pk
        ]
        # A line changed since its look (staff, a closure taking effect) is looked at again.
        CreditLine.objects.filter(pk=line.pk).update(updated_at=T0 + timedelta(seconds=1))
        assert selectors.line_ids_due_for_look([line.pk], rules_key=look.rules_key, now=T0) == [
            line.pk
        ]


@pytest.mark.django_db
def test_a_line_with_new_events_is_scored_the_next_night_through_the_look_ingestion_set():
    """The nightly scan reads no kept facts: a line with new events is due only because the
    ingestion that stored them set its look to their arrival, in their transaction."""
    with time_machine.travel(T0, tick=False):
        borrower = borrower_with_line(customer_id="marked-1")
        _ingest(borrower.customer_id, _story("clean", T0), "a")
        line = CreditLine.objects.get(borrower=borrower)
        services.credit_lines_reevaluate(line_ids=[line.pk], trigger="periodic", incremental=True)
        look = LineLook.objects.get(line=line)
        assert look.next_look_at > T0 + timedelta(days=1)  # nothing planned before tomorrow
        line.refresh_from_db()
    arrival = T0 + timedelta(hours=3)
    with time_machine.travel(arrival, tick=False):
        _ingest(
            borrower.customer_id,
            [
                {
                    "kind": "external_overdue",
                    "occurred_at": (arrival - timedelta(hours=1)).isoformat(),
                    "data": {"days_past_due": 95, "amount": "900.00", "platform": "PX"},
                }
            ],
            "b",
        )
    marked = LineLook.objects.get(line=line)
    assert marked.next_look_at == arrival
    # Nothing else makes it due: same rules, the line untouched since its look.
    assert (marked.rules_key, marked.line_updated_at) == (look.rules_key, line.updated_at)
    assert CreditLine.objects.get(pk=line.pk).updated_at == line.updated_at
    night = T0 + timedelta(hours=12)
    with time_machine.travel(night, tick=False):
        due, _ = selectors.lines_due_and_verdicts_not_due(rules_key=look.rules_key, now=night)
        assert due == [line.pk]
        summary = services.credit_lines_reevaluate(
            line_ids=due, trigger="periodic", incremental=True, now=night
        )
    assert summary.changed == 1  # the serious overdue elsewhere, from the kept facts
    assert LineLook.objects.get(line=line).looked_at == night
    assert LineLook.objects.get(line=line).next_look_at > night


@pytest.mark.django_db
def test_a_mark_made_while_the_pass_scores_the_line_outlives_the_pass():
    """Events stored after the pass read a line's facts (it began before they came) leave the
    line due for the next pass: recording the look keeps ingestion's later mark."""
    from django.db import connection

    from credit.services import feature_state

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: no ingestion runs during a pass")
    with time_machine.travel(T0, tick=False):
        borrower = borrower_with_line(customer_id="marked-2")
        _ingest(borrower.customer_id, _story("clean", T0), "a")
        line = CreditLine.objects.get(borrower=borrower)
        services.credit_lines_reevaluate(line_ids=[line.pk], trigger="periodic", incremental=True)
        look = LineLook.objects.get(line=line)
    pass_began = T0 + timedelta(hours=12)
    feature_state.looks_mark_due([line.pk], at=pass_began + timedelta(minutes=5))
    with time_machine.travel(pass_began + timedelta(minutes=10), tick=False):
        feature_state.looks_record(
            [(line.pk, pass_began + timedelta(days=30), look.line_updated_at, look.verdict)],
            rules_key=look.rules_key,
            now=pass_began,
        )
    assert LineLook.objects.get(line=line).next_look_at == pass_began + timedelta(minutes=5)
    # A look planned before the pass began is replaced as usual.
    with time_machine.travel(pass_began + timedelta(minutes=10), tick=False):
        feature_state.looks_record(
            [(line.pk, pass_began + timedelta(days=30), look.line_updated_at, look.verdict)],
            rules_key=look.rules_key,
            now=pass_began + timedelta(minutes=6),
        )
    assert LineLook.objects.get(line=line).next_look_at == pass_began + timedelta(days=30)


@pytest.mark.django_db
def test_the_nightly_scan_finds_the_due_lines_and_tallies_the_others_as_the_two_queries():
    """The batch's one scan of every line gives the due ids the per-chunk check gives and the
    last verdicts of exactly the others: each way a line becomes due is covered."""
    with time_machine.travel(T0, tick=False):
        lines = []
        for n, story in enumerate(("clean", "clean", "multi_lender", "clean", "clean")):
            borrower = borrower_with_line(customer_id=f"scan-{n}")
            _ingest(borrower.customer_id, _story(story, T0), "a")
            lines.append(CreditLine.objects.get(borrower=borrower).pk)
        services.credit_lines_reevaluate(
            line_ids=lines[:4], trigger="periodic", incremental=True, keep_decisions=False
        )
        key = LineLook.objects.get(line_id=lines[0]).rules_key
    later = T0 + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        # New events (folded after the look); the line changed since; never looked at (4).
        _ingest(
            "scan-1",
            [{"kind": "bureau_score", "occurred_at": later.isoformat(), "data": {"score": 640}}],
            "b",
        )
        CreditLine.objects.filter(pk=lines[3]).update(updated_at=later)
        due, counted = selectors.lines_due_and_verdicts_not_due(rules_key=key, now=later)
        assert due == selectors.line_ids_due_for_look(None, rules_key=key, now=later)
        # The scan of every line (the looks alone, on PostgreSQL) and the chunk's check (each
        # line joined to its look) agree.
        assert due == selectors.line_ids_due_for_look(lines, rules_key=key, now=later)
        assert due == [lines[1], lines[3], lines[4]]
        assert sorted(map(str, counted)) == sorted(
            map(str, selectors.verdicts_of_lines_not_due(rules_key=key, now=later))
        )
        assert sum(count for _, count in counted) == 2  # lines 0 and 2, as last found
        # Another rules version: every line is due, none is tallied.
        due, counted = selectors.lines_due_and_verdicts_not_due(rules_key="s9.9/p9.9", now=later)
        assert due == sorted(lines)
        assert counted == []


@pytest.mark.django_db
def test_every_line_has_a_look_carrying_its_stamp_whoever_writes_the_line():
    """On PostgreSQL the scan of every line reads the looks alone: triggers on the line table
    give a new line a look that is due, and copy each new `updated_at` onto the line's look,
    whether the ORM, a bulk update or SQL from outside Django wrote it. A look's verdict is
    kept in one spelling, so the lines last found alike are tallied as one group."""
    from django.db import connection

    from credit.models.features import VerdictField

    if connection.vendor != "postgresql":
        pytest.skip("the triggers are PostgreSQL's; elsewhere the scan joins lines and looks")
    with time_machine.travel(T0, tick=False):
        lines = []
        for n in range(4):
            borrower = borrower_with_line(customer_id=f"stamp-{n}")
            _ingest(borrower.customer_id, _story("clean", T0), "a")
            lines.append(CreditLine.objects.get(borrower=borrower))
        ids = [line.pk for line in lines]
        for line in lines:  # never looked at: due
            look = LineLook.objects.get(line=line)
            assert (look.line_changed_at, look.line_updated_at) == (line.updated_at, None)
        key = selectors.rules_key(selectors.active_rules())
        assert selectors.line_ids_due_for_look(None, rules_key=key, now=T0) == ids
        services.credit_lines_reevaluate(
            line_ids=ids, trigger="periodic", incremental=True, keep_decisions=False
        )
        due, counted = selectors.lines_due_and_verdicts_not_due(rules_key=key, now=T0)
        assert due == []
        assert len(counted) == 1 and counted[0][1] == 4  # four lines, one verdict
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT verdict FROM {LineLook._meta.db_table} WHERE line_id = ANY(%s)",
                [ids],
            )
            assert cursor.fetchall() == [(VerdictField.dumps(counted[0][0]),)]
    later = T0 + timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        CreditLine.objects.filter(pk__in=ids[:2]).update(updated_at=later)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {CreditLine._meta.db_table} SET updated_at = %s WHERE id = %s",
                [later + timedelta(seconds=1), ids[2]],
            )
        # A write that leaves `updated_at` as it was is not a change the scan sees, as before.
        CreditLine.objects.filter(pk=ids[3]).update(balance=10)
        due, counted = selectors.lines_due_and_verdicts_not_due(rules_key=key, now=later)
        assert due == ids[:3]
        assert due == selectors.line_ids_due_for_look(ids, rules_key=key, now=later)
        assert [count for _, count in counted] == [1]
        assert LineLook.objects.get(line_id=ids[2]).line_changed_at == later + timedelta(seconds=1)


@pytest.mark.django_db
def test_the_look_a_new_line_gets_is_not_taken_for_a_mark_made_while_a_pass_ran():
    """A pass that began before a line was written records the line's next look all the same:
    the look the trigger gave the new line is due since long before any pass."""
    from credit.services import feature_state

    with time_machine.travel(T0, tick=False):
        line = CreditLine.objects.get(borrower=borrower_with_line(customer_id="new-look"))
        feature_state.looks_record(
            [(line.pk, T0 + timedelta(days=30), line.updated_at, {"outcome": "keep"})],
            rules_key="s1.1/p1.1",
            now=T0 - timedelta(minutes=1),
        )
    look = LineLook.objects.get(line=line)
    assert (look.next_look_at, look.verdict) == (T0 + timedelta(days=30), {"outcome": "keep"})


@pytest.mark.django_db
def test_a_line_whose_look_is_gone_is_scored_by_the_nightly_batch_not_counted_as_settled(
    settings, sent_notices, caplog
):
    """The batch counts the lines it does not score as settled; a line the scan of the looks
    cannot see (its look deleted by hand, or written with triggers off) is due instead, and
    the pass gives it its look back."""
    from django.test import TestCase

    from credit import tasks
    from jobs.models import QueuedJob

    settings.CREDIT_REEVALUATION_CHUNK_SIZE = 10
    with time_machine.travel(T0, tick=False) as clock:
        lines = _clean_lines("gone", 3)
        with TestCase.captureOnCommitCallbacks(execute=True):
            assert tasks.reevaluate_all_lines() == 1
        LineLook.objects.filter(line_id=lines[1]).delete()
        clock.move_to(T0 + timedelta(days=1))
        queued = QueuedJob.objects.count()
        with TestCase.captureOnCommitCallbacks(execute=True):
            assert tasks.reevaluate_all_lines() == 1
        assert [job.args[0] for job in QueuedJob.objects.order_by("id")[queued:]] == [[lines[1]]]
        assert "1 line(s) had no look" in caplog.text
        assert LineLook.objects.get(line_id=lines[1]).looked_at == T0 + timedelta(days=1)


@pytest.mark.django_db
def test_reevaluate_from_events_rebuilds_the_kept_facts():
    with time_machine.travel(T0, tick=False):
        borrower = borrower_with_line(customer_id="rebuild-1")
        _ingest(borrower.customer_id, _story("multi_lender", T0), "a")
        line = CreditLine.objects.get(borrower=borrower)
        services.credit_lines_reevaluate(line_ids=[line.pk], trigger="periodic", incremental=True)
        kept = LineFeatureState.objects.get(line=line).facts
        assert len(kept) == 18  # 10 instalments, a score, an income, 3 applications, 3 loans
        LineFeatureState.objects.filter(line=line).update(facts=[])
        call_command("reevaluate", "--all", "--from-events", "--no-progress")
        assert LineFeatureState.objects.get(line=line).facts == kept
        assert LineLook.objects.get(line=line).next_look_at <= T0
        assert CreditDecision.objects.filter(line=line).count() == 1  # decided once


@pytest.mark.django_db(transaction=True)
def test_the_nightly_batch_records_the_looks_of_the_lines_it_leaves_as_they_are(sent_notices):
    """Every chunk of the nightly batch stages until the breaker decides on the whole batch;
    a line with nothing to change is looked at all the same, or every line would be scored
    again every night."""
    from credit import tasks

    with time_machine.travel(T0, tick=False):
        clean = borrower_with_line(customer_id="batch-clean")
        _ingest(clean.customer_id, _story("clean", T0), "a")
        changing = borrower_with_line(customer_id="batch-multi")
        _ingest(changing.customer_id, _story("multi_lender", T0), "a")
        tasks.reevaluate_all_lines()
        kept = CreditLine.objects.get(borrower=clean)
        look = LineLook.objects.get(line=kept)
        assert selectors.line_ids_due_for_look([kept.pk], rules_key=look.rules_key, now=T0) == []
        # The line the batch changed is looked at again on the next pass, once applied.
        assert CreditDecision.objects.filter(line__borrower=changing).exists()


class _Undo(Exception):
    pass


@pytest.mark.django_db
def test_a_quiet_nightly_batch_chunks_only_the_due_lines_and_counts_the_rest(
    settings, sent_notices
):
    """The batch selects the due lines once and queues chunks of those only; the lines left as
    they are count into the batch (the breaker weighs every line) and into the monitoring
    tally as last found, as when every chunk of every line was queued and found them."""
    from django.test import TestCase

    from credit import tasks
    from credit.models import EvaluationBatch, EvaluationBatchChunk
    from jobs.models import QueuedJob

    settings.CREDIT_REEVALUATION_CHUNK_SIZE = 2
    with time_machine.travel(T0, tick=False) as clock:
        lines = _clean_lines("quiet", 5)
        with TestCase.captureOnCommitCallbacks(execute=True):
            assert tasks.reevaluate_all_lines() == 3  # the first night: every line is due
        clock.move_to(T0 + timedelta(days=1))
        _ingest(
            "quiet-3",
            [
                {
                    "kind": "bureau_score",
                    "occurred_at": (T0 + timedelta(hours=20)).isoformat(),
                    "data": {"score": 640},
                }
            ],
            "b",
        )
        # What the chunks of every line would have told the monitoring (undone).
        try:
            with transaction.atomic():
                mark = _last_tally_id()
                services.credit_lines_reevaluate(
                    line_ids=lines, trigger="periodic", incremental=True, keep_decisions=False
                )
                every_chunk = _tallied(mark)
                raise _Undo
        except _Undo:
            pass
        mark, queued = _last_tally_id(), QueuedJob.objects.count()
        with TestCase.captureOnCommitCallbacks(execute=True):
            assert tasks.reevaluate_all_lines() == 1
        batch = EvaluationBatch.objects.latest("id")
        assert [job.args[0] for job in QueuedJob.objects.order_by("id")[queued:]] == [[lines[3]]]
        counted = dict(
            EvaluationBatchChunk.objects.filter(batch=batch).values_list("first_line_id", "lines")
        )
        assert counted == {0: 4, lines[3]: 1}
        assert (batch.state, batch.lines_evaluated, batch.lines_total) == ("completed", 5, 5)
        assert _tallied(mark) == every_chunk
        assert every_chunk[""][0] == 5
        # A night with nothing due queues nothing and completes the batch at once.
        clock.move_to(T0 + timedelta(days=2, hours=-23))
        with TestCase.captureOnCommitCallbacks(execute=True):
            assert tasks.reevaluate_all_lines() == 0
        assert EvaluationBatch.objects.latest("id").state == "completed"
