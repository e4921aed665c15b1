"""`make bench` keeps running as the models grow. Every benchmark runs here at a few hundred
rows, as an operator runs it: in a process of its own, against databases it creates and drops,
with gunicorn, PostgreSQL and Redis for the HTTP one. Its figures are not judged here
(performance is measured, never asserted in a test); that each benchmark reaches its result
is. A seed written by COPY once fell behind three new NOT NULL columns, and `make bench`
stopped at its second benchmark without any test noticing."""

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db]

# What each benchmark prints once it has timed everything (its summary, before any write).
FINISHED = {
    "reevaluation": "ratio full re-score / baseline:",
    "admin_queue": "search: part of a phone",
    "webhooks": "baseline (raw POSTs)",
    "delivery": "in batches of",
    "http_load": "ingestion over HTTP:",
    "reports": "the whole year",
}


def test_every_benchmark_runs_to_its_result_at_a_small_scale():
    from bench.__main__ import BENCHMARKS

    assert set(FINISHED) == set(BENCHMARKS), "a benchmark was added: say what it prints last"
    before = (ROOT / "docs" / "benchmarks.md").read_bytes()
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--scale", "quick", "--lines", "200", "--no-write"],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    assert "Traceback" not in output, output[-4000:]
    for name, last_line in FINISHED.items():
        assert last_line in run.stdout, f"{name} did not reach its result:\n{output[-4000:]}"
    assert (ROOT / "docs" / "benchmarks.md").read_bytes() == before
