"""SMS backends: one small interface, chosen by `NOTIFICATIONS_SMS_BACKEND` (a dotted path).

- `FileSmsBackend`: embedded mode; one file per SMS under `NOTIFICATIONS_SMS_FILE_PATH`.
- `ConsoleSmsBackend`: prints to stdout.
- `LocMemSmsBackend`: tests; messages collect in `notifications.sms.outbox`.
- `TwilioSmsBackend`: production, Twilio's Programmable Messaging REST API.
"""

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class DeliveryError(Exception):
    pass


class TransientDeliveryError(DeliveryError):
    """Worth another try later (timeout, throttling, provider outage)."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """Another try cannot help (invalid number, blocked recipient, bad credentials)."""


class UnknownOutcomeError(DeliveryError):
    """The request reached the provider but no answer came back: it may have been sent.
    Retrying could tell the borrower twice, so the row fails for a person to check."""


class BaseSmsBackend:
    # A backend that sends pre-approved templates (Alibaba Cloud) gets the event and its
    # context too, not only the rendered text.
    uses_templates = False
    # Such a backend names the setting holding its template code per event ({event: code});
    # the template's parameters are the event's declared `sms_params` (notifications.checks
    # refuses a configuration missing a code).
    template_codes_setting = ""

    def send(self, *, to: str, body: str, reference: str) -> str:
        """Send one SMS; return the provider's message id. Raise a DeliveryError subclass."""
        raise NotImplementedError


@dataclass(frozen=True)
class SentSms:
    to: str
    body: str
    reference: str
    message_id: str


outbox: list[SentSms] = []


class LocMemSmsBackend(BaseSmsBackend):
    def send(self, *, to: str, body: str, reference: str) -> str:
        message_id = f"locmem-{uuid4().hex[:12]}"
        outbox.append(SentSms(to, body, reference, message_id))
        return message_id


class ConsoleSmsBackend(BaseSmsBackend):
    def send(self, *, to: str, body: str, reference: str) -> str:
        message_id = f"console-{uuid4().hex[:12]}"
        sys.stdout.write(f"SMS to {to} [{reference}] {message_id}\n{body}\n\n")
        return message_id


class FileSmsBackend(BaseSmsBackend):
    def __init__(self, path: str | None = None):
        self.path = Path(path or settings.NOTIFICATIONS_SMS_FILE_PATH)

    def send(self, *, to: str, body: str, reference: str) -> str:
        self.path.mkdir(parents=True, exist_ok=True)
        message_id = f"file-{uuid4().hex[:12]}"
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        record = {"to": to, "body": body, "reference": reference, "message_id": message_id}
        (self.path / f"{stamp}-{message_id}.json").write_text(
            json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        return message_id


class TwilioSmsBackend(BaseSmsBackend):
    """Twilio Programmable Messaging: POST /2010-04-01/Accounts/{sid}/Messages.json.

    Settings: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, and TWILIO_MESSAGING_SERVICE_SID or
    TWILIO_FROM_NUMBER; TWILIO_API_BASE (tests point it at a local fake);
    NOTIFICATIONS_SMS_TIMEOUT_SECONDS.
    """

    def __init__(self, session: requests.Session | None = None):
        self.account_sid = settings.TWILIO_ACCOUNT_SID
        self.auth_token = settings.TWILIO_AUTH_TOKEN
        self.from_number = settings.TWILIO_FROM_NUMBER
        self.messaging_service_sid = settings.TWILIO_MESSAGING_SERVICE_SID
        self.api_base = settings.TWILIO_API_BASE.rstrip("/")
        self.timeout = settings.NOTIFICATIONS_SMS_TIMEOUT_SECONDS
        self.session = session or requests.Session()
        if not (self.account_sid and self.auth_token):
            raise PermanentDeliveryError("Twilio is not configured (TWILIO_ACCOUNT_SID/AUTH_TOKEN)")
        if not (self.from_number or self.messaging_service_sid):
            raise PermanentDeliveryError(
                "Twilio needs TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER"
            )

    def send(self, *, to: str, body: str, reference: str) -> str:
        data = {"To": to, "Body": body}
        if self.messaging_service_sid:
            data["MessagingServiceSid"] = self.messaging_service_sid
        else:
            data["From"] = self.from_number
        url = f"{self.api_base}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        try:
            response = self.session.post(
                url,
                data=data,
                auth=(self.account_sid, self.auth_token),
                timeout=self.timeout,
            )
        except requests.ConnectTimeout as exc:
            raise TransientDeliveryError(f"Twilio unreachable (connect timeout): {exc}") from exc
        except requests.ReadTimeout as exc:
            raise UnknownOutcomeError(
                f"Twilio did not answer in {self.timeout}s; the SMS may have been sent. "
                "Check the Twilio console before resending."
            ) from exc
        except requests.RequestException as exc:
            raise TransientDeliveryError(f"Twilio unreachable: {exc}") from exc
        payload = _json_or_empty(response)
        if response.status_code in (200, 201):
            sid = payload.get("sid")
            if not sid:
                raise TransientDeliveryError("Twilio answered without a message sid")
            return str(sid)
        detail = (
            f"Twilio {response.status_code} code={payload.get('code')}: {payload.get('message')}"
        )
        if response.status_code == 429:
            raise TransientDeliveryError(
                f"throttled: {detail}", retry_after=_retry_after(response.headers)
            )
        if response.status_code >= 500:
            raise TransientDeliveryError(detail)
        raise PermanentDeliveryError(detail)


def _json_or_empty(response) -> dict:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _retry_after(headers) -> float | None:
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def get_sms_backend(to: str = "") -> BaseSmsBackend:
    """The backend for this number: the longest matching prefix of NOTIFICATIONS_SMS_ROUTES
    (e.g. "+86" to Alibaba Cloud), else NOTIFICATIONS_SMS_BACKEND."""
    routes = settings.NOTIFICATIONS_SMS_ROUTES
    prefix = max((p for p in routes if to.startswith(p)), key=len, default=None)
    return import_string(routes[prefix] if prefix else settings.NOTIFICATIONS_SMS_BACKEND)()
