"""The staff desk's case-page actions: forms that parse, and calls to `appeals.services`.

Each action is a POST form on the case page. Buttons are shown to the roles whose
permissions allow them in the appeal's state (for display only: the services check the role
again and refuse). Actions that change the appeal's state carry the state the person saw
(`seen`); the service compares it under the row lock and refuses a stale page
(`services.appeal_act_as_seen`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import clock, services
from ..models import BEING_WORKED_STATES, Appeal, AppealStatus
from ..selectors import people_who_can_work, reviewers
from ..states import EXTENDABLE_STATES
from . import remarks

S = AppealStatus
COMMENT_MAX = 5000


class _DeskForm(forms.Form):
    seen = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, author=None, **kwargs):
        self.author = author  # who sends it (None when only shown)
        super().__init__(*args, **kwargs)


def _comment(label, help_text="", *, required=True):
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class StartReviewForm(_DeskForm):
    comment = _comment(
        _("Internal note (optional)"),
        _("Staff only: what you will look at first."),
        required=False,
    )


class ReadyForDecisionForm(_DeskForm):
    comment = _comment(
        _("Summary for the reviewer"),
        _("Staff only: what you checked and what you recommend."),
    )
    reviewer = forms.ModelChoiceField(
        label=_("Give to reviewer"),
        queryset=None,
        required=False,
        empty_label=_("Any reviewer (the “ready for decision” queue)"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = reviewers()
        self.fields["reviewer"].label_from_instance = lambda u: u.full_name


class RequestInfoForm(_DeskForm):
    comment = _comment(
        _("What do you need from the borrower?"),
        _("The borrower reads this and is told by message. The clocks pause until they reply."),
    )


class StaffMessageForm(_DeskForm):
    """One text, two actions: the button pressed says whether it goes to the borrower or
    stays with staff (`kind`, the buttons' name; no radio to forget). With the optional rule
    on (`remarks.enabled()`), a reply that looks like an internal remark is shown again to
    confirm (`confirmed`) before it is sent."""

    PUBLIC, INTERNAL = "public", "internal"
    kind = forms.ChoiceField(
        label=_("Send as"),
        choices=[
            (PUBLIC, _("Reply to the borrower")),
            (INTERNAL, _("Internal note (staff only)")),
        ],
        error_messages={"required": _("Choose “Send reply to borrower” or “Save internal note”.")},
    )
    comment = _comment(_("Message"))
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
    BUTTONS = ("kind", "confirmed")  # rendered as the two buttons, not as fields

    needs_confirmation: list[str] | None = None

    def clean(self):
        data = super().clean()
        if (
            data.get("kind") == self.PUBLIC
            and not data.get("confirmed")
            and data.get("comment")
            and remarks.enabled()
        ):
            signs = remarks.internal_signs(data["comment"], author=self.author)
            if signs:
                self.needs_confirmation = signs
                raise forms.ValidationError(
                    _(
                        "This reply goes to the borrower, but it looks like an internal remark "
                        "(%(signs)s). Send it to the borrower anyway, or save it as an internal "
                        "note?"
                    ),
                    code="looks_internal",
                    params={"signs": ", ".join(f"“{s}”" for s in signs)},
                )
        return data


class DecisionForm(_DeskForm):
    APPROVE, PARTIAL, DENY = "approve", "partially_approve", "deny"
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (APPROVE, _("Approve: restore the credit line")),
            (PARTIAL, _("Partly approve: restore with a lower limit")),
            (DENY, _("Deny: the decision stands")),
        ],
        widget=forms.RadioSelect,
    )
    new_limit = forms.DecimalField(
        label=_("New credit limit (CNY)"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Only for a partial approval: above 0 and below the limit before."),
    )
    comment = _comment(
        _("Explanation to the borrower"),
        _("The borrower reads this. For a denial, say plainly why the decision stands."),
    )

    def clean(self):
        data = super().clean()
        if data.get("outcome") == self.PARTIAL and data.get("new_limit") is None:
            self.add_error("new_limit", _("A partial approval needs the new credit limit."))
        if data.get("outcome") != self.PARTIAL and data.get("new_limit") is not None:
            self.add_error("new_limit", _("Only a partial approval sets a new limit."))
        return data


class SecondReviewForm(_DeskForm):
    outcome = forms.ChoiceField(
        label=_("Outcome of the second review"),
        choices=[
            ("approve", _("Approve: restore the credit line")),
            ("deny", _("Deny: final")),
        ],
        widget=forms.RadioSelect,
    )
    comment = _comment(_("Explanation to the borrower"))


class ExtendForm(_DeskForm):
    comment = _comment(
        _("Reason for the extension"),
        _("The borrower is told this reason with the new date."),
    )


class ReassignForm(_DeskForm):
    assignee = forms.ModelChoiceField(label=_("Give to"), queryset=None)
    comment = _comment(_("Reason"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = people_who_can_work()
        self.fields["assignee"].label_from_instance = lambda u: f"{u.full_name} <{u.email}>"


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    permission: str  # shown to those who hold it (display only; the service checks)
    states: tuple[str, ...]
    form: type[_DeskForm]
    call: Callable[..., object]
    done: str  # success message
    guarded: bool = True  # compare the state seen under the lock


def _start_review(*, appeal, actor, data):
    appeal = services.appeal_start_review(appeal=appeal, actor=actor)
    if data["comment"].strip():
        services.appeal_staff_message(
            appeal=appeal, actor=actor, body=data["comment"], internal=True
        )


def _ready(*, appeal, actor, data):
    services.appeal_mark_ready_for_decision(
        appeal=appeal, actor=actor, summary=data["comment"], reviewer=data["reviewer"]
    )


def _request_info(*, appeal, actor, data):
    services.appeal_request_info(appeal=appeal, actor=actor, request=data["comment"])


def _message(*, appeal, actor, data):
    services.appeal_staff_message(
        appeal=appeal,
        actor=actor,
        body=data["comment"],
        internal=data["kind"] == StaffMessageForm.INTERNAL,
    )


def _decide(*, appeal, actor, data):
    outcome, text = data["outcome"], data["comment"]
    if outcome == DecisionForm.APPROVE:
        services.appeal_approve(appeal=appeal, actor=actor, explanation=text)
    elif outcome == DecisionForm.PARTIAL:
        services.appeal_partially_approve(
            appeal=appeal, actor=actor, explanation=text, new_limit=data["new_limit"]
        )
    else:
        services.appeal_deny(appeal=appeal, actor=actor, explanation=text)


def _second_review(*, appeal, actor, data):
    services.appeal_decide_second_review(
        appeal=appeal,
        actor=actor,
        approve=data["outcome"] == "approve",
        explanation=data["comment"],
    )


def _extend(*, appeal, actor, data):
    services.appeal_extend(appeal=appeal, actor=actor, reason=data["comment"])


def _reassign(*, appeal, actor, data):
    services.appeal_reassign(
        appeal=appeal, actor=actor, assignee=data["assignee"], reason=data["comment"]
    )


WORKED = BEING_WORKED_STATES

ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action(
            "start_review",
            _("Start review"),
            "work_appeal",
            (S.SUBMITTED,),
            StartReviewForm,
            _start_review,
            _("The appeal is under review."),
        ),
        Action(
            "message",
            _("Reply to borrower or internal note"),
            "work_appeal",
            (*WORKED, S.APPROVED, S.PARTIALLY_APPROVED, S.AUTO_APPROVED, S.DENIED, S.DENIED_FINAL),
            StaffMessageForm,
            _message,
            _("Message saved."),
            guarded=False,
        ),
        Action(
            "request_info",
            _("Ask the borrower for information"),
            "request_info",
            (S.IN_REVIEW,),
            RequestInfoForm,
            _request_info,
            _("The borrower has been asked; the clocks are paused until they reply."),
        ),
        Action(
            "ready",
            _("Ready for decision"),
            "work_appeal",
            (S.IN_REVIEW,),
            ReadyForDecisionForm,
            _ready,
            _("Handed over: the appeal is in the reviewers' “ready for decision” queue."),
        ),
        Action(
            "decide",
            _("Record the decision"),
            "decide_appeal",
            (S.IN_REVIEW,),
            DecisionForm,
            _decide,
            _("The decision is recorded and the borrower has been told."),
        ),
        Action(
            "second_review",
            _("Decide the second review"),
            "decide_second_review",
            (S.SECOND_REVIEW,),
            SecondReviewForm,
            _second_review,
            _("The second review is decided and the borrower has been told."),
        ),
        Action(
            "extend",
            _("Extend the decision date"),
            "extend_appeal",
            EXTENDABLE_STATES,
            ExtendForm,
            _extend,
            _("The decision date is extended and the borrower has been told why."),
        ),
        Action(
            "reassign",
            _("Reassign"),
            "reassign_appeal",
            WORKED,
            ReassignForm,
            _reassign,
            _("The appeal has been reassigned."),
        ),
    )
}


def _extension_open_to(user, appeal: Appeal) -> bool:
    taken = len(appeal.extensions.all())  # prefetched on the case page
    if taken >= len(clock.EXTENSION_STEPS):
        return False
    needs_supervisor = clock.EXTENSION_STEPS[taken][1]
    return not needs_supervisor or user.has_perm("appeals.approve_further_extension")


def actions_for(user, appeal: Appeal) -> list[Action]:
    """The buttons this person sees on this appeal now (the services decide for real)."""
    return [
        a
        for a in ACTIONS.values()
        if appeal.status in a.states
        and user.has_perm(f"appeals.{a.permission}")
        and (a.name != "extend" or _extension_open_to(user, appeal))
        # The hand-off is for those who cannot decide themselves, once.
        and (
            a.name != "ready"
            or not (user.has_perm("appeals.decide_appeal") or appeal.ready_for_decision_at)
        )
        # A second review is decided by someone other than the first decider.
        and (a.name != "second_review" or user.pk != appeal.decided_by_id)
    ]
