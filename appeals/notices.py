"""The boundary to notifications: what appeals tell borrowers and staff, and the sentences a
borrower reads (built here, in both languages, never in the services).

Only public texts are ever passed here; internal notes have no path to this module.
"""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.localtime import format_local_date
from credit.models import CreditLineStatus
from notifications.registry import (
    ALL_CHANNELS,
    STAFF_CATEGORY,
    STAFF_CHANNELS,
    Audience,
    CategorySpec,
    Channel,
    EventSpec,
    register,
    register_category,
)
from notifications.services import notify

from .models import AppealStatus

# --- sentences the borrower reads ------------------------------------------------------------


def in_both_languages(render) -> dict[str, str]:
    """{"zh-hans": ..., "en": ...}: notifications pick the borrower's language."""
    texts = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            texts[language] = str(render())
    return texts


def auto_approval_explanation() -> dict[str, str]:
    """Why an appeal was approved without a person: the re-evaluation cleared the reasons."""
    return in_both_languages(
        lambda: _(
            "When we reviewed your credit line again after your appeal, the reasons for the "
            "decision no longer applied, so your credit line has been restored."
        )
    )


def _before_after(decision) -> dict[str, str] | None:
    if decision is None:
        return None
    labels = dict(CreditLineStatus.choices)

    def sentence():
        return _(
            "Before: %(old_status)s, credit limit ¥%(old_limit)s. Now: %(new_status)s, "
            "credit limit ¥%(new_limit)s."
        ) % {
            "old_status": labels[decision.old_status],
            "old_limit": formats.number_format(decision.old_limit, 2, force_grouping=True),
            "new_status": labels[decision.new_status],
            "new_limit": formats.number_format(decision.new_limit, 2, force_grouping=True),
        }

    return in_both_languages(sentence)


def denial_text(explanation: str, closes_at: datetime | None, borrower) -> dict[str, str]:
    """The reviewer's reason, and when a closing line now closes (in the borrower's zone)."""

    def render():
        if closes_at is None:
            return explanation
        return (
            explanation
            + "\n\n"
            + _("Your credit line closes on %(date)s.")
            % {"date": format_local_date(closes_at, borrower)}
        )

    return in_both_languages(render)


def _excerpt(body: str, length: int = 140) -> str:
    body = " ".join(body.split())
    return body if len(body) <= length else body[: length - 1] + "…"


# --- to the borrower ---------------------------------------------------------------------------


def _link(appeal) -> str:
    return reverse("appeals:detail", args=[appeal.pk])


def notify_borrower(appeal, event: str, context: dict, *, obj=None, dedupe_key=None) -> None:
    notify(
        recipient=appeal.borrower,
        event=event,
        context=context,
        obj=obj if obj is not None else (None if dedupe_key else appeal),
        dedupe_key=dedupe_key,
        link=_link(appeal),
    )


def appeal_submitted(appeal) -> None:
    notify_borrower(
        appeal,
        "appeal.submitted",
        {
            "appeal_reference": appeal.reference,
            "first_response_due": appeal.first_response_due.isoformat(),
            "resolution_due": appeal.resolution_due.isoformat(),
        },
    )


def appeal_info_requested(appeal, message) -> None:
    notify_borrower(
        appeal,
        "appeal.info_requested",
        {"appeal_reference": appeal.reference, "request": message.body},
        obj=message,
    )


def appeal_reply_deadline(appeal, *, stage: str, reply_due=None) -> None:
    """Before the reply deadline: a reminder; at it: we go on with what we have."""
    reply_due = reply_due or appeal.borrower_reply_due
    notify_borrower(
        appeal,
        "appeal.reply_deadline",
        {
            "appeal_reference": appeal.reference,
            "stage": stage,
            "reply_due": reply_due.isoformat(),
            "resolution_due": appeal.resolution_due.isoformat(),
        },
        dedupe_key=f"appeal:{appeal.pk}:reply:{reply_due.isoformat()}:{stage}",
    )


