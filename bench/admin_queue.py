"""Admin queue benchmark: the staff desk's appeal changelist at up to 1,000,000 appeals.

Seeds N appeals in a database of its own (COPY on PostgreSQL): one line in ten has an open
appeal (the rest closed), 50 agents share them round robin, ~5% of the open ones are past
their decision date. Then, as agent #1, times the changelist requests server-side (the WSGI
handler, in process, through Django's test client) for the "assigned to me" and "breached"
queues and the default queue, with their query counts, against a baseline measured in the
same run: the same page's rows fetched by one hand-written SQL query. Target: under 300 ms
and a bounded number of queries, with no COUNT over the whole table.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import time
from datetime import UTC, datetime, timedelta

from bench.common import commit, machine, own_database, record_rows, setup_django

SCALES = {"quick": 20_000, "full": 1_000_000}
AGENTS = 50
RUNS = 7
START, END = "<!-- bench:admin_queue:start -->", "<!-- bench:admin_queue:end -->"
TARGET_MS = 300


# --- Seeding --------------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志成海波宁丹晨雪梅琳雨欣浩然"
)


def _name(i: int) -> str:
    """Chinese names for most borrowers (three characters, ~50,000 distinct), Latin for one
    in ten: the desk's search by part of a name meets both."""
    if i % 10 == 0:
        return f"Bench Borrower {i}"
    return SURNAMES[i % 20] + GIVEN[(i // 20) % len(GIVEN)] + GIVEN[(i // 1000) % len(GIVEN)]


def _defaults(table: str, columns: tuple[str, ...]) -> tuple[tuple[str, ...], tuple]:
    """The model's NOT NULL columns this seed does not name, with their defaults as the
    database stores them: a field added to a model later keeps the seed working (the
    defaults are Django's, not the database's, so a row left without them fails)."""
    from django.apps import apps
    from django.db import connection
    from django.db.models import JSONField

    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    missing = [
        field
        for field in model._meta.concrete_fields
        if field.column not in columns and not field.null and field.has_default()
    ]

    def stored(field):
        if isinstance(field, JSONField):
            return json.dumps(field.get_default())
        return field.get_db_prep_save(field.get_default(), connection)

    return tuple(f.column for f in missing), tuple(stored(f) for f in missing)


def _insert(table: str, columns: tuple[str, ...], rows) -> None:
    """COPY on PostgreSQL, executemany elsewhere; the columns left out take their defaults."""
    from django.db import connection

    extra_columns, extra_values = _defaults(table, columns)
    columns += extra_columns
    rows = (tuple(row) + extra_values for row in rows)
    if connection.vendor == "postgresql":
        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
        buffer.seek(0)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)
        return
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
            [tuple(r) for r in rows],
        )


