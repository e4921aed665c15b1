"""HTTP benchmark: borrower pages and event ingestion through a real server, each against a
baseline measured in the same run.

The server is gunicorn with 2 sync workers on 127.0.0.1 (a free port), production settings
(`bench.http_settings`: production plus one baseline URL), PostgreSQL and Redis (cache and
broker), static files collected as in production. No Celery worker runs: what ingestion
queues stays queued (and is purged after), so the figure is what the web tier accepts.

Pages, at concurrency 8 (threads, a new connection per request as gunicorn's sync workers
close them), a fixed number of requests each, three rounds interleaved so every page and its
baseline see the same load from whatever else the machine runs:
- baseline: `/bench/baseline/`, a `login_required` view on DB sessions that does nothing else;
- My credit for a borrower with 20 decisions, and for one with 200 (10x the history);
- the appeal page (the demo's appeal in review, with its thread);
- `/api/v1/me/credit-line/` for the borrower with 200 decisions.
Each is req/s and p95, the median of the three rounds, and the ratio to the baseline (the
median of the per-round ratios).

Ingestion: 4 clients posting batches of 1,000 valid events (spread over many lines) to
`/api/v1/credit-events/` with a service token, against the same rows sent by 4 psycopg
clients with COPY, 1,000 rows a transaction, into a scratch table with the events' columns
and unique key. Events/s, three rounds interleaved, medians and the median ratio.
Every response is checked (status 200, every event accepted); a failure stops the run.
The event lines' feature states are built before the timing (as the nightly pass leaves
them), so each batch folds its events into them as it would in production; one untimed
batch per client warms both paths first.

`BENCH_HTTP_PARTS=ingestion` (or `pages`) times only that part; the default is both. The
row it records shows "–" in the cells of the part left out.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta

from bench.common import ROOT, commit, machine, own_database, record_rows, setup_django

START, END = "<!-- bench:http:start -->", "<!-- bench:http:end -->"
CONCURRENCY = 8
CLIENTS = 4
BATCH = 1_000
ROUNDS = 3
WORKERS = 2
# Requests per page per round, and ingestion batches per client per round.
SCALES = {"quick": (240, 3), "full": (1_200, 10)}
LINES = 1_000  # lines the ingested events are spread over
SECRET = "bench-http-" + "x" * 60  # shared by this process and the server (session hashes)
TIMEOUT = 30.0  # per request; the whole run is bounded by requests x this
PARTS = ("pages", "ingestion")


def _parts() -> tuple[str, ...]:
    """The parts BENCH_HTTP_PARTS asks for (comma-separated), both when unset."""
    asked = [p.strip() for p in os.environ.get("BENCH_HTTP_PARTS", "").split(",") if p.strip()]
    unknown = sorted(set(asked) - set(PARTS))
    if unknown:
        raise SystemExit(f"BENCH_HTTP_PARTS: unknown part(s) {', '.join(unknown)}; use {PARTS}")
    return tuple(p for p in PARTS if p in asked) or PARTS


# --- the data -------------------------------------------------------------------------------


def _borrowers(prefix: str, count: int) -> list[str]:
    from credit.ingestion.services import borrowers_upsert
    from credit.serializers import borrower_items_parse

    ids = [f"{prefix}-{i:05d}" for i in range(count)]
    for start in range(0, count, BATCH):
        items = [
            {
                "customer_id": customer_id,
                "full_name": f"Bench {customer_id}",
                "email": f"{customer_id.lower()}@bench.example",
                "language": "en",
                "time_zone": "Asia/Shanghai",
                "credit_limit": "20000.00",
                "balance": "2500.00",
            }
            for customer_id in ids[start : start + BATCH]
        ]
        report = borrowers_upsert(items=borrower_items_parse(items), origin="bench")
        assert report.counts.get("rejected", 0) == 0, report.counts
    return ids


def _history(line, decisions: int, start: datetime) -> None:
    """Pauses by a campaign, each corrected an hour later, then a staff pause: `decisions`."""
    import time_machine

    from credit import services

    for cycle in range((decisions - 1) // 2):
        for hour, outcome, trigger, codes in (
            (0, "freeze", "campaign", ["policy_adjustment"]),
            (1, "reinstate", "correction", ["system_error"]),
        ):
            with time_machine.travel(start + timedelta(hours=2 * cycle + hour), tick=False):
                services.credit_line_decide(
                    line=line, outcome=outcome, trigger=trigger, reason_codes=codes
                )
            line.refresh_from_db()
    with time_machine.travel(start + timedelta(days=30), tick=False):
        services.credit_line_decide(
            line=line, outcome="freeze", trigger="staff", reason_codes=["policy_adjustment"]
        )


def _accepted(user) -> None:
    """The borrower has accepted the policies in force (else every page sends them to the
    consent page, `accounts.consent`)."""
    from accounts import consent
    from accounts.services import policies_accept

    pending = [version.pk for version in consent.pending_versions(user)]
    if pending:
        policies_accept(user=user, version_ids=pending)


def _session(user) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    _accepted(user)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "accounts.backends.EmailOrPhoneBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def _seed() -> None:
    """The demo, two borrowers with 20 and 200 decisions, LINES lines for events, a token."""
    import io

    from django.core.management import call_command

    from credit.models import CreditDecision, CreditLine

    call_command("seed_demo", stdout=io.StringIO())
    start = datetime.now(UTC) - timedelta(days=120)
    for customer_id, decisions in zip(_borrowers("BH", 2), (20, 200), strict=True):
        line = CreditLine.objects.get(borrower__customer_id=customer_id)
        _history(line, decisions - CreditDecision.objects.filter(line=line).count(), start)
    _borrowers("BE", LINES)


def _build_states(line_ids: list[int]) -> None:
    """The event lines' feature states as the nightly pass leaves them (built from their
    events), so ingestion folds into them; a state not built yet would be skipped."""
    from django.db import transaction
    from django.utils import timezone

    from credit.models import LineFeatureState
    from credit.services.feature_state import feature_states_rebuild

    built = set(
        LineFeatureState.objects.filter(line_id__in=line_ids, folded_at__isnull=False).values_list(
            "line_id", flat=True
        )
    )
    missing = sorted(set(line_ids) - built)
    if missing:
        with transaction.atomic():
            feature_states_rebuild(line_ids=missing, now=timezone.now())
    # What autovacuum does between runs (this machine's server runs with it off): every batch
    # rewrites the states of the lines it touches, and a kept database would otherwise carry
    # the dead rows of every earlier run into this one's timing.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM (ANALYZE) credit_linefeaturestate, credit_creditevent, jobs_queuedjob,"
            " bench_copy_events"
        )


def _data() -> dict:
    """Sessions for the borrowers measured, the appeal, the event lines and a service token."""
    from accounts.models import User
    from accounts.services import service_token_issue
    from appeals.models import Appeal
    from credit.models import CreditDecision, CreditLine

    decisions = {
        customer_id: CreditDecision.objects.filter(line__borrower__customer_id=customer_id).count()
        for customer_id in ("BH-00000", "BH-00001")
    }
    assert abs(decisions["BH-00000"] - 20) <= 1, decisions
    assert abs(decisions["BH-00001"] - 200) <= 1, decisions
    # The demo's appeal in review, with its thread (zhang.min's closed line).
    appeal = Appeal.objects.select_related("borrower").get(
        borrower__email="zhang.min@demo.recourse"
    )
    _, raw = service_token_issue(name="bench ingestion", scopes=["credit-events:write"])
    line_ids = dict(
        CreditLine.objects.filter(borrower__customer_id__startswith="BE-").values_list(
            "borrower__customer_id", "pk"
        )
    )
    assert len(line_ids) == LINES, len(line_ids)
    return {
        "decisions": decisions,
        "cookie_short": _session(User.objects.get(customer_id="BH-00000")),
        "cookie_long": _session(User.objects.get(customer_id="BH-00001")),
        "cookie_appeal": _session(appeal.borrower),
        "appeal_url": f"/appeals/{appeal.pk}/",
        "customers": sorted(line_ids),
        "line_ids": line_ids,
        "token": raw,
    }


# --- the server -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_env(static_root: str, redis: str) -> dict:
    env = dict(os.environ)
    env.update(
        CELERY_BROKER_URL=redis,
        DJANGO_SETTINGS_MODULE="bench.http_settings",
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        STATIC_ROOT=static_root,
        CACHE_URL=redis,
        CELERY_RESULT_BACKEND=redis,
        CELERY_TASK_ALWAYS_EAGER="false",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
        LOG_FORMAT="text",
        SENTRY_DSN="",
    )
    return env


def _start_server(static_root: str, redis: str) -> tuple[subprocess.Popen, int]:
    env = _server_env(static_root, redis)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run(  # noqa: S603 - our own manage.py
        [*manage, "collectstatic", "--noinput", "-v0"], env=env, cwd=ROOT, check=True
    )
    port = _free_port()
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or "gunicorn"
    server = subprocess.Popen(  # noqa: S603 - gunicorn from our own environment
        [
            gunicorn,
            "config.wsgi:application",
            f"--workers={WORKERS}",
            f"--bind=127.0.0.1:{port}",
            "--timeout=60",
            "--log-level=warning",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _ = _request(port, "GET", "/healthz", {})
            if status == 200:
                return server, port
        except OSError:
            pass
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        time.sleep(0.25)
    _stop_server(server)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def _stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# --- the load -------------------------------------------------------------------------------


def _request(port: int, method: str, path: str, headers: dict, body: bytes | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _load(port: int, requests: list[tuple[str, str, dict, bytes | None]], concurrency: int):
    """Send every request, `concurrency` at a time; (seconds, latencies, bodies).
    Any status other than 200 stops the run."""
    latencies: list[float] = [0.0] * len(requests)
    bodies: list[bytes] = [b""] * len(requests)
    failures: list[str] = []
    cursor = iter(range(len(requests)))
    lock = threading.Lock()

    def work() -> None:
        while not failures:
            with lock:
                index = next(cursor, None)
            if index is None:
                return
            method, path, headers, body = requests[index]
            began = time.perf_counter()
            try:
                status, answer = _request(port, method, path, headers, body)
            except OSError as exc:
                failures.append(f"{method} {path}: {exc!r}")
                return
            latencies[index] = time.perf_counter() - began
            bodies[index] = answer
            if status != 200:
                failures.append(f"{method} {path}: {status} {answer[:300]!r}")

    threads = [threading.Thread(target=work) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"HTTP benchmark: {failures[0]}")
    return elapsed, latencies, bodies


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def _page(port: int, path: str, cookie: str, count: int) -> tuple[float, float]:
    headers = {
        "Host": "127.0.0.1",
        "Cookie": f"sessionid={cookie}; recourse_language=en",
        "X-Forwarded-Proto": "https",
    }
    _load(port, [("GET", path, headers, None)] * 16, CONCURRENCY)  # warm-up
    elapsed, latencies, _ = _load(port, [("GET", path, headers, None)] * count, CONCURRENCY)
    return count / elapsed, _p95(latencies) * 1000


def _events(customers: list[str], tag: str, batches: int) -> list[list[dict]]:
    occurred = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0).isoformat()
    due = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    out = []
    for b in range(batches):
        out.append(
            [
                {
                    "source": "bench",
                    "external_id": f"{tag}-{b}-{i}",
                    "customer_id": customers[(b * BATCH + i) % len(customers)],
                    "kind": "repayment",
                    "occurred_at": occurred,
                    "data": {"due_date": due, "paid_at": occurred, "amount": "125.00"},
                }
                for i in range(BATCH)
            ]
        )
    return out


def _cpu_seconds(pids) -> float:
    """User + system CPU these processes have used so far (Linux `/proc`; a process that is
    gone, or a system without `/proc`, counts 0)."""
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _server_pids(server: subprocess.Popen) -> list[int]:
    """The gunicorn workers and the PostgreSQL backends of this database other than ours (the
    workers keep their connections: production settings)."""
    from django.db import connection

    try:
        with open(f"/proc/{server.pid}/task/{server.pid}/children") as children:
            workers = [int(pid) for pid in children.read().split()]
    except OSError:
        workers = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return workers + [pid for (pid,) in cursor.fetchall()]


def _ingest_http(
    port: int, token: str, batches: list[list[dict]], server: subprocess.Popen | None = None
) -> tuple[float, float]:
    """Events/s over HTTP, and the CPU seconds it took: the gunicorn workers, their database
    backends and this client."""
    pids = _server_pids(server) if server is not None else []
    cpu_before, client_before = _cpu_seconds(pids), time.process_time()
    headers = {
        "Host": "127.0.0.1",
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "X-Forwarded-Proto": "https",
    }
    path = "/api/v1/credit-events/"
    requests = [("POST", path, headers, json.dumps(b).encode()) for b in batches]
    elapsed, _, bodies = _load(port, requests, CLIENTS)
    cpu = _cpu_seconds(pids) - cpu_before + time.process_time() - client_before
    for body in bodies:
        counts = json.loads(body)["counts"]
        assert counts.get("accepted") == BATCH, counts
    return sum(len(b) for b in batches) / elapsed, cpu


def _ingest_copy(batches: list[list[dict]], line_ids: dict[str, int]) -> tuple[float, float]:
    """The same rows by COPY, 4 clients, one transaction per batch, same unique key; rows/s
    and the CPU seconds it took (the backends and this client)."""
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    dsn = f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    received = datetime.now(UTC)
    rows_of = [
        [
            (
                line_ids[e["customer_id"]],
                e["source"],
                e["external_id"],
                e["kind"],
                datetime.fromisoformat(e["occurred_at"]),
                received,
                json.dumps(e["data"]),
            )
            for e in batch
        ]
        for batch in batches
    ]
    cursor = iter(range(len(rows_of)))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with psycopg.connect(dsn, password=db.get("PASSWORD") or None) as conn:
                backend = conn.info.backend_pid
                used = _cpu_seconds([backend])
                while True:
                    with lock:
                        index = next(cursor, None)
                    if index is None:
                        backends_cpu.append(_cpu_seconds([backend]) - used)
                        return
                    with conn.transaction(), conn.cursor() as cur:
                        copy_sql = (
                            "COPY bench_copy_events (line_id, source, external_id, kind,"
                            " occurred_at, received_at, data) FROM STDIN"
                        )
                        with cur.copy(copy_sql) as copy:
                            for row in rows_of[index]:
                                copy.write_row(row)
        except BaseException as exc:
            errors.append(exc)

    backends_cpu: list[float] = []
    threads = [threading.Thread(target=work) for _ in range(CLIENTS)]
    started, client_before = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    cpu = sum(backends_cpu) + time.process_time() - client_before
    return sum(len(b) for b in batches) / elapsed, cpu


def _copy_table() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_copy_events "
            "(LIKE credit_creditevent INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES"
            " INCLUDING CONSTRAINTS)"
        )


# --- the run --------------------------------------------------------------------------------


def run(scale: str, lines: int | None = None, write: bool = True) -> dict | None:
    """`lines` (the shared --lines option) overrides the requests per page per round."""
    url = os.environ.get("DATABASE_URL", "")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith(("postgres://", "postgresql://")) or not broker.startswith("redis://"):
        print("HTTP benchmark: skipped (needs DATABASE_URL on PostgreSQL and CELERY_BROKER_URL")
        print("  on Redis: it serves production settings through gunicorn)")
        return None
    count, batches_per_client = SCALES[scale]
    count = lines or count
    parts = _parts()
    os.environ["SECRET_KEY"] = SECRET
    # BENCH_KEEP_DB=1: seed once, keep the database, measure again (events pile up in it).
    keep = os.environ.get("BENCH_KEEP_DB") == "1"
    label, cleanup = own_database("bench_http", keep)
    static_root = tempfile.mkdtemp(prefix="recourse-bench-static-")
    server = None
    try:
        setup_django()
        from credit.models import CreditLine

        print(f"HTTP benchmark: gunicorn x{WORKERS}, production settings, on {label}")
        if not (keep and CreditLine.objects.filter(borrower__customer_id="BE-00000").exists()):
            _seed()
        data = _data()
        line_ids = data["line_ids"]
        _copy_table()
        if "ingestion" in parts:
            _build_states(sorted(line_ids.values()))
        server, port = _start_server(static_root, broker)
        pages = {
            "baseline": ("/bench/baseline/", data["cookie_short"]),
            "my_credit": ("/credit/", data["cookie_short"]),
            "my_credit_200": ("/credit/", data["cookie_long"]),
            "appeal": (data["appeal_url"], data["cookie_appeal"]),
            "api_200": ("/api/v1/me/credit-line/", data["cookie_long"]),
        }
        if "pages" not in parts:
            pages = {}
        rounds: dict[str, list[tuple[float, float]]] = {name: [] for name in pages}
        ingest: dict[str, list[float]] = {"http": [], "copy": [], "http_cpu": [], "copy_cpu": []}
        batches = CLIENTS * batches_per_client
        if "ingestion" in parts:  # untimed: each worker's first batch makes its temp tables
            warm = _events(data["customers"], f"{time.time_ns()}-warm", CLIENTS)
            _ingest_http(port, data["token"], warm, server)
            _ingest_copy(warm, line_ids)
        for number in range(ROUNDS):
            for name, (path, cookie) in pages.items():
                rounds[name].append(_page(port, path, cookie, count))
            said = [f"{name} {rounds[name][-1][0]:,.0f}/s" for name in pages]
            if "ingestion" in parts:
                events = _events(data["customers"], f"{time.time_ns()}-{number}", batches)
                for way, (rate, cpu) in (
                    ("http", _ingest_http(port, data["token"], events, server)),
                    ("copy", _ingest_copy(events, line_ids)),
                ):
                    ingest[way].append(rate)
                    ingest[f"{way}_cpu"].append(cpu)
                said.append(
                    f"ingestion {ingest['http'][-1]:,.0f}/s, COPY {ingest['copy'][-1]:,.0f}/s;"
                    f" CPU per 1,000 events {ingest['http_cpu'][-1] / batches:.3f} s,"
                    f" COPY {ingest['copy_cpu'][-1] / batches:.3f} s"
                )
            print(f"  round {number + 1}: " + "; ".join(said))
        result = _summary(rounds, ingest, count, batches, label)
        _print(result)
        if write:
            record_rows(start=START, end=END, header=HEADER, rows=[row(result)])
        return result
    finally:
        if server is not None:
            _stop_server(server)
        _purge_queued(broker)
        shutil.rmtree(static_root, ignore_errors=True)
        cleanup()


def _purge_queued(broker: str) -> None:
    """What ingestion queued for a worker that never ran: purged from this run's broker
    (the default queue of the Redis database the run was given, nothing else)."""
    from kombu import Connection

    try:
        with Connection(broker) as conn:
            purged = conn.default_channel.queue_purge("celery")
        print(f"  purged {purged or 0} queued tasks (no worker ran)")
    except Exception as exc:  # noqa: BLE001 - a leftover queue is reported, not fatal
        print(f"  (could not purge the queued tasks: {exc!r})")


def _summary(rounds, ingest, count, batches, label) -> dict:
    base = rounds.get("baseline", [])
    out = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit(),
        "requests": count,
        "events": batches * BATCH,
        "database": label.split(" (")[0],
        "machine": machine(),
    }
    for name, measured in rounds.items():
        out[name] = statistics.median(rate for rate, _ in measured)
        out[f"{name}_p95"] = statistics.median(p95 for _, p95 in measured)
        out[f"{name}_ratio"] = statistics.median(
            rate / b_rate for (rate, _), (b_rate, _) in zip(measured, base, strict=True)
        )
    if not ingest["http"]:
        return out
    out["ingest"] = statistics.median(ingest["http"])
    out["copy"] = statistics.median(ingest["copy"])
    out["ingest_ratio"] = statistics.median(
        h / c for h, c in zip(ingest["http"], ingest["copy"], strict=True)
    )
    # The same work's CPU, COPY's over HTTP's: what the ratio would be if both had the CPUs
    # to themselves (the rates depend on what else the machine runs, and on `nice`).
    if all(ingest["http_cpu"]) and all(ingest["copy_cpu"]):
        out["cpu_ratio"] = statistics.median(
            c / h for h, c in zip(ingest["http_cpu"], ingest["copy_cpu"], strict=True)
        )
    return out


NAMES = {
    "baseline": "baseline (login_required, DB sessions)",
    "my_credit": "My credit, 20 decisions",
    "my_credit_200": "My credit, 200 decisions",
    "appeal": "appeal page",
    "api_200": "/api/v1/me/credit-line/, 200 decisions",
}


def _print(r: dict) -> None:
    for name, words in NAMES.items():
        if name not in r:
            continue
        print(
            f"  {words}: {r[name]:,.0f} req/s, p95 {r[name + '_p95']:.0f} ms"
            + ("" if name == "baseline" else f" ({r[name + '_ratio']:.2f}x)")
        )
    if "ingest" in r:
        print(
            f"  ingestion over HTTP: {r['ingest']:,.0f} events/s; COPY {r['copy']:,.0f}/s"
            f" ({r['ingest_ratio']:.2f}x"
            + (f"; by CPU {r['cpu_ratio']:.2f}x)" if "cpu_ratio" in r else ")")
        )


def _cell(r: dict, name: str) -> str:
    if name not in r:
        return "–"
    return f"{r[name]:,.0f} / {r[name + '_p95']:.0f} ms (**{r[name + '_ratio']:.2f}**)"


def row(r: dict) -> str:
    baseline = f"{r['baseline']:,.0f} / {r['baseline_p95']:.0f} ms" if "baseline" in r else "–"
    cpu = f"; CPU {r['cpu_ratio']:.2f}" if "cpu_ratio" in r else ""
    ingestion = (
        f"{r['ingest']:,.0f} / {r['copy']:,.0f} (**{r['ingest_ratio']:.2f}**{cpu})"
        if "ingest" in r
        else "–"
    )
    return (
        f"| {r['when']} | `{r['commit']}` | {r['requests']:,} | "
        f"{baseline} | {_cell(r, 'my_credit')} | "
        f"{_cell(r, 'my_credit_200')} | {_cell(r, 'appeal')} | {_cell(r, 'api_200')} | "
        f"{ingestion} | {r['machine']}{'; states built' if 'ingest' in r else ''} |"
    )


HEADER = (
    f"{START}\n"
    "## Pages and ingestion over HTTP\n\n"
    "`python -m bench --only http_load` (needs PostgreSQL and Redis): gunicorn with 2 sync\n"
    "workers on 127.0.0.1, production settings, static files collected. Pages at concurrency\n"
    "8, a new connection per request; each cell is req/s / p95 (**ratio to the baseline**),\n"
    "the median of three interleaved rounds. Baseline: a `login_required` view on DB sessions.\n"
    "Ingestion: 4 clients, batches of 1,000 valid events over 1,000 lines, against the same\n"
    "rows by psycopg COPY (4 clients, 1,000 a transaction) into a table with the same unique\n"
    "key: events/s HTTP / COPY (**ratio**). No Celery worker runs during the timing. Rows\n"
    'marked "states built" built the lines\' feature states first (each batch folds into\n'
    "them, as after a nightly pass) and warmed both paths with one untimed batch per client.\n"
    "\"CPU\" after the ratio: COPY's CPU over HTTP's for the same events (gunicorn workers,\n"
    "their database backends and the client, from `/proc`), the ratio the two would reach\n"
    "with the CPUs to themselves; the rates depend on the machine's load and on `nice`.\n"
    "`BENCH_HTTP_PARTS=ingestion` (or `pages`) times one part; the other's cells show –.\n"
    "Targets (issue 16): pages >= 0.5x, flat from 20 to 200 decisions, p95 < 100 ms;\n"
    "ingestion >= 0.3x COPY and >= 10,000 events/s.\n\n"
    "| when | commit | requests/page/round | baseline | My credit (20) | My credit (200) "
    "| appeal page | me/credit-line (200) | ingestion HTTP / COPY | machine |\n"
    "|---|---|---|---|---|---|---|---|---|---|\n"
)