def appeal_message_received(appeal, message) -> None:
    notify_borrower(
        appeal,
        "appeal.message_received",
        {"appeal_reference": appeal.reference, "excerpt": _excerpt(message.body)},
        obj=message,
    )


def support_replied(request, message) -> None:
    """The desk answered a support request: the borrower is told, with the start of the answer."""
    notify(
        recipient=request.borrower,
        event="support.replied",
        context={"support_reference": request.reference, "excerpt": _excerpt(message.body)},
        obj=message,
        link=reverse("appeals:support-detail", args=[request.pk]),
    )


def appeal_extended(appeal, extension) -> None:
    notify_borrower(
        appeal,
        "appeal.extended",
        {
            "appeal_reference": appeal.reference,
            "resolution_due": extension.resolution_due_after.isoformat(),
            "extension_reason": {"zh-hans": extension.reason, "en": extension.reason},
        },
        obj=extension,
    )


def appeal_decided(appeal, *, outcome: str, explanation, second_review: bool = False) -> None:
    """The outcome with the reviewer's words and the line before and after, then the survey."""
    before_after = _before_after(appeal.credit_decision)
    if not isinstance(explanation, dict):
        explanation = {"zh-hans": explanation, "en": explanation}
    text = explanation
    if before_after:
        text = {lang: f"{text[lang]}\n\n{before_after[lang]}".strip() for lang in text}
    context = {
        "appeal_reference": appeal.reference,
        "outcome": outcome,
        "explanation": text,
    }
    if appeal.status == AppealStatus.DENIED and appeal.second_review_until:
        context["second_review_by"] = timezone.localdate(appeal.second_review_until).isoformat()
    notify_borrower(
        appeal,
        "appeal.decided",
        context,
        dedupe_key=f"appeal:{appeal.pk}:decided:{'second' if second_review else 'first'}",
    )
    notify_borrower(appeal, "appeal.survey_requested", {"appeal_reference": appeal.reference})


def appeal_resolved_moot(appeal) -> None:
    """The appeal ended without a decision because the line was restored: told once."""
    explanation = in_both_languages(
        lambda: _(
            "While we were reviewing your appeal, your credit line was restored: the reasons "
            "for the decision no longer apply. There is nothing left to decide, so your appeal "
            "is closed."
        )
    )
    before_after = _before_after(appeal.credit_decision)
    if before_after:
        explanation = {lang: f"{explanation[lang]}\n\n{before_after[lang]}" for lang in explanation}
    notify_borrower(
        appeal,
        "appeal.decided",
        {"appeal_reference": appeal.reference, "outcome": "resolved", "explanation": explanation},
        dedupe_key=f"appeal:{appeal.pk}:decided:first",
    )


# --- to staff ----------------------------------------------------------------------------------


def notify_staff(recipient, appeal, event: str, context: dict, *, dedupe_key=None) -> None:
    notify(
        recipient=recipient,
        event=event,
        context=context,
        dedupe_key=dedupe_key or f"appeal:{appeal.pk}:{event}:{recipient.pk}",
        link=reverse("admin:appeals_appeal_change", args=[appeal.pk]),
    )


def staff_appeal_assigned(assignee, appeal) -> None:
    notify_staff(
        assignee,
        appeal,
        "staff.appeal_assigned",
        {
            "appeal_reference": appeal.reference,
            "borrower_name": appeal.borrower.full_name,
            "first_response_due": appeal.first_response_due.isoformat(),
        },
    )


def staff_borrower_replied(appeal, *, what: str, key: str) -> None:
    """The assignee is told the borrower wrote (`what`: message | document), once per `key`."""
    if appeal.assignee is None:
        return
    notify_staff(
        appeal.assignee,
        appeal,
        "staff.borrower_replied",
        {
            "appeal_reference": appeal.reference,
            "borrower_name": appeal.borrower.full_name,
            "what": what,
        },
        dedupe_key=f"appeal:{appeal.pk}:borrower_replied:{key}:{appeal.assignee_id}",
    )


