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
    name="accounts.announce_policy_version",
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=8,
)
def announce_policy_version(version_id: int) -> int:
    return policy_version_announce(version_id=version_id)
