"""Hand one rendered row to the outside world. Each sender raises TransientDeliveryError
(worth retrying: timeouts, throttling, 5xx) or PermanentDeliveryError (retrying cannot help:
bad number, rejected address), and returns the provider's message id on success."""

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from .sms import PermanentDeliveryError, TransientDeliveryError, get_sms_backend


def send_email(
    *, to: str, subject: str, text: str, html: str, reference: str, connection=None
) -> str:
    """Send one email; pass an open `connection` to reuse it across a batch of rows."""
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"X-Recourse-Notification": reference},
        connection=connection or get_connection(fail_silently=False),
    )
    if html:
        message.attach_alternative(html, "text/html")
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentDeliveryError(f"recipient refused: {exc}") from exc
    except (TimeoutError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as exc:
        raise TransientDeliveryError(f"mail server unavailable: {exc}") from exc
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise TransientDeliveryError(f"mail server said {exc.smtp_code}: {exc}") from exc
        raise PermanentDeliveryError(f"mail server said {exc.smtp_code}: {exc}") from exc
    except OSError as exc:
        raise TransientDeliveryError(f"mail transport error: {exc}") from exc
    anymail_status = getattr(message, "anymail_status", None)
    return (getattr(anymail_status, "message_id", None) or "")[:128] if anymail_status else ""


def send_sms(
    *, to: str, text: str, reference: str, event: str = "", context: dict | None = None
) -> str:
    backend = get_sms_backend(to)
    if backend.uses_templates:
        return backend.send(to=to, body=text, reference=reference, event=event, context=context)
    return backend.send(to=to, body=text, reference=reference)


__all__ = ["send_email", "send_sms", "TransientDeliveryError", "PermanentDeliveryError"]
