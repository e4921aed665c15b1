"""PostgreSQL restarted under load. The app runs in gunicorn (threads, kept connections) on a
private PostgreSQL cluster; threads send borrower pages, the borrower API and ingestion
batches; PostgreSQL is stopped mid-load and started again. While it is down every request is
answered promptly with 503 and Retry-After (the JSON error shape under /api/, the unavailable
page elsewhere), never 500 and never a hang; once it is back every request succeeds on new
connections, and each ingestion batch answered 503 was written whole or not at all: sent
again, it is accepted whole, or answered whole as duplicates when the database went away between
the commit and the answer."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass

import psycopg
import pytest
import requests

from tests.conftest import ARTIFACTS, ROOT
from tests.credit.ingestion_factories import event
from tests.faults.conftest import _free_port, wait_until

pytestmark = [pytest.mark.slow]

THREADS = 4
REQUEST_TIMEOUT = 15  # seconds: a request that takes longer counts as a hang
MAX_REQUESTS_DOWN = 60  # per thread, while PostgreSQL is stopped
DATABASE = "recourse_fault"

SETUP = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from accounts.services import borrower_token_issue
from tests.accounts.factories import service_token
from tests.credit.ingestion_factories import borrower_with_line
from tests.credit.factories import ensure_reference_data

ensure_reference_data()
borrower = borrower_with_line(customer_id="C-PG-RESTART")
session = SessionStore()
session[SESSION_KEY] = str(borrower.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = borrower.get_session_auth_hash()
session.create()
print(json.dumps({
    "session": session.session_key,
    "borrower_token": borrower_token_issue(user=borrower)[1],
    "service_token": service_token()[1],
}))
"""


@dataclass
class Answer:
    kind: str
    status: int | None  # None: no answer within REQUEST_TIMEOUT, or the connection failed
    body: str
    retry_after: str | None
    batch: list[dict] | None = None


class Load:
    """What the borrowers and the core system send: a page, an API read, an ingestion batch."""

    def __init__(self, base: str, secrets: dict) -> None:
        self.base = base
        self.secrets = secrets
        self.ids = itertools.count()
        self.lock = threading.Lock()

    def batch(self) -> list[dict]:
        with self.lock:
            n = next(self.ids)
        return [
            event("C-PG-RESTART", f"pg-{n}-{i}", "bureau_score", data={"score": 600 + i})
            for i in range(3)
        ]

    def send(self, kind: str, batch: list[dict] | None = None) -> Answer:
        session = requests.Session()
        try:
            if kind == "page":
                session.cookies.set("sessionid", self.secrets["session"])
                r = session.get(f"{self.base}/credit/", timeout=REQUEST_TIMEOUT)
            elif kind == "api":
                r = session.get(
                    f"{self.base}/api/v1/me/credit-line/",
                    headers={"Authorization": f"Bearer {self.secrets['borrower_token']}"},
                    timeout=REQUEST_TIMEOUT,
                )
            else:
                batch = batch or self.batch()
                r = session.post(
                    f"{self.base}/api/v1/credit-events/",
                    json=batch,
                    headers={"Authorization": f"Bearer {self.secrets['service_token']}"},
                    timeout=REQUEST_TIMEOUT,
                )
        except requests.RequestException as exc:
            return Answer(kind, None, f"{type(exc).__name__}: {exc}", None, batch)
        finally:
            session.close()
        return Answer(kind, r.status_code, r.text, r.headers.get("Retry-After"), batch)

    def round(self) -> list[Answer]:
        return [self.send(kind) for kind in ("page", "api", "ingest")]


def _manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    if done.returncode:
        pytest.fail(f"manage.py {args[0]} failed:\n{done.stderr.decode()[-3000:]}")
    return done.stdout.decode()


