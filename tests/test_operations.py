"""Health check, security headers, production settings, and a real Celery worker."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db.utils import OperationalError
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client, settings):
    settings.CELERY_BROKER_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "eager"}


@pytest.mark.django_db
def test_healthz_reports_an_unreachable_broker_but_stays_up(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "down"


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_is_down(client, monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


@pytest.mark.django_db
def test_pages_forbid_inline_scripts(client, borrower):
    client.force_login(borrower)
    for url in (reverse("login"), reverse("credit:my-credit"), reverse("help")):
        response = client.get(url)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert not re.search(r"<script(?![^>]*\bsrc=)", response.content.decode())


@pytest.mark.django_db
def test_static_assets_are_served_by_the_app(client):
    body = client.get(reverse("login")).content.decode()
    for href in re.findall(r'(?:href|src)="(/static/[^"]+)"', body):
        response = client.get(href)
        assert response.status_code == 200, href
    assert "//" not in "".join(re.findall(r'(?:href|src)="(https?:)?//', body))


def _run_manage(*args, env_extra=None):
    dropped = {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_secret_and_hosts():
    result = _run_manage("check")
    assert result.returncode != 0
    assert "SECRET_KEY and ALLOWED_HOSTS" in result.stderr


def test_production_passes_the_deploy_checklist():
    result = _run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_extra={
            "SECRET_KEY": "k" * 20 + "x9Qz!7#vR2@pL5$wT8^mN1&bY4*cJ6(sF3)",
            "ALLOWED_HOSTS": "recourse.example",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_keeps_database_connections_and_checks_them_before_reuse():
    """Persistent connections: a request in production does not pay for a new connection."""
    result = _run_manage(
        "shell",
        "--verbosity",
        "0",
        "-c",
        "from django.db import connection as c; "
        "print(c.settings_dict['CONN_MAX_AGE'], c.settings_dict['CONN_HEALTH_CHECKS'])",
        env_extra={
            "SECRET_KEY": "k" * 20 + "x9Qz!7#vR2@pL5$wT8^mN1&bY4*cJ6(sF3)",
            "ALLOWED_HOSTS": "recourse.example",
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["600", "True"]


def test_production_gives_up_on_a_cache_that_does_not_answer():
    """A Redis that accepts the connection and then says nothing (a hung server, a dropped
    route) must not hold a request: the read fails (and My credit renders afresh) within the
    configured second rather than redis-py's default five, which a page pays per cache call."""
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel accepts; nobody ever reads or answers
    try:
        port = silent.getsockname()[1]
        result = _run_manage(
            "shell",
            "--verbosity",
            "0",
            "-c",
            "from django.conf import settings\nfrom django.core.cache import cache\n"
            "options = settings.CACHES['default']['OPTIONS']\n"
            "print(options['socket_connect_timeout'], options['socket_timeout'])\n"
            "try:\n    cache.get('probe')\nexcept Exception as error:\n"
            "    print(type(error).__name__)",
            env_extra={
                "SECRET_KEY": "k" * 20 + "x9Qz!7#vR2@pL5$wT8^mN1&bY4*cJ6(sF3)",
                "ALLOWED_HOSTS": "recourse.example",
                "CACHE_URL": f"redis://127.0.0.1:{port}/1",
            },
        )
    finally:
        silent.close()
    assert result.returncode == 0, result.stderr
    *_, timeouts, error = result.stdout.splitlines()
    assert [float(t) for t in timeouts.split()] == [0.5, 1.0]
    assert error == "TimeoutError"


@pytest.mark.django_db
def test_healthz_reports_a_reachable_broker(client, settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url
    assert client.get("/healthz").json()["broker"] == "ok"


@pytest.mark.redis
@pytest.mark.slow
def test_a_real_worker_runs_a_task(celery_worker_process):
    from config.celery import ping

    assert ping.delay().get(timeout=30) == "pong"
