"""The boundary to notifications: what appeals tell borrowers and staff.

Only public texts are ever passed here; internal notes have no path to this module.
"""

from __future__ import annotations

from django.urls import reverse


def _link(appeal) -> str:
    return reverse("appeals:detail", args=[appeal.pk])


def notify_borrower(appeal, event: str, context: dict, *, obj=None, dedupe_key=None) -> None:
    from notifications.services import notify

    notify(
        recipient=appeal.borrower,
        event=event,
        context=context,
        obj=obj if obj is not None else (None if dedupe_key else appeal),
        dedupe_key=dedupe_key,
        link=_link(appeal),
    )


def notify_staff(recipient, appeal, event: str, context: dict) -> None:
    from notifications.services import notify

    notify(
        recipient=recipient,
        event=event,
        context=context,
        dedupe_key=f"appeal:{appeal.pk}:{event}:{recipient.pk}",
        link=reverse("admin:appeals_appeal_change", args=[appeal.pk]),
    )
