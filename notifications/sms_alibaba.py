"""Alibaba Cloud SMS (Dysmsapi 2017-05-25) through its official SDK, for mainland numbers.

Mainland SMS must use templates approved in advance, not free text. Each SMS event declares
its template's parameters where it is declared (`sms_params`, in its app's notices.py); the
approved template code per event comes from `ALIBABA_SMS_TEMPLATE_CODES`
({"<event>": "SMS_4711"}), checked at start-up (notifications.checks). Only the
declared parameters are sent; the text Recourse rendered is not — the provider fills the
approved template.

Settings: ALIBABA_SMS_ACCESS_KEY_ID, ALIBABA_SMS_ACCESS_KEY_SECRET, ALIBABA_SMS_SIGN_NAME,
ALIBABA_SMS_TEMPLATE_CODES, ALIBABA_SMS_ENDPOINT (tests point it at a local fake, with
ALIBABA_SMS_PROTOCOL=HTTP); NOTIFICATIONS_SMS_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import json

import requests
from alibabacloud_dysmsapi20170525 import models as dysms
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import models as openapi
from alibabacloud_tea_util import models as tea_util
from django.conf import settings
from Tea.exceptions import TeaException, UnretryableException

from .registry import RegistryError, registry
from .sms import (
    BaseSmsBackend,
    PermanentDeliveryError,
    TransientDeliveryError,
    UnknownOutcomeError,
)

# The provider's answer codes worth another try, with how long to wait (seconds).
RETRY_AFTER = {
    "isv.BUSINESS_LIMIT_CONTROL": 60.0,  # per-number minute/hour flow control
    "isv.DAY_LIMIT_CONTROL": 6 * 3600.0,  # the day's quota for this number is spent
    "Throttling.User": 30.0,
    "Throttling": 30.0,
    "isp.SYSTEM_ERROR": None,
    "isp.RAM_PERMISSION_DENY": None,
    "ServiceUnavailable": None,
    "InternalError": None,
}
# Everything else (invalid number, template or signature mismatch, bad credentials,
# blacklisted content, unknown codes) is permanent: another try cannot help.


class AlibabaSmsBackend(BaseSmsBackend):
    uses_templates = True
    template_codes_setting = "ALIBABA_SMS_TEMPLATE_CODES"

    def __init__(self):
        self.sign_name = settings.ALIBABA_SMS_SIGN_NAME
        self.template_codes = settings.ALIBABA_SMS_TEMPLATE_CODES
        if not (settings.ALIBABA_SMS_ACCESS_KEY_ID and settings.ALIBABA_SMS_ACCESS_KEY_SECRET):
            raise PermanentDeliveryError("Alibaba Cloud SMS is not configured (access key)")
        if not self.sign_name:
            raise PermanentDeliveryError("Alibaba Cloud SMS needs ALIBABA_SMS_SIGN_NAME")
        self.client = Client(
            openapi.Config(
                access_key_id=settings.ALIBABA_SMS_ACCESS_KEY_ID,
                access_key_secret=settings.ALIBABA_SMS_ACCESS_KEY_SECRET,
                endpoint=settings.ALIBABA_SMS_ENDPOINT,
                protocol=settings.ALIBABA_SMS_PROTOCOL,
            )
        )
        timeout_ms = int(settings.NOTIFICATIONS_SMS_TIMEOUT_SECONDS * 1000)
        self.runtime = tea_util.RuntimeOptions(
            connect_timeout=timeout_ms, read_timeout=timeout_ms, autoretry=False, max_attempts=1
        )

    def _template(self, event: str, context: dict) -> tuple[str, str | None]:
        """The approved template code and its parameters: the event's declared `sms_params`
        from the context, nothing else."""
        try:
            declared = registry.event(event).sms_params
        except RegistryError as exc:
            raise PermanentDeliveryError(str(exc)) from None
        template_code = self.template_codes.get(event)
        if not template_code or declared is None:
            raise PermanentDeliveryError(
                f"No approved Alibaba Cloud template for {event!r} (ALIBABA_SMS_TEMPLATE_CODES)"
            )
        missing = [name for name in declared if context.get(name) in (None, "")]
        if missing:
            raise PermanentDeliveryError(
                f"template mismatch: {event!r} lacks {', '.join(missing)} for {template_code}"
            )
        params = {name: str(context[name]) for name in declared}
        return template_code, (json.dumps(params, ensure_ascii=False) if params else None)

    def send(self, *, to: str, body: str, reference: str, event: str = "", context=None) -> str:
        template_code, params = self._template(event, context or {})
        number = to[3:] if to.startswith("+86") else to.lstrip("+")
        request = dysms.SendSmsRequest(
            phone_numbers=number,
            sign_name=self.sign_name,
            template_code=template_code,
            template_param=params,
            out_id=reference,
        )
        try:
            answer = self.client.send_sms_with_options(request, self.runtime).body
        except UnretryableException as exc:  # no HTTP answer
            inner = getattr(exc, "inner_exception", None)
            if isinstance(inner, requests.ReadTimeout) or "Read timed out" in str(exc):
                raise UnknownOutcomeError(
                    "Alibaba Cloud did not answer in time; the SMS may have been sent. "
                    "Check the SMS console (by OutId) before resending."
                ) from exc
            raise TransientDeliveryError(f"Alibaba Cloud SMS unreachable: {exc}") from exc
        except TeaException as exc:  # an HTTP error answer
            data = exc.data if isinstance(exc.data, dict) else {}
            status = data.get("statusCode") or 0
            self._raise_for(exc.code or "", str(exc.message), status=int(status))
        if answer.code == "OK" and answer.biz_id:
            return str(answer.biz_id)
        self._raise_for(answer.code or "", answer.message or "", status=200)

    @staticmethod
    def _raise_for(code: str, message: str, *, status: int):
        detail = f"Alibaba Cloud SMS {code}: {message}"
        if code in RETRY_AFTER or status >= 500:
            raise TransientDeliveryError(detail, retry_after=RETRY_AFTER.get(code))
        raise PermanentDeliveryError(detail)
