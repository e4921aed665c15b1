"""Profile the borrower pages in process: statements, CPU per request and where it goes.

Run against the HTTP benchmark's kept database (`BENCH_KEEP_DB=1 python -m bench --only
http_load` once, to seed it), with production settings as the benchmark's server has them:

    DATABASE_URL=postgres://…/recourse_x_bench_http CACHE_URL=redis://…/N \\
        python -m bench.profile_pages [--requests 40] [--profile] [--sql]

Each page is requested through Django's test client with a real session cookie (DB
sessions, as the server), after a warm-up: the statements of one request (and with --sql
their text), the median CPU per request without a profiler, and with --profile the top of a
cProfile of all of them. Not part of `make bench`: a tool to see what a page costs.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time

from bench.common import ROOT

SECRET = "bench-http-" + "x" * 60


def _setup() -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.http_settings",
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="127.0.0.1,testserver",
        SECURE_SSL_REDIRECT="false",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
        LOG_FORMAT="text",
        SENTRY_DSN="",
    )
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    os.environ.setdefault("CACHE_URL", "locmemcache://profile")
    os.environ.setdefault("STATIC_ROOT", tempfile.mkdtemp(prefix="recourse-profile-static-"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _pages() -> dict[str, tuple[str, str]]:
    from accounts.models import User
    from appeals.models import Appeal
    from bench.http_load import _session

    short = _session(User.objects.get(customer_id="BH-00000"))
    long = _session(User.objects.get(customer_id="BH-00001"))
    appeal = Appeal.objects.select_related("borrower").get(
        borrower__email="zhang.min@demo.recourse"
    )
    return {
        "baseline": ("/bench/baseline/", short),
        "my_credit": ("/credit/", short),
        "my_credit_200": ("/credit/", long),
        "appeal": (f"/appeals/{appeal.pk}/", _session(appeal.borrower)),
        "api_200": ("/api/v1/me/credit-line/", long),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sql", action="store_true")
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    _setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("collectstatic", "--noinput", "-v0")

    pages = _pages()
    only = [p for p in args.only.split(",") if p] or list(pages)
    client = Client(HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="127.0.0.1")
    statements: list[list] = []  # (sql, params, seconds) of the last request

    def capture(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append([sql, params, time.perf_counter() - began])

    for name in only:
        path, cookie = pages[name]
        client.cookies["sessionid"] = cookie
        client.cookies["recourse_language"] = "en"
        for _ in range(5):
            assert client.get(path).status_code == 200, (name, path)
        with connection.execute_wrapper(capture):
            for _ in range(10):
                statements.clear()
                client.get(path)
        cpu, wall = [], []
        for _ in range(args.requests):
            began, began_wall = time.process_time(), time.perf_counter()
            client.get(path)
            cpu.append(time.process_time() - began)
            wall.append(time.perf_counter() - began_wall)
        print(
            f"{name}: {len(statements)} statements, median per request: "
            f"CPU {statistics.median(cpu) * 1000:.1f} ms, "
            f"wall {statistics.median(wall) * 1000:.1f} ms"
        )
        if args.sql:
            for sql, params, seconds in statements:
                print(f"    {seconds * 1000:.2f} ms  {sql[:300]}  {str(params)[:100]}")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.requests):
                client.get(path)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(30)
            _shares(stats)
            # The project's own functions (not the libraries'), by cumulative time.
            stats.sort_stats("cumulative").print_stats(str(ROOT) + r"/(?!\.venv)", 40)
            print(out.getvalue())


# Where a request's time goes, by the cumulative time of a few functions (they nest: the
# template's share includes its translations; shares do not add up to 100%).
SHARES = {
    "waiting on PostgreSQL": ("psycopg/cursor.py", "execute"),
    "ORM building SQL": ("django/db/models/sql/compiler.py", "as_sql"),
    "the ORM in all (build, run, read rows)": ("django/db/models/query.py", "_fetch_all"),
    "templates": ("django/template/base.py", "render"),
    "translation": ("django/utils/translation/__init__.py", "gettext"),
    "DRF serializers": ("rest_framework/serializers.py", "data"),
}


def _shares(stats: pstats.Stats) -> None:
    entries = stats.stats  # (file, line, name) -> (calls, primitive, tottime, cumtime, callers)
    total = max(cumtime for (_, _, _, cumtime, _) in entries.values())
    for label, (file_end, function) in SHARES.items():
        # The outermost call of each: the largest cumulative time among matching entries.
        spent = max(
            (
                cumtime
                for (file, _, name), (_, _, _, cumtime, _) in entries.items()
                if file.endswith(file_end) and name == function
            ),
            default=0.0,
        )
        print(f"  {label}: {spent / total:.0%}")


if __name__ == "__main__":
    main()