def staff_second_review_needed(supervisor, appeal) -> None:
    notify_staff(
        supervisor,
        appeal,
        "staff.decision_review_needed",
        {"appeal_reference": appeal.reference, "review_kind": "second_review"},
    )


def staff_sla_breached(supervisor, appeal, *, clock_name: str, due: datetime) -> None:
    notify_staff(
        supervisor,
        appeal,
        "staff.sla_breached",
        {
            "appeal_reference": appeal.reference,
            "clock": clock_name,
            "due": due.isoformat(),
            "assignee_name": appeal.assignee.full_name if appeal.assignee else "—",
        },
        dedupe_key=f"appeal:{appeal.pk}:sla:{clock_name}:{due:%Y%m%dT%H%M%S}:{supervisor.pk}",
    )


# --- Declared events ---------------------------------------------------------------------
# What appeals tell borrowers and staff, registered with notifications at start-up; the
# templates are in appeals/templates/appeals/messages/<event>/<language>/. Callers pass the
# appeal page (or its admin page for staff) as the link; the defaults below are fallbacks.


TEMPLATES = "appeals/messages"
APPEALS_CATEGORY = register_category(
    CategorySpec(name="appeals", label=gettext_lazy("Your appeals"), order=20)
)
BORROWER_CHANNELS = (Channel.EMAIL, Channel.INBOX)
REFERENCE = ("appeal reference", "A-2026-000123")


def desk_link(notification) -> str:
    """The desk page of the appeal a message is about (the notifications admin's link back
    to the case): from the appeal's reference in its facts, else from the page it links to."""
    from django.urls import Resolver404, resolve

    from .models import appeal_id_from_reference

    appeal_id = appeal_id_from_reference(str(notification.context.get("appeal_reference", "")))
    if appeal_id is None and notification.link:
        try:
            match = resolve(notification.link.split("?")[0])
        except Resolver404:
            return ""
        if match.view_name in ("appeals:detail", "admin:appeals_appeal_change"):
            appeal_id = match.kwargs.get("pk") or match.kwargs.get("object_id")
    return reverse("admin:appeals_appeal_change", args=[appeal_id]) if appeal_id else ""


def _appeal_event(name, label, *, channels=BORROWER_CHANNELS, **rules) -> EventSpec:
    return register(
        EventSpec(
            name=name,
            label=label,
            category=APPEALS_CATEGORY.name,
            channels=channels,
            templates=TEMPLATES,
            default_link="/appeals/",
            admin_link=desk_link,
            **rules,
        )
    )


def _staff_event(name, label, *, context) -> EventSpec:
    return register(
        EventSpec(
            name=name,
            label=label,
            category=STAFF_CATEGORY.name,
            channels=STAFF_CHANNELS,
            audience=Audience.STAFF,
            templates=TEMPLATES,
            context=context,
            default_link="/admin/",
            admin_link=desk_link,
        )
    )


