"""manage.py import_credit_events FILE.jsonl: the API's checks, for backfills."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command

from credit.models import CreditEvent
from tests.credit.ingestion_factories import borrower_with_line, event

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel("2026-03-12T12:00:00+08:00", tick=False):
        yield


def write_lines(path: Path, lines: list) -> Path:
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n",
        encoding="utf-8",
    )
    return path


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_credit_events", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_imports_good_lines_and_reports_bad_ones_by_line_number(tmp_path):
    customer = borrower_with_line()
    c = customer.customer_id
    path = write_lines(
        tmp_path / "backfill.jsonl",
        [
            event(c, "ev-1"),
            '{"source": "core", "external_id": ',  # line 2: cut off
            event("NOBODY", "ev-3"),  # line 3
            "",  # blank lines are skipped
            event(c, "ev-1"),  # line 5: repeats line 1
            event(c, "ev-6", "bureau_score"),
            "[1, 2]",  # line 7
        ],
    )
    out, err = run(path)
    assert "backfill.jsonl: 2 accepted, 1 duplicate, 3 rejected." in out
    assert "line 2: Malformed JSON" in out
    assert "line 3: customer_id: unknown customer 'NOBODY'" in out
    assert "line 7: Each event must be a JSON object." in out
    assert set(CreditEvent.objects.values_list("external_id", flat=True)) == {"ev-1", "ev-6"}
    assert "7/7" in err  # the progress bar, on stderr


def test_importing_the_same_file_again_adds_nothing(tmp_path):
    c = borrower_with_line().customer_id
    path = write_lines(tmp_path / "f.jsonl", [event(c, f"ev-{i}") for i in range(5)])
    run(path)
    out, _ = run(path)
    assert "0 accepted, 5 duplicate, 0 rejected" in out
    assert CreditEvent.objects.count() == 5


def test_chunks_see_the_earlier_chunks(tmp_path):
    c = borrower_with_line().customer_id
    lines = [event(c, f"ev-{i}") for i in range(5)] + [event(c, "ev-0")]
    path = write_lines(tmp_path / "f.jsonl", lines)
    out, _ = run(path, "--chunk-size", 2)
    assert "5 accepted, 1 duplicate, 0 rejected" in out


def test_rejected_lines_can_be_written_to_a_file(tmp_path):
    c = borrower_with_line().customer_id
    path = write_lines(tmp_path / "f.jsonl", [event(c, "ev-1"), "nope", event("X", "ev-2")])
    out_file = tmp_path / "rejected.jsonl"
    out, _ = run(path, "--rejected-out", out_file)
    rows = [json.loads(line) for line in out_file.read_text().splitlines()]
    assert [(r["line"], r["code"]) for r in rows] == [
        (2, "malformed_json"),
        (3, "unknown_customer"),
    ]
    assert rows[1]["text"] == json.dumps(event("X", "ev-2"))


def test_invalid_utf8_is_a_rejected_line_not_a_crash(tmp_path):
    c = borrower_with_line().customer_id
    path = tmp_path / "f.jsonl"
    path.write_bytes(json.dumps(event(c)).encode() + b"\n\xff\xfe{}\n")
    out, _ = run(path, "--no-progress")
    assert "1 accepted, 0 duplicate, 1 rejected" in out
    assert "line 2: Not UTF-8." in out


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="Can't read"):
        run(tmp_path / "absent.jsonl")


def test_a_directory_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="Can't read"):
        run(tmp_path)


@pytest.mark.parametrize("size", ["0", "1001"])
def test_chunk_size_is_bounded(tmp_path, size):
    path = write_lines(tmp_path / "f.jsonl", [])
    with pytest.raises(CommandError, match="chunk-size"):
        run(path, "--chunk-size", size)


def test_the_exit_code_is_non_zero_for_a_missing_file(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "import_credit_events", str(tmp_path / "absent.jsonl")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert "Can't read" in result.stderr