def _server_answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def app_on_private_postgres(private_postgres):
    """Migrated database, a borrower with a line and a session, tokens; gunicorn serving."""
    admin = psycopg.connect(
        private_postgres.url("postgres").replace("postgres://", "postgresql://")
    )
    admin.autocommit = True
    admin.execute(f"CREATE DATABASE {DATABASE}")
    admin.close()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": private_postgres.url(DATABASE),
        "CONN_MAX_AGE": "60",  # kept connections, which must be replaced after the restart
        "CELERY_BROKER_URL": "",  # tasks in process: this test is about the database
        "CELERY_RESULT_BACKEND": "",
        "CACHE_URL": "locmemcache://fault",
    }
    _manage(env, "migrate", "--noinput")
    secrets = json.loads(_manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "fault-gunicorn.log", "ab") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                str(THREADS),
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until(lambda: _server_answers(base), seconds=60, what="gunicorn to answer")
            yield private_postgres, Load(base, secrets)
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=20)


def _load_until(load: Load, stop: threading.Event) -> tuple[list[Answer], list[threading.Thread]]:
    """THREADS threads send rounds until `stop` is set (at most MAX_REQUESTS_DOWN each)."""
    answers: list[Answer] = []
    lock = threading.Lock()

    def run() -> None:
        kinds = itertools.cycle(("page", "api", "ingest"))
        for _ in range(MAX_REQUESTS_DOWN):
            if stop.is_set():
                return
            answer = load.send(next(kinds))
            with lock:
                answers.append(answer)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    return answers, threads


def _events_stored(cluster) -> int:
    url = cluster.url(DATABASE).replace("postgres://", "postgresql://")
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT count(*) FROM credit_creditevent WHERE external_id LIKE 'pg-%'"
        ).fetchone()[0]


def test_postgres_stopped_under_load_answers_503_and_recovers(app_on_private_postgres):
    cluster, load = app_on_private_postgres
    warm = [answer for _ in range(THREADS) for answer in load.round()]
    assert [a.status for a in warm] == [200] * len(warm), [a.body[:300] for a in warm]

    stop = threading.Event()
    during, threads = _load_until(load, stop)
    wait_until(lambda: len(during) >= THREADS * 3, what="the load to run")
    cluster.stop()
    seen_down = len(during)
    wait_until(
        lambda: len(during) >= seen_down + THREADS * 6 or not any(t.is_alive() for t in threads),
        seconds=120,
        what="requests while PostgreSQL is down",
    )
    stop.set()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT * 2)
    assert not any(thread.is_alive() for thread in threads)

    statuses = Counter(a.status for a in during)
    print(f"answers while PostgreSQL stopped: {dict(statuses)}")  # shown with -s
    assert set(statuses) <= {200, 503}, {
        a.status: a.body[:500] for a in during if a.status not in (200, 503)
    }
    unavailable = [a for a in during if a.status == 503]
    assert len(unavailable) >= THREADS * 3  # what was sent after the stop
    assert all(a.retry_after == "30" for a in unavailable)
    for answer in unavailable:
        if answer.kind == "page":
            assert "Briefly unavailable" in answer.body and "暂时无法服务" in answer.body
        else:
            assert json.loads(answer.body)["error"]["code"] == "service_unavailable"
    assert {a.kind for a in unavailable} == {"page", "api", "ingest"}

    cluster.start()
    back = [answer for _ in range(THREADS) for answer in load.round()]
    assert [a.status for a in back] == [200] * len(back), [a.body[:300] for a in back]

    # Each batch answered 503 was written whole or not at all, never in part: sent again, its
    # events are all accepted, or (when PostgreSQL went away after the commit but before the
    # answer, which no server can rule out) all answered as duplicates.
    refused = [a.batch for a in unavailable if a.kind == "ingest"]
    for batch in refused:
        again = load.send("ingest", batch)
        assert again.status == 200
        counts = json.loads(again.body)["counts"]
        assert len(batch) in (counts["accepted"], counts["duplicate"]), again.body
    # and a batch that was answered 200 was written whole: sent again, all duplicates
    saved = next(a.batch for a in [*warm, *during] if a.kind == "ingest" and a.status == 200)
    again = load.send("ingest", saved)
    assert json.loads(again.body)["counts"]["duplicate"] == len(saved)

    sent = {e["external_id"] for a in [*warm, *during, *back] if a.batch for e in a.batch}
    assert _events_stored(cluster) == len(sent)
