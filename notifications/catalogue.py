"""The declared catalogue of events: what each one is, who gets it, by which channels.

Pure data, no ORM. `notify()` refuses an event that is not here, and a test renders every
event's templates in both languages with the sample context below, so a missing template or a
context key the templates need fails CI instead of a send at 3 a.m.
"""

from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    INBOX = "inbox", _("Messages")


class Category(models.TextChoices):
    CREDIT = "credit", _("Changes to your credit line")
    APPEALS = "appeals", _("Your appeals")
    POLICY = "policy", _("Agreement and policy updates")
    TIPS = "tips", _("Tips and reminders")
    STAFF = "staff", _("Work assigned to you")


class Audience(models.TextChoices):
    BORROWER = "borrower", _("borrower")
    STAFF = "staff", _("staff")


class Event(models.TextChoices):
    CREDIT_CLOSURE_SCHEDULED = "credit.closure_scheduled", _("Closure scheduled")
    CREDIT_CLOSED = "credit.closed", _("Credit line closed")
    CREDIT_LIMIT_REDUCED = "credit.limit_reduced", _("Limit reduced")
    CREDIT_FROZEN = "credit.frozen", _("Credit line paused")
    CREDIT_REINSTATED = "credit.reinstated", _("Credit line restored")
    CREDIT_SYSTEM_ERROR_CORRECTED = (
        "credit.system_error_corrected",
        _("System error corrected"),
    )
    APPEAL_SUBMITTED = "appeal.submitted", _("Appeal submitted")
    APPEAL_INFO_REQUESTED = "appeal.info_requested", _("More information requested")
    APPEAL_MESSAGE_RECEIVED = "appeal.message_received", _("New message about an appeal")
    APPEAL_EXTENDED = "appeal.extended", _("Appeal extended")
    APPEAL_DECIDED = "appeal.decided", _("Appeal decided")
    APPEAL_SURVEY_REQUESTED = "appeal.survey_requested", _("Satisfaction survey")
    STAFF_APPEAL_ASSIGNED = "staff.appeal_assigned", _("Appeal assigned")
    STAFF_SLA_BREACHED = "staff.sla_breached", _("Appeal deadline missed")
    STAFF_BATCH_HELD = "staff.batch_held", _("Batch held for review")
    STAFF_DECISION_REVIEW_NEEDED = (
        "staff.decision_review_needed",
        _("Decision needs review"),
    )
    POLICY_UPDATED = "policy.updated", _("Policy updated")
    TIPS_RISK_REMINDER = "tips.risk_reminder", _("Reminder")


ALL_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.INBOX)
STAFF_CHANNELS = (Channel.EMAIL, Channel.INBOX)

# A context key -> (what it means, a sample value). Dates are ISO strings, amounts strings.
ContextKeys = dict[str, tuple[str, str]]


@dataclass(frozen=True)
class EventSpec:
    event: Event
    category: Category
    channels: tuple[Channel, ...]
    legal: bool = False
    audience: Audience = Audience.BORROWER
    # Keys the templates use; all required unless listed in `optional`.
    context: ContextKeys = field(default_factory=dict)
    optional: tuple[str, ...] = ()
    # Site path the message links to when the caller passes no `link`.
    default_link: str = "/"

    @property
    def sample_context(self) -> dict:
        return {key: _sample(key, value) for key, (_meaning, value) in self.context.items()}


_SAMPLE_REASONS = [
    {"zh-hans": "近期在多家平台申请借款", "en": "Applications at many other lenders recently"},
    {"zh-hans": "信用评分动态调整", "en": "Your credit score changed"},
]
_SAMPLE_TEXTS = {
    "request": {
        "zh-hans": "请上传最近三个月的还款记录。",
        "en": "Please upload your repayment record for the last three months.",
    },
    "explanation": {
        "zh-hans": "您提交的证明材料显示其他平台的借款已全部结清。",
        "en": "Your documents show that your loans at other lenders are fully repaid.",
    },
    "excerpt": {
        "zh-hans": "我们已收到您的材料，正在核实。",
        "en": "We received your documents and are checking them.",
    },
    "extension_reason": {
        "zh-hans": "我们需要向征信机构核实您的信息。",
        "en": "We need to confirm your information with the credit bureau.",
    },
    "held_because": {
        "zh-hans": "影响的额度数量超过了自动执行的上限。",
        "en": "It affects more credit lines than may run without review.",
    },
}


def _sample(key: str, value: str):
    if value == "[list]":
        return _SAMPLE_REASONS
    if value == "…":
        return _SAMPLE_TEXTS[key]
    return value


