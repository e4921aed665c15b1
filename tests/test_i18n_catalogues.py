"""Every string marked for translation has a Chinese and an English translation, and the
compiled catalogues match their sources."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(ROOT.glob("*/locale/*/LC_MESSAGES/django.po")) + sorted(
    ROOT.glob("locale/*/LC_MESSAGES/django.po")
)


def _entries(po: Path) -> dict[str, str]:
    """msgid (with context and plural joined) -> first msgstr, for non-obsolete entries."""
    entries: dict[str, str] = {}
    current: dict[str, str] = {}
    key = None
    fuzzy = False
    for raw in po.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if current.get("msgid"):
                ident = current.get("msgctxt", "") + "\x04" + current["msgid"]
                entries[ident] = (
                    "" if fuzzy else current.get("msgstr", current.get("msgstr[0]", ""))
                )
            current, key, fuzzy = {}, None, False
        elif line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("#"):
            continue
        elif line.startswith('"') and key:
            current[key] += line[1:-1]
        else:
            key, _, value = line.partition(" ")
            current[key] = value[1:-1]
    return entries


def test_there_are_catalogues_for_both_languages():
    languages = {po.parent.parent.name for po in CATALOGUES}
    assert {"zh_Hans", "en"} <= languages


@pytest.mark.parametrize("po", [p for p in CATALOGUES if "zh_Hans" in str(p)], ids=str)
def test_every_chinese_string_is_translated(po):
    missing = [msgid.split("\x04")[1] for msgid, msgstr in _entries(po).items() if not msgstr]
    assert missing == []


def test_catalogues_cover_every_marked_string(tmp_path):
    """makemessages on a copy of the tree adds nothing the committed catalogues lack."""
    require(shutil.which("xgettext") is not None, "GNU gettext (xgettext)")
    copy = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".tools",
            ".git",
            "var",
            "staticfiles",
            "test-artifacts",
            "*.sqlite3",
            "__pycache__",
        ),
    )
    subprocess.run(
        [
            str(ROOT / ".venv/bin/python"),
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-obsolete",
            "--ignore=.venv",
            "--ignore=.tools",
            "--ignore=staticfiles",
            "--ignore=tests",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"},
    )
    for po in copy.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"):
        committed = ROOT / po.relative_to(copy)
        assert committed.exists(), f"missing catalogue {committed}"
        new_ids = set(_entries(po)) - set(_entries(committed))
        assert new_ids == set(), f"{committed} lacks {sorted(i.split(chr(4))[1] for i in new_ids)}"


@pytest.mark.parametrize("po", CATALOGUES, ids=str)
def test_compiled_catalogue_is_up_to_date(po, tmp_path):
    require(shutil.which("msgfmt") is not None, "GNU gettext (msgfmt)")
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(compiled), str(po)], check=True)
    assert compiled.read_bytes() == po.with_suffix(".mo").read_bytes(), "run `make messages`"
