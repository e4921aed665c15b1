"""Fault tests: a private Redis and a private PostgreSQL cluster on 127.0.0.1 that a test may
stop and start, and a real Celery worker. Nothing here touches the shared Redis or PostgreSQL;
every wait is bounded."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import ARTIFACTS, ROOT, WORKER_COMMAND, require

WAIT = 20  # seconds any start or stop may take


def _free_port() -> int:
    """A free port of 127.0.0.1: any, or one of FAULT_TEST_PORTS ("8110-8119") when set."""
    wanted = os.environ.get("FAULT_TEST_PORTS", "")
    candidates = [0]
    if wanted:
        low, _, high = wanted.partition("-")
        candidates = list(range(int(low), int(high or low) + 1))
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    pytest.fail(f"No free port in FAULT_TEST_PORTS={wanted}.")


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class PrivateRedis:
    """A redis-server of this test alone, on a free port of 127.0.0.1, without persistence."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + WAIT
        while not _answers(self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                pytest.fail("The private Redis did not start.")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=WAIT)
        self.process = None
        assert not _answers(self.port)


@pytest.fixture
def private_redis():
    require(shutil.which("redis-server") is not None, "redis-server")
    redis = PrivateRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@contextlib.contextmanager
def celery_on(broker_url: str):
    """Point this process's Celery app at `broker_url`, not eager; restore afterwards."""
    from config.celery import app

    keys = ("task_always_eager", "broker_url", "broker_read_url", "broker_write_url")
    saved = {key: app.conf.get(key) for key in (*keys, "result_backend")}
    # Celery reads CELERY_BROKER_URL from the environment before its own setting.
    saved_env = {k: os.environ.get(k) for k in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")}
    os.environ["CELERY_BROKER_URL"] = os.environ["CELERY_RESULT_BACKEND"] = broker_url
    app.conf.task_always_eager = False
    # read/write URLs too: a worker fixture that ran earlier may have pinned them
    app.conf.broker_url = app.conf.broker_read_url = app.conf.broker_write_url = broker_url
    app.conf.result_backend = broker_url
    _drop_connections(app)
    try:
        yield app
    finally:
        for key, value in saved.items():
            app.conf[key] = value
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _drop_connections(app)


def _drop_connections(app) -> None:
    # Forget (never close) the pools: kombu keeps them per URL for the other tests.
    app._pool = None
    app.amqp._producer_pool = None
    # And the result backend, which the app builds once from `result_backend` and keeps (per
    # thread unless thread-safe): kept, it would still point at a private Redis this test has
    # stopped, and the next test's `.delay()` (which subscribes to its result) would fail.
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


@contextlib.contextmanager
def worker(broker_url: str, cache_url: str, **extra_env: str):
    """A real `celery worker` on `broker_url`, seeing the test database; stopped on exit."""
    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CELERY_BROKER_URL": broker_url,
        "CELERY_RESULT_BACKEND": broker_url,
        "CACHE_URL": cache_url,
        # the tasks it queues go to the broker, as in production (not run inline, eagerly)
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        **extra_env,
    }
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "fault-worker.log", "ab") as log:
        proc = subprocess.Popen(
            WORKER_COMMAND,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=WAIT)


def wait_until(check, *, seconds: float = 60, what: str = "the condition") -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {seconds} s waiting for {what}.")
        time.sleep(0.25)


def _postgres_bin() -> Path | None:
    """The PostgreSQL server binaries: PG_BIN, else initdb on PATH, else Debian's layout."""
    candidates = [os.environ.get("PG_BIN", "")]
    if found := shutil.which("initdb"):
        candidates.append(str(Path(found).parent))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    return None


class PrivatePostgres:
    """A PostgreSQL cluster of this test alone: initdb in a temp dir, a free port of
    127.0.0.1, trust authentication, no fsync. Run as the `postgres` user when we are root
    (initdb refuses root)."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="recourse-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run(
            [*self.as_user, str(self.bin / tool), *args],
            capture_output=True,
            timeout=60,
            check=False,
        )
        if done.returncode:
            pytest.fail(f"{tool} failed: {done.stderr.decode(errors='replace')[-2000:]}")

    def init(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--no-instructions",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "server.log"),
            "-w",
            "-t",
            str(WAIT),
            "-o",
            options,
            "start",
        )

    def stop(self) -> None:
        """A fast shutdown: open connections are ended, as in a restart by an operator."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", str(WAIT), "stop")

    def running(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def remove(self) -> None:
        if self.running():
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_postgres():
    bin_dir = _postgres_bin()
    require(bin_dir is not None, "initdb (the PostgreSQL server binaries; PG_BIN)")
    if os.geteuid() == 0:
        require(shutil.which("runuser") is not None, "runuser (to run initdb as postgres)")
    cluster = PrivatePostgres(bin_dir)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()
