"""Re-evaluation benchmark: the project's batch path against a raw-SQL baseline.

Seeds N credit lines with realistic events in a database of its own, then times
1. a baseline: raw SQL reads of the lines and their events per chunk, the same pure engine,
   one bulk INSERT of the changed lines' decisions into a scratch table;
2. the full re-score a new scorecard or policy version causes: the incremental nightly pass
   (`credit_lines_reevaluate(..., incremental=True)`) with every line due, from kept facts,
   notices rendered and written in the chunk (locks, latest decisions, FSM transitions, bulk
   writes, reasons, notices);
3. the next quiet night, after new events for 5% of the lines came in through ingestion;
4. a policy campaign pausing every line still active (bench/campaign.py);
and prints lines/s for each and the ratios to the baseline. Results go to docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bench import campaign, counterfactuals
from bench.common import commit, machine, own_database, record_rows, setup_django

SCALES = {"quick": 5_000, "full": 1_000_000}
CHUNK = 1000
# The counterfactual figure is four rolled-back passes from every event: over the first
# 20,000 lines at most (every line at quick scale), so a full run stays within an hour.
CF_CHUNKS = 20
# The incremental nightly pass has a section of its own (its table has other columns); the
# section before it keeps the runs of the pass that read every event every night.
START, END = "<!-- bench:nightly:start -->", "<!-- bench:nightly:end -->"


# --- Seeding ------------------------------------------------------------------------------


def _seed(n: int, now: datetime) -> None:
    """N borrowers and lines; ~13 events each. About 15% borrow at three platforms in the
    last weeks (closure), 5% were overdue elsewhere, the rest are clean."""
    from django.db import connection, transaction

    from accounts.models import User
    from credit.models import CreditEvent, CreditLine

    rng = random.Random(20251205)  # noqa: S311 - reproducible test data, not secrets
    batch = 5000
    for start in range(0, n, batch):
        size = min(batch, n - start)
        with transaction.atomic():
            users = User.objects.bulk_create(
                [
                    User(
                        email=f"bench{start + i}@bench.example",
                        full_name=f"Bench {start + i}",
                        customer_id=f"B-{start + i:08d}",
                        password="!",
                    )
                    for i in range(size)
                ]
            )
            lines = CreditLine.objects.bulk_create(
                [
                    CreditLine(
                        borrower=user,
                        credit_limit=Decimal(rng.choice((10000, 20000, 30000, 50000))),
                        balance=Decimal(rng.randrange(0, 8000)),
                        opened_at=now - timedelta(days=rng.randrange(200, 1400)),
                    )
                    for user in users
                ]
            )
            rows = []
            for line in lines:
                rows.extend(_events_for(line.pk, rng, now))
            if connection.vendor == "postgresql":
                _copy_events(rows)
            else:
                CreditEvent.objects.bulk_create(
                    [
                        CreditEvent(
                            line_id=line_id,
                            source="bench",
                            external_id=ext,
                            kind=kind,
                            occurred_at=when,
                            received_at=when,
                            data=data,
                        )
                        for line_id, ext, kind, when, data in rows
                    ],
                    batch_size=2000,
                )
        print(f"  seeded {start + size:,}/{n:,} lines", end="\r", flush=True)
    print()
    # Fresh statistics, as a database that has lived with this data would have: without
    # them the planner scans every event for each chunk.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _copy_events(rows) -> None:
    from django.db import connection

    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            "COPY credit_creditevent (line_id, source, external_id, kind, occurred_at,"
            " received_at, data) FROM STDIN"
        ) as copy,
    ):
        for line_id, ext, kind, when, data in rows:
            copy.write_row((line_id, "bench", ext, kind, when, when, json.dumps(data)))


def _events_for(line_id: int, rng: random.Random, now: datetime):
    today = now.date()
    rows = []
    for i in range(10, 0, -1):
        month = today.month - 1 - i
        due = date(today.year + month // 12, month % 12 + 1, 10)
        late = rng.random() < 0.04
        paid = datetime(due.year, due.month, due.day, 2, tzinfo=UTC) + timedelta(
            days=6 if late else 0
        )
        rows.append(
            (
                line_id,
                f"{line_id}-r{i}",
                "repayment",
                paid,
                {"due_date": due.isoformat(), "paid_at": paid.isoformat(), "amount": "1000.00"},
            )
        )
    rows.append(
        (
            line_id,
            f"{line_id}-b",
            "bureau_score",
            now - timedelta(days=40),
            {"score": rng.randrange(560, 820)},
        )
    )
    rows.append(
        (
            line_id,
            f"{line_id}-i",
            "income_verified",
            now - timedelta(days=300),
            {"monthly_income": str(rng.randrange(6000, 30000))},
        )
    )
    roll = rng.random()
    if roll < 0.15:
        for p in range(3):
            when = now - timedelta(days=20 - 5 * p)
            rows.append(
                (
                    line_id,
                    f"{line_id}-a{p}",
                    "external_loan_application",
                    when,
                    {"platform": f"P{p}"},
                )
            )
            rows.append(
                (
                    line_id,
                    f"{line_id}-o{p}",
                    "external_loan_opened",
                    when,
                    {"platform": f"P{p}", "loan_id": "1", "amount": "5000.00"},
                )
            )
    elif roll < 0.20:
        rows.append(
            (
                line_id,
                f"{line_id}-d",
                "external_overdue",
                now - timedelta(days=30),
                {"days_past_due": rng.choice((15, 45, 95)), "amount": "900.00", "platform": "PX"},
            )
        )
    return rows


# --- The two timed runs -------------------------------------------------------------------


def _aware(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


LINES_SQL = (
    "SELECT id, opened_at, credit_limit, balance, status FROM credit_creditline"
    " WHERE id IN ({marks})"
)
EVENTS_SQL = (
    "SELECT line_id, kind, occurred_at, data FROM credit_creditevent"
    " WHERE line_id IN ({marks}) AND occurred_at <= %s"
)


def _baseline(chunks, as_of: datetime) -> int:
    """Raw SQL reads, the same engine, one bulk INSERT per chunk. Returns decisions written."""
    from django.db import connection, transaction

    from credit import engine, selectors

    rules = selectors.active_rules()
    buffers = selectors.reason_buffer_days()
    written = 0
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_baseline_decision")
        cursor.execute(
            "CREATE TABLE bench_baseline_decision (line_id bigint, outcome varchar(20),"
            " score integer, new_status varchar(16), new_limit numeric(12, 2),"
            " features text, reasons text)"
        )
    for chunk in chunks:
        marks = ",".join(["%s"] * len(chunk))  # only placeholders go into the SQL text
        lines_sql = LINES_SQL.format(marks=marks)
        events_sql = EVENTS_SQL.format(marks=marks)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(lines_sql, chunk)
            lines = cursor.fetchall()
            cursor.execute(events_sql, [*chunk, as_of])
            events = defaultdict(list)
            for line_id, kind, occurred_at, data in cursor.fetchall():
                if isinstance(data, str):
                    data = json.loads(data)
                events[line_id].append((kind, _aware(occurred_at), data))
            rows = []
            for line_id, opened_at, limit, balance, status in lines:
                facts = engine.facts_from_rows(
                    line_id, _aware(opened_at), Decimal(limit), Decimal(balance), events[line_id]
                )
                features = engine.compute_features(facts, as_of=as_of)
                verdict = engine.decide(rules.policy_rules, rules.card_rules, features)
                plan = engine.plan_change(
                    engine.LineState(status=status, credit_limit=Decimal(limit)), verdict, buffers
                )
                if plan is not None:
                    rows.append(
                        (
                            line_id,
                            plan.outcome,
                            verdict.score,
                            plan.new_status,
                            plan.new_limit,
                            json.dumps(features.as_dict()),
                            json.dumps([r.code for r in verdict.reasons]),
                        )
                    )
            if rows:
                cursor.executemany(
                    "INSERT INTO bench_baseline_decision VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    rows,
                )
            written += len(rows)
    return written


def _project(chunks, as_of: datetime, notice_mode: str = "deferred") -> int:
    """Every line from all its events (`reevaluate --from-events`), chunk by chunk."""
    from credit import services

    changed = 0
    for chunk in chunks:
        summary = services.credit_lines_reevaluate(
            line_ids=chunk,
            trigger="periodic",
            as_of=as_of,
            now=as_of,
            keep_decisions=False,
            notice_mode=notice_mode,
        )
        changed += summary.changed
    return changed


def _build_states(chunks, now: datetime) -> None:
    """What ingestion keeps up to date: the seed went in by COPY, so the states are built here
    (not timed), as `reevaluate --from-events` would."""
    from django.db import transaction

    from credit import services

    for chunk in chunks:
        with transaction.atomic():
            services.feature_states_rebuild(line_ids=chunk, now=now)


def _chunk(chunk: list[int], now: datetime, notice_mode: str) -> int:
    """One chunk task of the night (`credit.reevaluate_lines`): its decisions."""
    from credit import services

    return services.credit_lines_reevaluate(
        line_ids=chunk,
        trigger="periodic",
        as_of=now,
        now=now,
        keep_decisions=False,
        notice_mode=notice_mode,
        incremental=True,
    ).changed


def _chunk_task(arguments: tuple) -> int:
    return _chunk(*arguments)


def quiet_night_workers() -> int:
    """Worker processes running the quiet night's chunks: as many as a Celery worker starts by
    default (`celery -A config worker`: one process per core), BENCH_WORKERS to choose."""
    return int(os.environ.get("BENCH_WORKERS") or os.cpu_count() or 1)


def _nightly(now: datetime, notice_mode: str = "inline", workers: int = 1) -> tuple[int, int, int]:
    """What the nightly batch and its chunk tasks run: the lines whose look has come, selected
    once (the others tallied as last found), chunked and scored from their kept facts;
    decisions, reasons and notices rendered and written in each chunk's transaction
    (counted). With `workers` > 1 the chunks run in that many processes at once, each with its
    own database connection, as the chunk tasks do on a Celery worker's processes. Returns
    (decisions, lines scored, notices written)."""
    from django.db import connections, transaction

    from credit import services
    from credit.fanout import chunked
    from credit.models import LineLook
    from notifications.models import Notification

    notices_before = Notification.objects.count()
    changed = 0
    started = time.perf_counter()
    with transaction.atomic():
        due = services.nightly_lines_due(now=now)
    print(f"    {len(due):,} lines due, selected in {time.perf_counter() - started:.1f} s")
    tasks = [(chunk, now, notice_mode) for chunk in chunked(due, size=CHUNK)]
    if workers > 1:
        import multiprocessing

        connections.close_all()  # each process opens its own
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.imap_unordered(_chunk_task, tasks)
            for number, chunk_changed in enumerate(results, start=1):
                if number % 100 == 0:  # progress of a long pass (a 1,000,000-line night)
                    print(f"    {number * CHUNK:,} lines, {time.perf_counter() - started:.0f} s")
                changed += chunk_changed
    else:
        for number, arguments in enumerate(tasks, start=1):
            if number % 100 == 0:
                print(f"    {number * CHUNK:,} lines, {time.perf_counter() - started:.0f} s")
            changed += _chunk(*arguments)
    scored = LineLook.objects.filter(looked_at=now).count()
    return changed, scored, Notification.objects.count() - notices_before


def _changes(n: int, share: float, when: datetime) -> int:
    """New events for `share` of the lines, through ingestion (not timed), as a day brings:
    an application elsewhere, a repayment, or a new bureau score. Returns the lines touched."""
    from credit.ingestion.services import credit_events_ingest

    rng = random.Random(20261130)  # noqa: S311 - reproducible test data, not secrets
    picked = rng.sample(range(n), int(n * share))
    items = []
    for i in picked:
        roll = rng.random()
        base = {"source": "bench-day", "customer_id": f"B-{i:08d}"}
        stamp = (when - timedelta(hours=3)).isoformat()
        if roll < 0.34:
            items.append(
                {
                    **base,
                    "external_id": f"{i}-a",
                    "kind": "external_loan_application",
                    "occurred_at": stamp,
                    "data": {"platform": "PZ"},
                }
            )
        elif roll < 0.67:
            due = when.date() - timedelta(days=1)
            items.append(
                {
                    **base,
                    "external_id": f"{i}-r",
                    "kind": "repayment",
                    "occurred_at": stamp,
                    "data": {"due_date": due.isoformat(), "paid_at": stamp, "amount": "1000.00"},
                }
            )
        else:
            items.append(
                {
                    **base,
                    "external_id": f"{i}-b",
                    "kind": "bureau_score",
                    "occurred_at": stamp,
                    "data": {"score": rng.randrange(540, 820)},
                }
            )
    for start in range(0, len(items), 1000):
        report = credit_events_ingest(items=items[start : start + 1000], origin="bench", now=when)
        assert report.counts.get("accepted", 0) == len(items[start : start + 1000]), report.counts
    return len(picked)


def _timed(fn, *args):
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


# --- Entry point ----------------------------------------------------------------------------


def run(scale: str, lines: int | None = None, write: bool = True) -> dict:
    n = lines or SCALES[scale]
    label, cleanup = own_database("bench_reevaluation")
    try:
        setup_django()
        from credit import selectors

        now = datetime.now(UTC).replace(microsecond=0)
        print(f"Re-evaluation benchmark: {n:,} lines on {label}")
        seed_time, _ = _timed(_seed, n, now)
        chunks = list(selectors.all_line_ids(chunk_size=CHUNK))
        state_time, _ = _timed(_build_states, chunks, now)

        print(f"  seeded in {seed_time:.0f} s; feature states built in {state_time:.0f} s")
        # BENCH_NIGHTLY_ONLY=1 leaves out the counterfactual and campaign phases (iterating on
        # the nightly pass); their rows are then not written.
        nightly_only = os.environ.get("BENCH_NIGHTLY_ONLY") == "1"
        cf_figures = {} if nightly_only else counterfactuals.measure(chunks[:CF_CHUNKS], now)
        if cf_figures:
            print(f"  counterfactuals: {cf_figures['cf_overhead'] * 100:+.1f}%")
        # BENCH_NO_BASELINE=1 leaves out the raw baseline too (a 1,000,000-line quiet night on
        # a loaded machine: its target is a rate, not a ratio); its columns then read "-".
        if os.environ.get("BENCH_NO_BASELINE") == "1":
            base_time, base_changed = None, None
        else:
            base_time, base_changed = _timed(_baseline, chunks, now)
            print(f"  baseline: {n / base_time:,.0f} lines/s", flush=True)
        # A new scorecard or policy version (here: no line was ever looked at) makes every
        # line due: the incremental pass scores them all, from their kept facts.
        if os.environ.get("BENCH_FIRST_NIGHT_LIGHT") == "1":
            # Only the quiet night is measured: the first night, which records every line's
            # look, leaves its notices to their task (not run here) and computes no
            # counterfactuals, so a 1,000,000-line run fits a loaded machine's evening. Its
            # rate is not the full re-score's and is not written.
            from django.test import override_settings

            with override_settings(CREDIT_COUNTERFACTUALS=False):
                full_time, (full_changed, full_scored, full_notices) = _timed(
                    _nightly, now, "deferred"
                )
            print(f"  first night (light): {n / full_time:,.0f} lines/s", flush=True)
            full_time = None
        else:
            full_time, (full_changed, full_scored, full_notices) = _timed(_nightly, now)
            print(f"  full re-score: {n / full_time:,.0f} lines/s", flush=True)
        # The next night, after a day that brought events for 5% of the lines.
        night = now + timedelta(days=1)
        touched = _changes(n, 0.05, night - timedelta(hours=6))
        if os.environ.get("BENCH_PROFILE"):  # a cProfile of the quiet night, to this file
            import cProfile

            workers = 1  # (the profile of one process doing all the chunks)
            profiler = cProfile.Profile()
            quiet_time, (quiet_changed, quiet_scored, quiet_notices) = _timed(
                profiler.runcall, _nightly, night
            )
            profiler.dump_stats(os.environ["BENCH_PROFILE"])
        else:
            # The quiet night runs its chunks as production does: on a Celery worker's
            # processes (`quiet_night_workers`), each chunk in its own transaction.
            workers = quiet_night_workers()
            quiet_time, (quiet_changed, quiet_scored, quiet_notices) = _timed(
                _nightly, night, "inline", workers
            )
        print(
            f"  quiet night: {n / quiet_time:,.0f} lines/s"
            f" (chunks in {workers} worker process{'es' if workers > 1 else ''})",
            flush=True,
        )
        campaign_time, campaign_lines = (None, 0) if nightly_only else campaign.time_campaign(CHUNK)

        result = {
            "when": now.strftime("%Y-%m-%d %H:%M UTC"),
            "scale": scale,
            "lines": n,
            "database": label.split(" (")[0],
            "seed_s": seed_time,
            "state_s": state_time,
            "baseline_rate": n / base_time if base_time else None,
            "project_rate": n / full_time if full_time else None,
            "quiet_rate": n / quiet_time,
            "quiet_workers": workers,
            "ratio": base_time / full_time if base_time and full_time else None,
            "quiet_ratio": base_time / quiet_time if base_time else None,
            "changed": full_changed,
            "full_scored": full_scored,
            "full_notices": full_notices,
            "baseline_changed": base_changed,
            "touched": touched,
            "quiet_scored": quiet_scored,
            "quiet_changed": quiet_changed,
            "quiet_notices": quiet_notices,
            "notices": full_notices + quiet_notices,
            "campaign_lines": campaign_lines,
            "campaign_rate": campaign_lines / campaign_time if campaign_time else None,
            "campaign_ratio": (
                (campaign_lines / campaign_time) / (n / full_time)
                if campaign_time and full_time
                else None
            ),
            "machine": machine(),
            "commit": commit(),
            **cf_figures,
        }
        if base_changed is not None:
            assert base_changed == full_changed, "baseline and project must decide the same lines"
        assert full_scored == n, "a new version scores every line"
        _print(result)
        if write:
            _write(result)
        return result
    finally:
        cleanup()


def _num(value, spec: str = ",.0f") -> str:
    return "-" if value is None else format(value, spec)


def _print(r: dict) -> None:
    print(
        f"  seeded in {r['seed_s']:.1f} s; feature states built in {r['state_s']:.1f} s\n"
        f"  baseline (raw SQL + bulk INSERT):  {_num(r['baseline_rate'])} lines/s\n"
        f"  full re-score (new version):       {_num(r['project_rate'])} lines/s"
        f"  ({r['changed']:,} decisions, {r['full_notices']:,} notices rendered and written)\n"
        f"  ratio full re-score / baseline:    {_num(r['ratio'], '.2f')} (target >= 0.50)\n"
        f"  quiet night, {r['touched']:,} lines with new events: {r['quiet_rate']:,.0f} lines/s"
        f" with chunks in {r['quiet_workers']} worker process(es)"
        f"  ({r['quiet_scored']:,} lines scored, {r['quiet_changed']:,} decisions,"
        f" {r['quiet_notices']:,} notices; {_num(r['quiet_ratio'], '.1f')} x baseline;"
        " target >= 50,000)"
    )
    if r["campaign_rate"] is None:
        return  # BENCH_NIGHTLY_ONLY
    print(
        f"  campaign over {r['campaign_lines']:,} lines:    {r['campaign_rate']:,.0f} lines/s"
        f"  ({r['campaign_ratio']:.2f} x the full re-score)\n"
        f"  counterfactuals: {r['cf_explained']:,} adverse decisions explained;"
        f" pass {r['cf_without_s']:.2f} s without, {r['cf_with_s']:.2f} s with"
        f" ({r['cf_overhead'] * 100:+.1f}%, target <= +20%)"
    )


def _write(r: dict) -> None:
    row = (
        f"| {r['when']} | `{r['commit']}` | {r['scale']} | {r['lines']:,} | {r['database']} "
        f"| {_num(r['baseline_rate'])} | {_num(r['project_rate'])} "
        f"| **{_num(r['ratio'], '.2f')}** "
        f"| {r['changed']:,} / {r['full_notices']:,} "
        f"| {r['touched']:,} / {r['quiet_scored']:,} | **{r['quiet_rate']:,.0f}**"
        f"{f' ({w} workers)' if (w := r['quiet_workers']) > 1 else ''} "
        f"| {r['quiet_changed']:,} / {r['quiet_notices']:,} | {r['machine']} |"
    )
    header = (
        f"{START}\n"
        "## Re-evaluation (the nightly pass)\n\n"
        "`python -m bench --scale quick|full [--lines N]` (`make bench BENCH_SCALE=...`). Seeds N\n"
        "lines (~13 events each; ~15% borrowed at three platforms lately, ~5% overdue elsewhere)\n"
        "in a database of its own and builds each line's kept facts (what ingestion maintains),\n"
        "then times, in one run: the raw-SQL baseline (same engine, raw reads of every event,\n"
        "one bulk INSERT per 1,000-line chunk); the full re-score a new scorecard or policy\n"
        "version causes (the incremental pass with every line due, scored from kept facts:\n"
        "row locks, latest decisions, FSM transitions, decisions and reasons, notices rendered\n"
        "and written to the outbox in the chunk); and the next quiet night, after a day whose\n"
        "events (through ingestion, not timed) touched 5% of the lines: the lines whose look has\n"
        "come (new events, a window or month boundary that day) are selected once, chunked and\n"
        "scored; the others are tallied as last found in one aggregate. Lines/s counts\n"
        "every line of the pass. Since 2026-12-01 the quiet night's chunks run in as many\n"
        'processes as a Celery worker starts by default (one per core; "(2 workers)" after the\n'
        "figure), as production runs them; `BENCH_WORKERS=1` runs them in one. Targets: full\n"
        "re-score >= 0.5 x baseline; quiet night >= 50,000 lines/s at 1,000,000 lines.\n\n"
        "| when | commit | scale | lines | database | baseline lines/s | full re-score lines/s "
        "| ratio | decisions / notices | lines with events / scored | quiet night lines/s "
        "| decisions / notices | machine |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    record_rows(start=START, end=END, header=header, rows=[row])
    if r["campaign_rate"] is None:
        return  # BENCH_NIGHTLY_ONLY: no campaign or counterfactual figures
    record_rows(
        start=campaign.START, end=campaign.END, header=campaign.HEADER, rows=[campaign.row(r)]
    )
    record_rows(
        start=counterfactuals.START,
        end=counterfactuals.END,
        header=counterfactuals.HEADER,
        rows=[counterfactuals.row(r)],
    )
