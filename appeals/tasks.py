"""Thin Celery tasks: ids in, one service call, safe to run twice."""

from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(
    name="appeals.auto_review",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def auto_review(appeal_id: int) -> str | None:
    """Re-evaluate a just-submitted appeal's line; approve it if the decision no longer stands."""
    appeal = services.appeal_auto_review(appeal_id=appeal_id)
    return appeal.status if appeal else None


@shared_task(
    name="appeals.remind_and_expire_replies",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def remind_and_expire_replies() -> tuple[int, int]:
    """Remind borrowers of a reply deadline; take appeals past it back into review."""
    return services.appeals_remind_and_expire_replies()


# --- staff desk ---


@shared_task(
    name="appeals.escalate_sla_breaches",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def escalate_sla_breaches() -> int:
    """Tell supervisors about every newly missed due time; a second run sends nothing new."""
    return services.appeals_escalate_breaches()
