"""The circuit breaker on batches: a batch whose adverse share is out of its band is held
(nothing applied, no borrower told) and supervisors are told (`staff.batch_held`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q

from .. import notices
from ..engine import breaker as rules
from ..models import ADVERSE_OUTCOMES, CreditDecision, CreditLine

TRAILING_DAYS = 30

HELD_BECAUSE = {
    rules.TOO_MANY_LINES: {
        "zh-hans": "受影响的额度比例超过了无需审核即可执行的上限。",
        "en": "It changes a larger share of credit lines than may run without review.",
    },
    rules.ABOVE_TRAILING_RATE: {
        "zh-hans": "不利决定的比例远高于过去 30 天的水平。",
        "en": "Its share of adverse decisions is far above the last 30 days' rate.",
    },
}


def band() -> rules.BreakerBand:
    """CREDIT_BREAKER_MULTIPLE (3 x the trailing rate), CREDIT_BREAKER_ABSOLUTE_SHARE (5% of
    the lines) and CREDIT_BREAKER_MIN_LINES (a batch changing fewer than 100 is never held)."""
    return rules.BreakerBand(
        multiple=float(getattr(settings, "CREDIT_BREAKER_MULTIPLE", 3.0)),
        absolute_share=float(getattr(settings, "CREDIT_BREAKER_ABSOLUTE_SHARE", 0.05)),
        min_lines=int(getattr(settings, "CREDIT_BREAKER_MIN_LINES", 100)),
    )


def trailing_adverse_rate(*, now: datetime, lines: int) -> float | None:
    """Adverse decisions per line over the last 30 days (None on a fresh install)."""
    if not lines:
        return None
    adverse = CreditDecision.objects.filter(
        outcome__in=ADVERSE_OUTCOMES, created_at__gte=now - timedelta(days=TRAILING_DAYS)
    ).count()
    return adverse / lines if adverse else None


def batch_assess(*, adverse: int, now: datetime) -> str | None:
    """Why a batch making `adverse` adverse decisions must be held, or None."""
    lines = CreditLine.objects.count()
    return rules.held_because(
        band(),
        adverse=adverse,
        evaluated=lines,
        trailing_rate=trailing_adverse_rate(now=now, lines=lines),
    )


def supervisors():
    """Staff who may release or discard a held batch (the campaign run permission)."""
    permission = Permission.objects.filter(
        content_type__app_label="credit", codename="run_policycampaign"
    ).first()
    if permission is None:
        return get_user_model().objects.none()
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(Q(groups__permissions=permission) | Q(user_permissions=permission))
        .distinct()
    )


def batch_held_tell(*, batch, name: str | dict, affected: int, because: str) -> None:
    """Tell every supervisor that a batch is held and why (in the caller's transaction)."""
    for supervisor in supervisors():
        notices.send_batch_held(
            recipient=supervisor,
            batch=batch,
            name=name,
            affected=affected,
            held_because=HELD_BECAUSE[because],
        )
