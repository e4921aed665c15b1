"""The WSGI entry point leaves what it loaded out of the cyclic collector's full collections
(`gc.freeze`), which a request of 1,000 events would otherwise make walk the whole framework."""

import os
import subprocess
import sys

from tests.conftest import ROOT


def test_the_wsgi_application_freezes_what_it_loaded():
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DATABASE_URL")}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    code = "import gc, config.wsgi; print(gc.get_freeze_count())"
    frozen = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert int(frozen) > 10_000
