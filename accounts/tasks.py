from smtplib import SMTPException

from celery import shared_task

from .services import policy_version_announce, set_password_email_send


@shared_task(
    name="accounts.send_set_password_email",
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_backoff_max=600,  # below the broker's visibility timeout: never delivered twice
    max_retries=8,
)
def send_set_password_email(user_id: int) -> bool:
    return set_password_email_send(user_id=user_id)


@shared_task(
    name="accounts.build_data_export",
    autoretry_for=(OSError, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def build_data_export(export_id: str) -> str | None:
    """Prepare a borrower's copy of their data (JSON and PDF); safe to run twice."""
    from .rights import data_export_build

    export = data_export_build(export_id=export_id)
    return export.status if export else None


@shared_task(name="accounts.apply_retention")
def apply_retention() -> dict:
    """Daily: anonymise people whose retention period has passed; expire old copies."""
    from .rights import retention_apply

    return retention_apply()


@shared_task(
    name="accounts.announce_policy_version",
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=8,
)
def announce_policy_version(version_id: int) -> int:
    return policy_version_announce(version_id=version_id)
