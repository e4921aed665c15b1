"""Standard Webhooks headers, signed by the specification's own library."""

from datetime import datetime

from standardwebhooks.webhooks import Webhook


def headers(*, msg_id: str, body: str, secrets: list[str], at: datetime) -> dict[str, str]:
    """`webhook-id`, `webhook-timestamp` and `webhook-signature` (one `v1,` signature per
    valid secret, space-separated, so a receiver holding either secret accepts it during a
    rotation)."""
    signatures = [
        Webhook(secret).sign(msg_id=msg_id, timestamp=at, data=body) for secret in secrets
    ]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
    }