_SPECS = (
    EventSpec(
        Event.CREDIT_CLOSURE_SCHEDULED,
        Category.CREDIT,
        ALL_CHANNELS,
        legal=True,
        context={
            "closing_effective_on": ("date the closure takes effect (ISO date)", "2026-12-28"),
            "credit_limit": ("current credit limit (decimal string, CNY)", "20000.00"),
            "reasons": ("principal reasons, ranked: a list of localised texts", "[list]"),
            "appeal_by": ("last day to appeal (ISO date)", "2027-01-27"),
        },
        default_link="/credit/",
    ),
    EventSpec(
        Event.CREDIT_CLOSED,
        Category.CREDIT,
        ALL_CHANNELS,
        legal=True,
        context={
            "closed_on": ("date the line closed (ISO date)", "2026-12-28"),
            "reasons": ("principal reasons, ranked: a list of localised texts", "[list]"),
            "appeal_by": ("last day to appeal (ISO date)", "2027-02-26"),
        },
        default_link="/credit/",
    ),
    EventSpec(
        Event.CREDIT_LIMIT_REDUCED,
        Category.CREDIT,
        ALL_CHANNELS,
        legal=True,
        context={
            "old_limit": ("limit before (decimal string, CNY)", "20000.00"),
            "new_limit": ("limit after (decimal string, CNY)", "8000.00"),
            "effective_on": ("date the new limit applies (ISO date)", "2026-11-28"),
            "reasons": ("principal reasons, ranked: a list of localised texts", "[list]"),
            "appeal_by": ("last day to appeal (ISO date)", "2027-01-27"),
        },
        default_link="/credit/",
    ),
    EventSpec(
        Event.CREDIT_FROZEN,
        Category.CREDIT,
        ALL_CHANNELS,
        context={
            "reasons": ("principal reasons, ranked: a list of localised texts", "[list]"),
            "appeal_by": ("last day to appeal (ISO date)", "2027-01-27"),
        },
        default_link="/credit/",
    ),
    EventSpec(
        Event.CREDIT_REINSTATED,
        Category.CREDIT,
        ALL_CHANNELS,
        context={
            "credit_limit": ("restored credit limit (decimal string, CNY)", "20000.00"),
            "explanation": ("why, one sentence (localised text)", "…"),
        },
        optional=("explanation",),
        default_link="/credit/",
    ),
    EventSpec(
        Event.CREDIT_SYSTEM_ERROR_CORRECTED,
        Category.CREDIT,
        ALL_CHANNELS,
        context={
            "decided_on": ("date of the wrong decision (ISO date)", "2026-11-02"),
            "credit_limit": ("restored credit limit (decimal string, CNY)", "20000.00"),
        },
        default_link="/credit/",
    ),
    EventSpec(
        Event.APPEAL_SUBMITTED,
        Category.APPEALS,
        (Channel.EMAIL, Channel.INBOX),
        context={
            "appeal_reference": ("appeal reference shown to the borrower", "A-2026-000123"),
            "first_response_due": ("reply expected by (ISO datetime)", "2026-12-01T18:00:00+08:00"),
            "resolution_due": ("decision expected by (ISO datetime)", "2026-12-13T18:00:00+08:00"),
        },
        default_link="/appeals/",
    ),
    EventSpec(
        Event.APPEAL_INFO_REQUESTED,
        Category.APPEALS,
        ALL_CHANNELS,
        context={
            "appeal_reference": ("appeal reference", "A-2026-000123"),
            "request": ("what staff asked for (public reply text)", "…"),
        },
        default_link="/appeals/",
    ),
    EventSpec(
        Event.APPEAL_MESSAGE_RECEIVED,
        Category.APPEALS,
        (Channel.EMAIL, Channel.INBOX),
        context={
            "appeal_reference": ("appeal reference", "A-2026-000123"),
            "excerpt": ("start of the public reply (never an internal note)", "…"),
        },
        default_link="/appeals/",
    ),
    EventSpec(
        Event.APPEAL_EXTENDED,
        Category.APPEALS,
        (Channel.EMAIL, Channel.INBOX),
        context={
            "appeal_reference": ("appeal reference", "A-2026-000123"),
            "resolution_due": (
                "new decision expected by (ISO datetime)",
                "2026-12-28T18:00:00+08:00",
            ),
            "extension_reason": ("why (localised text)", "…"),
        },
        default_link="/appeals/",
    ),
    EventSpec(
        Event.APPEAL_DECIDED,
        Category.APPEALS,
        ALL_CHANNELS,
        legal=True,
        context={
            "appeal_reference": ("appeal reference", "A-2026-000123"),
            "outcome": ("approved | partially_approved | denied", "approved"),
            "explanation": ("the decision in plain words (localised text)", "…"),
            "second_review_by": ("last day to ask for a second review (ISO date)", "2026-12-12"),
        },
        optional=("second_review_by",),
        default_link="/appeals/",
    ),
    EventSpec(
        Event.APPEAL_SURVEY_REQUESTED,
        Category.APPEALS,
        (Channel.EMAIL, Channel.INBOX),
        context={"appeal_reference": ("appeal reference", "A-2026-000123")},
        default_link="/appeals/",
    ),
    EventSpec(
        Event.STAFF_APPEAL_ASSIGNED,
        Category.STAFF,
        STAFF_CHANNELS,
        audience=Audience.STAFF,
        context={
            "appeal_reference": ("appeal reference", "A-2026-000123"),
            "borrower_name": ("borrower's name", "王芳"),
            "first_response_due": (
                "first response due (ISO datetime)",
                "2026-12-01T18:00:00+08:00",
            ),
        },
        default_link="/admin/",
    ),
    EventSpec(
        Event.STAFF_SLA_BREACHED,
        Category.STAFF,
        STAFF_CHANNELS,
        audience=Audience.STAFF,
        context={
            "appeal_reference": ("appeal reference", "A-2026-000123"),
            "clock": ("first_response | resolution", "resolution"),
            "due": ("the missed due time (ISO datetime)", "2026-12-13T18:00:00+08:00"),
            "assignee_name": ("who holds the appeal", "Agent Zhao"),
        },
        default_link="/admin/",
    ),
    EventSpec(
        Event.STAFF_BATCH_HELD,
        Category.STAFF,
        STAFF_CHANNELS,
        audience=Audience.STAFF,
        context={
            "batch": ("name of the campaign or batch", "Campaign 2026-11 multi-lending"),
            "affected": ("how many lines it would change (integer string)", "1250"),
            "held_because": ("why it was held", "…"),
        },
        default_link="/admin/",
    ),
    EventSpec(
        Event.STAFF_DECISION_REVIEW_NEEDED,
        Category.STAFF,
        STAFF_CHANNELS,
        audience=Audience.STAFF,
        context={
            "appeal_reference": ("appeal or decision reference", "A-2026-000123"),
            "review_kind": ("second_review | escalation", "second_review"),
        },
        default_link="/admin/",
    ),
    EventSpec(
        Event.POLICY_UPDATED,
        Category.POLICY,
        (Channel.EMAIL, Channel.INBOX),
        context={
            "document": ("credit_agreement | privacy_policy", "privacy_policy"),
            "version": ("the new version label", "2026-11"),
            "effective_on": ("when it applies (ISO date)", "2026-12-01"),
        },
        default_link="/",
    ),
    EventSpec(
        Event.TIPS_RISK_REMINDER,
        Category.TIPS,
        ALL_CHANNELS,
        context={"due_on": ("next repayment date (ISO date)", "2026-12-05")},
        default_link="/credit/",
    ),
)

