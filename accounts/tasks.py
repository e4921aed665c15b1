from smtplib import SMTPException

from celery import shared_task

from .services import set_password_email_send


@shared_task(
    name="accounts.send_set_password_email",
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_backoff_max=600,  # below the broker's visibility timeout: never delivered twice
    max_retries=8,
)
def send_set_password_email(user_id: int) -> bool:
    return set_password_email_send(user_id=user_id)
