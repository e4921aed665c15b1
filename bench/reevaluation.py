"""Re-evaluation benchmark: the project's batch path against a raw-SQL baseline.

Seeds N credit lines with realistic events in a database of its own, then times
1. a baseline: raw SQL reads of the lines and their events per chunk, the same pure engine,
   one bulk INSERT of the changed lines' decisions into a scratch table;
2. the project: `credit.services.credit_lines_reevaluate` per chunk, exactly as the nightly
   fan-out runs it (locks, latest decisions, FSM transitions, bulk writes, reasons, notices);
3. the project again, when nothing changes (a typical night);
4. a policy campaign pausing every line still active (bench/campaign.py);
and prints lines/s for each and the ratio project/baseline. Results go to docs/benchmarks.md.
"""

from __future__ import annotations

import json
import random
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bench import campaign, counterfactuals
from bench.common import commit, machine, own_database, record_rows, setup_django

SCALES = {"quick": 5_000, "full": 1_000_000}
CHUNK = 1000
START, END = "<!-- bench:reevaluation:start -->", "<!-- bench:reevaluation:end -->"


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
    """What each nightly chunk task runs (notices rendered afterwards by their own task)."""
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

        cf_figures = counterfactuals.measure(chunks, now)
        base_time, base_changed = _timed(_baseline, chunks, now)
        proj_time, proj_changed = _timed(_project, chunks, now)
        quiet_time, quiet_changed = _timed(_project, chunks, now)
        campaign_time, campaign_lines = campaign.time_campaign(CHUNK)

        from notifications.models import Notification

        result = {
            "when": now.strftime("%Y-%m-%d %H:%M UTC"),
            "scale": scale,
            "lines": n,
            "database": label.split(" (")[0],
            "seed_s": seed_time,
            "baseline_rate": n / base_time,
            "project_rate": n / proj_time,
            "quiet_rate": n / quiet_time,
            "ratio": (n / proj_time) / (n / base_time),
            "changed": proj_changed,
            "baseline_changed": base_changed,
            "quiet_changed": quiet_changed,
            "notices": Notification.objects.count(),
            "campaign_lines": campaign_lines,
            "campaign_rate": campaign_lines / campaign_time,
            "campaign_ratio": (campaign_lines / campaign_time) / (n / proj_time),
            "machine": machine(),
            "commit": commit(),
            **cf_figures,
        }
        assert base_changed == proj_changed, "baseline and project must decide the same lines"
        _print(result)
        if write:
            _write(result)
        return result
    finally:
        cleanup()


def _print(r: dict) -> None:
    print(
        f"  seeded in {r['seed_s']:.1f} s\n"
        f"  baseline (raw SQL + bulk INSERT): {r['baseline_rate']:,.0f} lines/s\n"
        f"  project batch re-evaluation:       {r['project_rate']:,.0f} lines/s"
        f"  ({r['changed']:,} decisions, {r['notices']:,} notices)\n"
        f"  project, nothing changes:          {r['quiet_rate']:,.0f} lines/s\n"
        f"  ratio project / baseline:          {r['ratio']:.2f} (target >= 0.50)\n"
        f"  campaign over {r['campaign_lines']:,} lines:    {r['campaign_rate']:,.0f} lines/s"
        f"  ({r['campaign_ratio']:.2f} x the nightly re-evaluation)\n"
        f"  counterfactuals: {r['cf_explained']:,} adverse decisions explained;"
        f" pass {r['cf_without_s']:.2f} s without, {r['cf_with_s']:.2f} s with"
        f" ({r['cf_overhead'] * 100:+.1f}%, target <= +20%)"
    )


def _write(r: dict) -> None:
    row = (
        f"| {r['when']} | `{r['commit']}` | {r['scale']} | {r['lines']:,} | {r['database']} "
        f"| {r['baseline_rate']:,.0f} | {r['project_rate']:,.0f} | {r['quiet_rate']:,.0f} "
        f"| **{r['ratio']:.2f}** | {r['changed']:,} | {r['machine']} |"
    )
    header = (
        f"{START}\n"
        "## Re-evaluation\n\n"
        "`python -m bench --scale quick|full [--lines N]` (`make bench BENCH_SCALE=...`). Seeds N\n"
        "lines (~13 events each; ~15% borrowed at three platforms lately, ~5% overdue elsewhere)\n"
        "in a database of its own, then times the raw-SQL baseline (same engine, raw reads, one\n"
        "bulk INSERT per 1,000-line chunk) and the project's `credit_lines_reevaluate` per chunk\n"
        "(row locks, latest decisions, FSM transitions, bulk decisions and reasons, notices\n"
        'written to the outbox). "Quiet night" is the project run again when nothing changes.\n'
        "Target: project >= 0.5 x baseline.\n\n"
        "| when | commit | scale | lines | database | baseline lines/s | project lines/s "
        "| quiet night lines/s | ratio | decisions | machine |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    record_rows(start=START, end=END, header=header, rows=[row])
    record_rows(
        start=campaign.START, end=campaign.END, header=campaign.HEADER, rows=[campaign.row(r)]
    )
    record_rows(
        start=counterfactuals.START,
        end=counterfactuals.END,
        header=counterfactuals.HEADER,
        rows=[counterfactuals.row(r)],
    )
