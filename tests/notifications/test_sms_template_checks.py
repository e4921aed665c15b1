"""`manage.py check` refuses an SMS provider that sends pre-approved templates (Alibaba Cloud)
without a template code for every event that can go by SMS, names the events missing, and
refuses codes for events that do not go by SMS."""

import json
import subprocess
import sys
from pathlib import Path

from notifications.checks import check_sms_template_codes
from notifications.registry import registry

ALIBABA = "notifications.sms_alibaba.AlibabaSmsBackend"
ROOT = Path(__file__).resolve().parents[2]


def _all_codes() -> dict[str, str]:
    return {spec.name: f"SMS_{i:04d}" for i, spec in enumerate(registry.sms_events())}


def _ids(errors) -> list[str]:
    return [error.id for error in errors]


def test_text_providers_need_no_template_codes(settings):
    settings.NOTIFICATIONS_SMS_BACKEND = "notifications.sms.LocMemSmsBackend"
    settings.NOTIFICATIONS_SMS_ROUTES = {}
    settings.ALIBABA_SMS_TEMPLATE_CODES = {}
    assert check_sms_template_codes() == []


def test_a_template_provider_without_a_code_for_an_sms_event_is_an_error(settings):
    settings.NOTIFICATIONS_SMS_ROUTES = {"+86": ALIBABA}
    codes = _all_codes()
    del codes["credit.closed"], codes["appeal.decided"]
    settings.ALIBABA_SMS_TEMPLATE_CODES = codes

    [error] = check_sms_template_codes()

    assert error.id == "notifications.E003"
    assert "ALIBABA_SMS_TEMPLATE_CODES" in error.msg
    assert "credit.closed" in error.msg and "credit.frozen" not in error.msg
    assert "sms_params" in error.hint


def test_every_code_present_passes_and_a_stray_code_is_an_error(settings):
    settings.NOTIFICATIONS_SMS_BACKEND = ALIBABA
    settings.ALIBABA_SMS_TEMPLATE_CODES = _all_codes()
    assert check_sms_template_codes() == []

    # staff.appeal_assigned never goes by SMS; credit.closd is a typo.
    settings.ALIBABA_SMS_TEMPLATE_CODES = {
        **_all_codes(),
        "staff.appeal_assigned": "SMS_9",
        "credit.closd": "SMS_10",
    }
    [error] = check_sms_template_codes()
    assert error.id == "notifications.E004"
    assert "credit.closd, staff.appeal_assigned" in error.msg


def test_codes_that_are_not_a_mapping_of_texts_are_an_error(settings):
    settings.NOTIFICATIONS_SMS_BACKEND = ALIBABA
    settings.ALIBABA_SMS_TEMPLATE_CODES = {"credit.closed": {"template_code": "SMS_1"}}
    assert _ids(check_sms_template_codes()) == ["notifications.E002"]


def test_an_sms_backend_that_cannot_be_imported_is_an_error(settings):
    settings.NOTIFICATIONS_SMS_ROUTES = {"+86": "notifications.sms_nowhere.Backend"}
    assert _ids(check_sms_template_codes()) == ["notifications.E001"]


def test_manage_py_check_fails_on_a_missing_code():
    """What an operator sees at deploy: the check runs with the real settings loader."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "NOTIFICATIONS_SMS_ROUTES": json.dumps({"+86": ALIBABA}),
        "ALIBABA_SMS_TEMPLATE_CODES": '{"credit.closed": "SMS_4711"}',
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "notifications.E003" in done.stderr
    assert "appeal.decided" in done.stderr and "credit.frozen" in done.stderr


def test_the_docs_list_every_sms_event_with_its_template_parameters():
    """Operators have the templates approved from this table; it must match the code."""
    text = (ROOT / "docs" / "notifications.md").read_text(encoding="utf-8")
    for spec in registry.sms_events():
        cell = ", ".join(f"`{key}`" for key in spec.sms_params) or "— (no variables)"
        assert f"| `{spec.name}` | {cell} |" in text, spec.name
