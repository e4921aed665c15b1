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


# --- Declared events ---------------------------------------------------------------------
# What appeals tell borrowers and staff, registered with notifications at start-up; the
# templates are in appeals/templates/appeals/messages/<event>/<language>/. Callers pass the
# appeal page (or its admin page for staff) as the link; the defaults below are fallbacks.
# These imports stay with the declarations (appended after the notices above).

from django.utils.translation import gettext_lazy as _  # noqa: E402

from notifications.registry import (  # noqa: E402
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

TEMPLATES = "appeals/messages"
APPEALS_CATEGORY = register_category(
    CategorySpec(name="appeals", label=_("Your appeals"), order=20)
)
BORROWER_CHANNELS = (Channel.EMAIL, Channel.INBOX)
REFERENCE = ("appeal reference", "A-2026-000123")


def _appeal_event(name, label, *, channels=BORROWER_CHANNELS, **rules) -> EventSpec:
    return register(
        EventSpec(
            name=name,
            label=label,
            category=APPEALS_CATEGORY.name,
            channels=channels,
            templates=TEMPLATES,
            default_link="/appeals/",
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
        )
    )


_appeal_event(
    "appeal.submitted",
    _("Appeal submitted"),
    context={
        "appeal_reference": ("appeal reference shown to the borrower", "A-2026-000123"),
        "first_response_due": ("reply expected by (ISO datetime)", "2026-12-01T18:00:00+08:00"),
        "resolution_due": ("decision expected by (ISO datetime)", "2026-12-13T18:00:00+08:00"),
    },
)
_appeal_event(
    "appeal.info_requested",
    _("More information requested"),
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
)
_appeal_event(
    "appeal.message_received",
    _("New message about an appeal"),
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
    "appeal.extended",
    _("Appeal extended"),
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
    _("Appeal decided"),
    channels=ALL_CHANNELS,
    legal=True,
    context={
        "appeal_reference": REFERENCE,
        "outcome": ("approved | partially_approved | denied", "approved"),
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
)
_appeal_event(
    "appeal.survey_requested",
    _("Satisfaction survey"),
    context={"appeal_reference": REFERENCE},
)
_staff_event(
    "staff.appeal_assigned",
    _("Appeal assigned"),
    context={
        "appeal_reference": REFERENCE,
        "borrower_name": ("borrower's name", "王芳"),
        "first_response_due": ("first response due (ISO datetime)", "2026-12-01T18:00:00+08:00"),
    },
)
_staff_event(
    "staff.sla_breached",
    _("Appeal deadline missed"),
    context={
        "appeal_reference": REFERENCE,
        "clock": ("first_response | resolution", "resolution"),
        "due": ("the missed due time (ISO datetime)", "2026-12-13T18:00:00+08:00"),
        "assignee_name": ("who holds the appeal", "Agent Zhao"),
    },
)
_staff_event(
    "staff.decision_review_needed",
    _("Decision needs review"),
    context={
        "appeal_reference": ("appeal or decision reference", "A-2026-000123"),
        "review_kind": ("second_review | escalation", "second_review"),
    },
)