def _seed(n: int, now: datetime) -> dict:
    """n appeals over n/10 lines; returns the ids the timing needs."""
    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from accounts.roles import AGENT

    lines = max(n // 10, 1)
    iso = now.isoformat()
    with transaction.atomic():
        # Borrowers 1..lines, agents after them.
        users = (
            (
                i,
                "!",
                False,
                f"bench{i}@bench.example",
                _name(i),
                "zh-hans",
                "Asia/Shanghai",
                i > lines,
                True,
                iso,
                None if i > lines else f"B-{i:08d}",
                None if i > lines else f"+86139{i:08d}",
            )
            for i in range(1, lines + AGENTS + 1)
        )
        _insert(
            "accounts_user",
            (
                "id",
                "password",
                "is_superuser",
                "email",
                "full_name",
                "preferred_language",
                "time_zone",
                "is_staff",
                "is_active",
                "date_joined",
                "customer_id",
                "phone",
            ),
            users,
        )
        agent_ids = list(range(lines + 1, lines + AGENTS + 1))
        group = Group.objects.get(name=AGENT)
        group.user_set.add(*agent_ids)
        _insert(
            "credit_creditline",
            ("id", "borrower_id", "credit_limit", "balance", "status", "opened_at", "updated_at"),
            ((i, i, "20000.00", "0.00", "closed", iso, iso) for i in range(1, lines + 1)),
        )
        _insert(
            "credit_creditdecision",
            (
                "id",
                "line_id",
                "created_at",
                "trigger",
                "features",
                "points",
                "outcome",
                "old_status",
                "new_status",
                "old_limit",
                "new_limit",
                "note",
            ),
            (
                (i, i, iso, "event", "{}", "[]", "close", "active", "closed", "20000.00", "0", "")
                for i in range(1, lines + 1)
            ),
        )
        _insert(
            "credit_decisionreason",
            ("id", "decision_id", "rank", "reason_code_id", "attribute", "points_lost", "knockout"),
            ((i, i, 1, 1 + i % 16, "", 40, False) for i in range(1, lines + 1)),
        )

        def appeals():
            closed_states = ("denied", "withdrawn", "approved", "denied_final")
            open_states = ("submitted", "in_review", "in_review", "awaiting_borrower")
            for i in range(1, n + 1):
                line = (i - 1) % lines + 1
                generation = (i - 1) // lines  # the last generation is the open one
                is_open = generation == (n - 1) // lines and i > n - lines
                created = now - timedelta(days=(n - i) % 400, minutes=i % 1440)
                status = open_states[i % 4] if is_open else closed_states[i % 4]
                due = created + timedelta(days=15)
                if is_open:
                    # ~5% past their decision date; the rest due over the next two weeks.
                    due = (
                        now - timedelta(hours=1 + i % 48)
                        if i % 20 == 0
                        else (now + timedelta(hours=1 + i % 336))
                    )
                assignee = agent_ids[i % AGENTS]
                yield (
                    i,
                    line,
                    line,
                    line,
                    status,
                    '["repaid_on_time"]',
                    "bench",
                    created.isoformat(),
                    created.isoformat(),
                    (due - timedelta(days=13)).isoformat(),
                    due.isoformat(),
                    created.isoformat() if i % 3 else None,
                    assignee,
                    "",
                    "",
                )

        _insert(
            "appeals_appeal",
            (
                "id",
                "borrower_id",
                "line_id",
                "decision_id",
                "status",
                "grounds",
                "statement",
                "created_at",
                "submitted_at",
                "first_response_due",
                "resolution_due",
                "first_responded_at",
                "assignee_id",
                "outcome_explanation",
                "second_review_statement",
            ),
            appeals(),
        )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in (
                "accounts_user",
                "credit_creditline",
                "credit_creditdecision",
                "credit_decisionreason",
                "appeals_appeal",
            ):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table}))"
                )
            cursor.execute("ANALYZE")
        else:
            cursor.execute("ANALYZE")
    return {"agent_id": agent_ids[0], "lines": lines, "probe": max(lines // 3, 1)}


def _seeded(n: int) -> dict | None:
    """The ids of a kept database's earlier seed of n appeals (None if it has none)."""
    from accounts.models import User
    from appeals.models import Appeal

    if Appeal.objects.count() != n:
        return None
    lines = max(n // 10, 1)
    agent = User.objects.filter(pk__gt=lines).order_by("pk").values_list("pk", flat=True)
    return {"agent_id": agent[0], "lines": lines, "probe": max(lines // 3, 1)}


# --- Timing ---------------------------------------------------------------------------------


def _time_page(client, url: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm: templates, session
    times, queries, full_counts = [], 0, 0
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(captured.captured_queries)
        slowest = sorted(
            ((float(q["time"]) * 1000, q["sql"][:160]) for q in captured.captured_queries),
            reverse=True,
        )[:3]
        sql_ms = sum(float(q["time"]) * 1000 for q in captured.captured_queries)
        full_counts = sum(
            1
            for q in captured.captured_queries
            if "COUNT(" in q["sql"].upper() and "LIMIT" not in q["sql"].upper()
        )
    if os.environ.get("BENCH_VERBOSE"):
        for ms, sql in slowest:
            print(f"    {ms:7.1f} ms  {sql}")
    return {
        "ms": statistics.median(times),
        "sql_ms": sql_ms,
        "queries": queries,
        "full_counts": full_counts,
    }


def _time_sql(sql: str, params) -> float:
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.fetchall()
        for _ in range(RUNS):
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


BASE_SQL = (
    "SELECT a.*, b.full_name, b.customer_id, s.full_name FROM appeals_appeal a "
    "JOIN accounts_user b ON b.id = a.borrower_id "
    "LEFT JOIN accounts_user s ON s.id = a.assignee_id WHERE {where} "
    "ORDER BY a.resolution_due, a.first_response_due, a.id DESC LIMIT 51"
)
WORKED = "('submitted', 'in_review', 'awaiting_borrower', 'second_review')"


def _measure(ids: dict, now: datetime) -> list[dict]:
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(pk=ids["agent_id"]))
    url = reverse("admin:appeals_appeal_changelist")
    cases = [
        (
            "assigned to me",
            f"{url}?queue=mine",
            BASE_SQL.format(where=f"a.assignee_id = %s AND a.status IN {WORKED}"),
            [ids["agent_id"]],
        ),
        (
            "breached",
            f"{url}?queue=breached",
            BASE_SQL.format(
                where="a.status IN ('submitted', 'in_review') AND ((a.first_responded_at IS NULL"
                " AND a.first_response_due < %s) OR a.resolution_due < %s)"
            ),
            [now, now],
        ),
        (
            "default (being worked)",
            url,
            BASE_SQL.format(where=f"a.status IN {WORKED}"),
            [],
        ),
        # Search people find with (issue 11): part of a name, part of a phone number.
        (
            "search: part of a name",
            f"{url}?queue=all&q={_name(ids['probe'])}",
            BASE_SQL.format(where="UPPER(CAST(b.full_name AS TEXT)) LIKE UPPER(%s)"),
            [f"%{_name(ids['probe'])}%"],
        ),
        (
            "search: part of a phone",
            f"{url}?queue=all&q={ids['probe']:08d}",
            BASE_SQL.format(where="CAST(b.phone AS TEXT) LIKE %s"),
            [f"%{ids['probe']:08d}%"],
        ),
    ]
    results = []
    for label, page_url, sql, params in cases:
        page = _time_page(client, page_url)
        baseline = _time_sql(sql, params)
        results.append({"queue": label, **page, "baseline_ms": baseline})
    return results


# --- Entry point ----------------------------------------------------------------------------


def run(scale: str, lines: int | None = None, write: bool = True) -> dict:
    """`lines` (the shared --lines option) overrides the number of appeals here."""
    n = lines or SCALES[scale]
    # BENCH_KEEP_DB=1 (PostgreSQL): build the appeals once, keep the database, measure again.
    keep = os.environ.get("BENCH_KEEP_DB") == "1"
    label, cleanup = own_database(f"bench_admin_queue_{n}" if keep else "bench_admin_queue", keep)
    try:
        setup_django()
        now = datetime.now(UTC).replace(microsecond=0)
        print(f"Admin queue benchmark: {n:,} appeals on {label}")
        started = time.perf_counter()
        ids = _seeded(n) if keep else None
        if ids is None:
            ids = _seed(n, now)
        seed_s = time.perf_counter() - started
        pages = _measure(ids, now)
        result = {
            "when": now.strftime("%Y-%m-%d %H:%M UTC"),
            "scale": scale,
            "appeals": n,
            "database": label.split(" (")[0],
            "seed_s": seed_s,
            "pages": pages,
            "machine": machine(),
            "commit": commit(),
        }
        _print(result)
        if write:
            _write(result)
        return result
    finally:
        cleanup()


def _print(r: dict) -> None:
    print(f"  seeded in {r['seed_s']:.1f} s")
    for p in r["pages"]:
        verdict = "ok" if p["ms"] < TARGET_MS and not p["full_counts"] else "OVER TARGET"
        print(
            f"  {p['queue']:<24} {p['ms']:7.1f} ms ({p['sql_ms']:.1f} in SQL), "
            f"{p['queries']} queries "
            f"({p['full_counts']} unbounded counts); baseline SQL {p['baseline_ms']:6.1f} ms; "
            f"ratio {p['ms'] / max(p['baseline_ms'], 0.01):.1f}x  [{verdict}]"
        )


def _write(r: dict) -> None:
    rows = [
        f"| {r['when']} | `{r['commit']}` | {r['scale']} | {r['appeals']:,} | {r['database']} "
        f"| {p['queue']} | **{p['ms']:.1f}** | {p['sql_ms']:.1f} | {p['queries']} "
        f"| {p['full_counts']} "
        f"| {p['baseline_ms']:.1f} | {p['ms'] / max(p['baseline_ms'], 0.01):.1f} "
        f"| {r['machine']} |"
        for p in r["pages"]
    ]
    header = (
        f"{START}\n"
        "## Admin queue (staff desk)\n\n"
        "`python -m bench --scale quick|full --only admin_queue [--lines N]` (N = appeals).\n"
        "Seeds N appeals (one line in ten with an open one, 50 agents, ~5% of the open ones\n"
        "overdue) in a database of its own, then times the appeal changelist server-side (the\n"
        "WSGI handler in process, median of 7 after a warm-up) as agent #1, with its queries;\n"
        "the baseline is the same page's rows by one hand-written SQL query in the same run.\n"
        f"Target: under {TARGET_MS} ms, bounded queries, no unbounded COUNT.\n\n"
        "| when | commit | scale | appeals | database | queue | page ms | of which SQL ms "
        "| queries | unbounded counts | baseline SQL ms | page / baseline | machine |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    record_rows(start=START, end=END, header=header, rows=rows)
