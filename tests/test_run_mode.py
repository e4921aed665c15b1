"""What `make run` (the embedded settings) shows when something goes wrong: the designed error
pages in the reader's language, not Django's debug pages; and SQLite waits for a lock."""

import os
import subprocess
import sys

import pytest
from django.db import connection
from django.test import override_settings

from tests.conftest import ROOT
from tests.support import plain

pytestmark = pytest.mark.django_db


def _embedded(expression: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DATABASE_URL")}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_make_run_is_not_in_debug_mode_unless_asked():
    assert _embedded("settings.DEBUG") == "False"


def test_the_embedded_sqlite_waits_for_a_lock_instead_of_failing():
    assert int(_embedded("settings.DATABASES['default']['OPTIONS']['timeout']")) >= 5
    if connection.vendor == "sqlite":
        assert connection.settings_dict["OPTIONS"]["timeout"] >= 5


@pytest.mark.parametrize(
    ("language", "not_found", "forbidden"),
    [
        ("en", "We can't find that page", "You can't open this page"),
        ("zh-hans", "找不到该页面", "您无法打开此页面"),
    ],
)
@override_settings(ROOT_URLCONF="tests.test_run_mode_urls")
def test_designed_404_and_403_pages_in_the_readers_language(
    client, borrower, language, not_found, forbidden
):
    client.force_login(borrower)
    client.cookies["recourse_language"] = language
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404 and not_found in plain(missing)
    refused = client.get("/forbidden/")
    assert refused.status_code == 403 and forbidden in plain(refused)
    assert "Traceback" not in plain(refused)
