"""What every benchmark needs: a database of its own, and Django set up against it."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent


def own_database(name_suffix: str, keep: bool = False) -> tuple[str, Callable[[], None]]:
    """Point DATABASE_URL at a fresh database for this run; return (label, cleanup).

    PostgreSQL when DATABASE_URL names one (`<db>_<suffix>`, dropped after), otherwise a
    SQLite file in a temporary folder. With `keep` (PostgreSQL only) the database is neither
    dropped before nor after, so a large seed is built once and measured many times.
    """
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parsed = urlparse(url)
        name = f"{parsed.path.lstrip('/') or 'recourse'}_{name_suffix}"
        admin = urlunparse(parsed._replace(path="/postgres", scheme="postgresql"))

        def run(sql: str) -> None:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(sql)

        os.environ["DATABASE_URL"] = urlunparse(parsed._replace(path=f"/{name}"))
        if keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [name]
                ).fetchone()
            if not exists:
                run(f'CREATE DATABASE "{name}"')

            def close() -> None:
                from django.db import connections

                connections.close_all()

            return f"PostgreSQL ({name}, kept)", close
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        run(f'CREATE DATABASE "{name}"')

        def cleanup() -> None:
            from django.db import connections

            connections.close_all()
            run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return f"PostgreSQL ({name}, dropped after)", cleanup
    folder = tempfile.mkdtemp(prefix="recourse-bench-")
    path = Path(folder) / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"

    def cleanup() -> None:
        from django.db import connections

        connections.close_all()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        Path(folder).rmdir()

    return "SQLite (temporary file)", cleanup


def setup_django() -> None:
    """Django on the embedded settings, migrated. Deliveries go to an in-memory broker and
    mail to memory: the benchmarks time deciding and reading, not sending."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ["CELERY_RESULT_BACKEND"] = "cache+memory://"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)


RESULTS = ROOT / "docs" / "benchmarks.md"


def commit() -> str:
    """The short id of the commit measured ("?" outside a git checkout)."""
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        return "?"


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def record_rows(*, start: str, end: str, header: str, rows: list[str]) -> None:
    """Add rows to a benchmark's section of docs/benchmarks.md (between its `start` and `end`
    markers; `header` begins with `start`), keeping the rows earlier runs wrote."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmarks\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        body, after = rest.split(end, 1)
        kept = [line for line in body.splitlines() if line.startswith("| 20")]
        text = before + header + "\n".join([*kept, *rows]) + f"\n{end}" + after
    else:
        text = text.rstrip() + "\n\n" + header + "\n".join(rows) + f"\n{end}\n"
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text)
