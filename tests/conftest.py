"""Shared fixtures. Tests that need PostgreSQL, Redis or a browser carry a marker; under
CI=true a missing service fails the test instead of skipping it."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.db import connection

from tests.factories import BorrowerFactory, StaffFactory

ON_CI = os.environ.get("CI", "").lower() == "true"
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def require(available: bool, what: str) -> None:
    if available:
        return
    if ON_CI:
        pytest.fail(f"{what} is required when CI=true, and it is missing.", pytrace=False)
    pytest.skip(f"{what} is not available here.")


def _redis_url() -> str | None:
    return os.environ.get("CELERY_BROKER_URL") or None


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    return bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(fixtures)
    )


def pytest_collection_modifyitems(items):
    """Transactional tests run without serialized rollback; `_migrated_data` re-creates what
    the migrations load instead. Mixing tests that restore a serialized copy with tests that
    don't breaks the former: a plain flush re-creates content types under new ids, which the
    next restore then collides with.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("serialized_rollback"):
            kwargs = {**marker.kwargs, "serialized_rollback": False}
            item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)


@pytest.fixture(autouse=True)
def _migrated_data(request):
    """After a transactional test's flush, put back the rows data migrations created."""
    if not _is_transactional(request.node):
        return
    request.getfixturevalue("transactional_db")
    from tests.credit.factories import ensure_reference_data

    ensure_reference_data()


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres"):
        require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    if item.get_closest_marker("redis"):
        url = _redis_url()
        require(bool(url) and _reachable(url), "Redis (CELERY_BROKER_URL)")
    if item.get_closest_marker("browser"):
        require(shutil.which("chromium") is not None, "Chromium")


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    """Rate limits count in the cache; every test starts from zero (all share 127.0.0.1)."""
    from django.core.cache import caches

    caches["default"].clear()


@pytest.fixture
def borrower(db):
    return BorrowerFactory()


@pytest.fixture
def staff_user(db):
    return StaffFactory()


@pytest.fixture
def redis_url() -> str:
    url = _redis_url()
    require(bool(url) and _reachable(url), "Redis (CELERY_BROKER_URL)")
    return url


# One solo worker process, no gossip: what the integration and fault tests start.
WORKER_COMMAND = [
    sys.executable,
    "-m",
    "celery",
    "-A",
    "config",
    "worker",
    "--pool=solo",
    "--concurrency=1",
    "--without-gossip",
    "--without-mingle",
    "--loglevel=INFO",
]


def wait_until(predicate, what: str, timeout: float) -> None:
    """Poll `predicate` until it is true, failing the test after `timeout` seconds: for tests
    that wait on another process (a real worker, a server)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)  # integration test: waiting for another process
    pytest.fail(f"timed out waiting for {what}")


def start_celery_worker(redis_url: str, log_name: str = "celery-worker.log"):
    """Start a real `celery worker` process on Redis, seeing the test database, and wait
    until it answers. Returns (process, log file); the caller stops both."""
    from config.celery import app

    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        CELERY_BROKER_URL=redis_url,
        CELERY_RESULT_BACKEND=redis_url,
    )
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / log_name, "ab")  # noqa: SIM115 - closed by the caller
    proc = subprocess.Popen(
        WORKER_COMMAND,
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    app.conf.task_always_eager = False
    app.conf.broker_url = redis_url
    app.conf.result_backend = redis_url
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return proc, log
        if proc.poll() is not None:
            log.close()
            pytest.fail("The Celery worker exited while starting; see test-artifacts.")
    proc.kill()
    log.close()
    pytest.fail("The Celery worker did not answer within 30 s.")


def stop_celery_worker(proc, log) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture
def celery_worker_process(redis_url, transactional_db):
    """A real `celery worker` process on Redis, seeing the test database."""
    from config.celery import app

    was_eager = app.conf.task_always_eager
    proc, log = start_celery_worker(redis_url)
    try:
        yield proc
    finally:
        app.conf.task_always_eager = was_eager
        stop_celery_worker(proc, log)