CATALOGUE: dict[str, EventSpec] = {spec.event.value: spec for spec in _SPECS}

# Categories a borrower may switch on by themselves (opt-in): off until they do.
OPT_IN_CATEGORIES = frozenset({Category.TIPS})
BORROWER_CATEGORIES = (Category.CREDIT, Category.APPEALS, Category.POLICY, Category.TIPS)
STAFF_CATEGORIES = (Category.STAFF,)

# Parts each channel's templates are made of (file names under the event's language folder).
TEMPLATE_PARTS: dict[str, tuple[str, ...]] = {
    Channel.EMAIL: ("email_subject.txt", "email.txt", "email.html"),
    Channel.SMS: ("sms.txt",),
    Channel.INBOX: ("inbox_title.txt", "inbox.txt"),
}


def spec_for(event: str) -> EventSpec:
    try:
        return CATALOGUE[str(event)]
    except KeyError:
        raise ValueError(f"Unknown notification event: {event!r}") from None


def channels_for_category(category: str) -> tuple[Channel, ...]:
    """The channels some event of this category uses (what the preferences page offers)."""
    found: list[Channel] = []
    for spec in _SPECS:
        if spec.category == category:
            found.extend(c for c in spec.channels if c not in found)
    return tuple(c for c in ALL_CHANNELS if c in found)


def default_enabled(category: str, channel: str) -> bool:
    return category not in OPT_IN_CATEGORIES
