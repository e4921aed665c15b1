"""The transition skeleton every appeal transition goes through, written once.

Lock the appeal row, check the actor may (and whatever else the act requires), check the
state machine can proceed, call the transition, save, write the `AppealTransition` log row in
the same transaction, then tell people (notification rows written here, delivery queued on
commit by `notifications`). A service reads as what is particular to it:

    with appeal_transition(appeal, "deny", _("denied"), actor=actor,
                           permission="decide_appeal") as step:
        explanation = clean_text(...)              # input, once the actor may act
        step.apply(at=step.now, actor=actor, ...)  # the FSM method, then save
        step.comment = explanation                 # the log row's comment
        step.then(lambda: notices.appeal_decided(...))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from .. import audited, outbound
from ..models import Appeal, AppealTransition


class AppealPermissionDenied(PermissionDenied):
    """The actor may not do this to this appeal (wrong role, not theirs, same reviewer)."""


def require_borrower(appeal: Appeal, actor) -> None:
    """Only the borrower who filed the appeal."""
    if actor is None or actor.pk != appeal.borrower_id:
        raise AppealPermissionDenied(_("Only the borrower who filed this appeal can do this."))


def require_staff(actor, permission: str) -> None:
    """Active staff holding `appeals.<permission>` (their role grants it)."""
    if not (
        actor is not None
        and actor.is_active
        and actor.is_staff
        and actor.has_perm(f"appeals.{permission}")
    ):
        raise AppealPermissionDenied(
            _("Your role does not allow you to %(what)s.")
            % {"what": _permission_words().get(permission, _("do this"))}
        )


def _permission_words() -> dict[str, str]:
    """What each appeals permission lets a person do, in words (never the raw code)."""
    return {
        "work_appeal": _("work on appeals"),
        "request_info": _("ask the borrower for information"),
        "decide_appeal": _("decide appeals"),
        "decide_second_review": _("decide second reviews"),
        "reassign_appeal": _("reassign appeals"),
        "set_agent_away": _("mark other people away or back"),
        "extend_appeal": _("extend the decision date"),
        "approve_further_extension": _("approve a further extension"),
    }


def lock_appeal(appeal: Appeal | int) -> Appeal:
    """The appeal re-read under a row lock (what the transition reads is what it changes)."""
    pk = appeal if isinstance(appeal, int) else appeal.pk
    return (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("borrower", "line", "decision")
        .get(pk=pk)
    )


def check_can(appeal: Appeal, method, action: str) -> None:
    if not can_proceed(method):
        raise ValidationError(
            _("This appeal is now “%(status)s”, so it cannot be %(action)s.")
            % {"status": appeal.get_status_display(), "action": action},
            code="state",
        )


def log_transition(
    appeal: Appeal, from_status: str, *, actor, at: datetime, comment: str = ""
) -> None:
    AppealTransition.objects.create(
        appeal=appeal,
        from_status=from_status,
        to_status=appeal.status,
        actor=actor,
        at=at,
        comment=comment,
    )
    audited.transition(appeal, from_status, actor=actor, at=at)


@dataclass
class Step:
    """One transition under way: the locked appeal, the time of the act, the state it left."""

    appeal: Appeal
    name: str
    actor: object
    now: datetime
    from_status: str
    comment: str = ""
    applied: bool = False
    _after: list[Callable[[], None]] = field(default_factory=list)

    def apply(self, **arguments) -> Appeal:
        """Call the FSM transition with `arguments` and save the appeal."""
        getattr(self.appeal, self.name)(**arguments)
        self.appeal.save()
        self.applied = True
        return self.appeal

    def then(self, tell: Callable[[], None]) -> None:
        """Tell someone once the log row is written (notices, assignment)."""
        self._after.append(tell)


@contextmanager
def appeal_transition(
    appeal: Appeal | int,
    name: str,
    doing: str,
    *,
    actor,
    permission: str | None = None,
    borrower: bool = False,
    check: Callable[[Appeal], None] | None = None,
    locked: bool = False,
    now: datetime | None = None,
) -> Iterator[Step]:
    """Run the FSM transition `name` (worded `doing` in a refusal) on the locked appeal.

    Who may: staff holding `appeals.<permission>` (checked first, before the lock), or only
    the appeal's borrower (`borrower=True`, checked under the lock). `check(appeal)` is what
    else must hold before the state machine is asked; it runs under the lock. Pass
    `locked=True` when the caller already holds the row lock (it reads the row once), and
    `now` when the act began earlier in the service. The body must call `step.apply(...)`;
    a refusal raised in it changes nothing (the entry point's transaction rolls back).
    """
    if permission is not None:
        require_staff(actor, permission)
    appeal = appeal if locked else lock_appeal(appeal)
    if borrower:
        require_borrower(appeal, actor)
    if check is not None:
        check(appeal)
    check_can(appeal, getattr(appeal, name), doing)
    step = Step(
        appeal=appeal,
        name=name,
        actor=actor,
        now=now or timezone.now(),
        from_status=appeal.status,
    )
    yield step
    if not step.applied:
        raise RuntimeError(f"the transition {name} was not applied")
    log_transition(appeal, step.from_status, actor=actor, at=step.now, comment=step.comment)
    outbound.appeal_moved(appeal, step.from_status)
    for tell in step._after:
        tell()