_appeal_event(
    "appeal.submitted",
    gettext_lazy("Appeal submitted"),
    context={
        "appeal_reference": ("appeal reference shown to the borrower", "A-2026-000123"),
        "first_response_due": ("reply expected by (ISO datetime)", "2026-12-01T18:00:00+08:00"),
        "resolution_due": ("decision expected by (ISO datetime)", "2026-12-13T18:00:00+08:00"),
    },
)
_appeal_event(
    "appeal.info_requested",
    gettext_lazy("More information requested"),
    channels=ALL_CHANNELS,
    context={
        "appeal_reference": REFERENCE,
        "request": (
            "what staff asked for (public reply text)",
            {
                "zh-hans": "请上传最近三个月的还款记录。",
                "en": "Please upload your repayment record for the last three months.",
            },
        ),
    },
    sms_params=("appeal_reference",),
)
_appeal_event(
    "appeal.reply_deadline",
    gettext_lazy("Reply deadline for an appeal"),
    channels=ALL_CHANNELS,
    context={
        "appeal_reference": REFERENCE,
        "stage": ("reminder (before the deadline) | expired (at it)", "reminder"),
        "reply_due": ("the borrower's reply deadline (ISO datetime)", "2026-12-07T18:00:00+08:00"),
        "resolution_due": ("decision expected by (ISO datetime)", "2026-12-20T18:00:00+08:00"),
    },
    sms_params=("appeal_reference", "reply_due"),
)
_appeal_event(
    "appeal.message_received",
    gettext_lazy("New message about an appeal"),
    context={
        "appeal_reference": REFERENCE,
        "excerpt": (
            "start of the public reply (never an internal note)",
            {
                "zh-hans": "我们已收到您的材料，正在核实。",
                "en": "We received your documents and are checking them.",
            },
        ),
    },
)
_appeal_event(
    "support.replied",
    gettext_lazy("Reply to a support request"),
    context={
        "support_reference": ("support request reference", "S-2026-000042"),
        "excerpt": (
            "start of our answer",
            {
                "zh-hans": "感谢您的来信。我们已查看您的额度记录。",
                "en": "Thank you for writing. We have looked at your credit line.",
            },
        ),
    },
)
_appeal_event(
    "appeal.extended",
    gettext_lazy("Appeal extended"),
    context={
        "appeal_reference": REFERENCE,
        "resolution_due": ("new decision expected by (ISO datetime)", "2026-12-28T18:00:00+08:00"),
        "extension_reason": (
            "why (localised text)",
            {
                "zh-hans": "我们需要向征信机构核实您的信息。",
                "en": "We need to confirm your information with the credit bureau.",
            },
        ),
    },
)
_appeal_event(
    "appeal.decided",
    gettext_lazy("Appeal decided"),
    channels=ALL_CHANNELS,
    legal=True,
    context={
        "appeal_reference": REFERENCE,
        "outcome": ("approved | partially_approved | denied | resolved", "approved"),
        "explanation": (
            "the decision in plain words (localised text)",
            {
                "zh-hans": "您提交的证明材料显示其他平台的借款已全部结清。",
                "en": "Your documents show that your loans at other lenders are fully repaid.",
            },
        ),
        "second_review_by": ("last day to ask for a second review (ISO date)", "2026-12-12"),
    },
    optional=("second_review_by",),
    sms_params=("appeal_reference",),
)
_appeal_event(
    "appeal.survey_requested",
    gettext_lazy("Satisfaction survey"),
    context={"appeal_reference": REFERENCE},
)
_staff_event(
    "staff.appeal_assigned",
    gettext_lazy("Appeal assigned"),
    context={
        "appeal_reference": REFERENCE,
        "borrower_name": ("borrower's name", "王芳"),
        "first_response_due": ("first response due (ISO datetime)", "2026-12-01T18:00:00+08:00"),
    },
)
_staff_event(
    "staff.borrower_replied",
    gettext_lazy("Borrower replied"),
    context={
        "appeal_reference": REFERENCE,
        "borrower_name": ("borrower's name", "王芳"),
        "what": ("message | document", "message"),
    },
)
_staff_event(
    "staff.sla_breached",
    gettext_lazy("Appeal deadline missed"),
    context={
        "appeal_reference": REFERENCE,
        "clock": ("first_response | resolution", "resolution"),
        "due": ("the missed due time (ISO datetime)", "2026-12-13T18:00:00+08:00"),
        "assignee_name": ("who holds the appeal", "Agent Zhao"),
    },
)
_staff_event(
    "staff.decision_review_needed",
    gettext_lazy("Decision needs review"),
    context={
        "appeal_reference": ("appeal or decision reference", "A-2026-000123"),
        "review_kind": ("second_review | escalation", "second_review"),
    },
)
