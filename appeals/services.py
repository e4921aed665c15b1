"""Every write to appeals. One service per transition; each checks who may call it.

Each transition service locks the appeal row, calls the FSM transition, saves, writes an
`AppealTransition` (who, when, from, to, comment) in the same transaction and notifies the
borrower through `notifications.notify` (rows written here, delivery queued on commit).
Internal notes are never passed to a notification.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from credit import services as credit_services
from credit.appealability import appeal_until
from credit.models import (
    CreditDecision,
    CreditLine,
    CreditLineStatus,
    DecisionOutcome,
    DecisionTrigger,
)
from credit.selectors import NoActiveRules

from . import evidence as evidence_files
from . import notices, selectors, sla
from .models import (
    OPEN_STATES,
    Appeal,
    AppealGround,
    AppealStatus,
    AppealTransition,
    Evidence,
    Message,
    MessageKind,
    Survey,
)

logger = logging.getLogger(__name__)
S = AppealStatus


class AppealPermissionDenied(PermissionDenied):
    """The actor may not do this to this appeal (wrong role, not theirs, same reviewer)."""


# --- helpers ---------------------------------------------------------------------------------


def _require_borrower(appeal: Appeal, actor) -> None:
    if actor is None or actor.pk != appeal.borrower_id:
        raise AppealPermissionDenied(_("Only the borrower who filed this appeal can do this."))


def _require_staff(actor, permission: str) -> None:
    if not (
        actor is not None
        and actor.is_active
        and actor.is_staff
        and actor.has_perm(f"appeals.{permission}")
    ):
        raise AppealPermissionDenied(
            _("Your role does not allow this (%(permission)s).") % {"permission": permission}
        )


def _locked(appeal: Appeal) -> Appeal:
    return (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("borrower", "line", "decision")
        .get(pk=appeal.pk)
    )


def _check_can(appeal: Appeal, method, action: str) -> None:
    if not can_proceed(method):
        raise ValidationError(
            _("This appeal is %(status)s, so it cannot be %(action)s.")
            % {"status": appeal.get_status_display(), "action": action},
            code="state",
        )


def _log(appeal: Appeal, from_status: str, *, actor, at: datetime, comment: str = "") -> None:
    AppealTransition.objects.create(
        appeal=appeal,
        from_status=from_status,
        to_status=appeal.status,
        actor=actor,
        at=at,
        comment=comment,
    )


def _in_both_languages(render) -> dict[str, str]:
    """{"zh-hans": ..., "en": ...}: notifications pick the borrower's language."""
    texts = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            texts[language] = str(render())
    return texts


def _local_date(moment: datetime, user) -> str:
    try:
        zone = zoneinfo.ZoneInfo(user.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_default_timezone()
    return formats.date_format(timezone.localtime(moment, zone), "DATE_FORMAT")


def _clean_text(value: str, *, field: str, required: bool, max_length: int = 5000) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > max_length:
        raise ValidationError(
            {field: _("Please keep it under %(n)s characters.") % {"n": max_length}}
        )
    return value


def _clean_grounds(grounds: Sequence[str]) -> list[str]:
    chosen = list(dict.fromkeys(grounds or []))
    unknown = [g for g in chosen if g not in AppealGround.values]
    if unknown:
        raise ValidationError({"grounds": _("Choose reasons from the list.")})
    return chosen


# --- creating and editing a draft ------------------------------------------------------------


def decision_appealable_until(decision: CreditDecision, *, now: datetime) -> datetime | None:
    """The credit app's one rule, plus: only the decision that explains the line right now."""
    latest = (
        CreditDecision.objects.filter(line_id=decision.line_id)
        .exclude(trigger=DecisionTrigger.APPEAL, outcome=DecisionOutcome.SCHEDULE_CLOSURE)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    if latest != decision.pk:
        return None
    return appeal_until(decision, now=now)


@transaction.atomic
def appeal_create(
    *, borrower, decision: CreditDecision, grounds: Sequence[str] = (), statement: str = ""
) -> Appeal:
    """Start a draft appeal against one of the borrower's own decisions.

    Rules: the decision is on the borrower's own line; it is appealable now (adverse, an
    appealable reason, within APPEAL_WINDOW_DAYS of its notice, and still the line's latest
    decision); the line has no other open appeal (also a database constraint).
    """
    line = CreditLine.objects.select_for_update().get(pk=decision.line_id)
    if line.borrower_id != borrower.pk:
        raise AppealPermissionDenied(_("You can only appeal decisions about your own credit line."))
    now = timezone.now()
    if decision_appealable_until(decision, now=now) is None:
        raise ValidationError(
            {"decision": _("This decision can no longer be appealed.")}, code="not_appealable"
        )
    if Appeal.objects.filter(line=line, status__in=[s.value for s in OPEN_STATES]).exists():
        raise ValidationError(
            {"decision": _("You already have an open appeal for this credit line.")},
            code="open_appeal",
        )
    if decision.appeals.exclude(status=S.WITHDRAWN).exists():
        raise ValidationError(
            {
                "decision": _(
                    "This decision has already been appealed. After a denial you can ask for "
                    "a second review on the appeal's page."
                )
            },
            code="already_appealed",
        )
    appeal = Appeal(
        borrower=borrower,
        line=line,
        decision=decision,
        grounds=_clean_grounds(grounds),
        statement=_clean_text(statement, field="statement", required=False),
        created_at=now,
    )
    try:
        with transaction.atomic():
            appeal.save()
    except IntegrityError as exc:  # a concurrent twin
        raise ValidationError(
            {"decision": _("You already have an open appeal for this credit line.")},
            code="open_appeal",
        ) from exc
    _log(appeal, S.DRAFT, actor=borrower, at=now, comment="draft started")
    return appeal


@transaction.atomic
def appeal_update_draft(*, appeal: Appeal, actor, grounds: Sequence[str], statement: str) -> Appeal:
    """Change the grounds and statement of a draft (only the borrower, only while a draft)."""
    appeal = _locked(appeal)
    _require_borrower(appeal, actor)
    if appeal.status != S.DRAFT:
        raise ValidationError(_("Only a draft can be edited."), code="state")
    appeal.grounds = _clean_grounds(grounds)
    appeal.statement = _clean_text(statement, field="statement", required=False)
    appeal.save(update_fields=["grounds", "statement"])
    return appeal


# --- evidence --------------------------------------------------------------------------------


EVIDENCE_STATES = (S.DRAFT, S.SUBMITTED, S.IN_REVIEW, S.AWAITING_BORROWER, S.SECOND_REVIEW)


@transaction.atomic
def evidence_add(*, appeal: Appeal, actor, upload) -> Evidence:
    """Attach one supporting document to the borrower's open appeal.

    Rules: only the borrower; only while the appeal is open; PDF, JPEG or PNG judged by the
    content; not empty; at most APPEAL_EVIDENCE_MAX_BYTES; at most APPEAL_EVIDENCE_MAX_FILES
    per appeal; a name without path tricks. A refused file changes nothing. The file is stored
    under a random name outside any public URL, with its SHA-256.
    """
    appeal = _locked(appeal)
    _require_borrower(appeal, actor)
    if appeal.status not in EVIDENCE_STATES:
        raise ValidationError(
            {"file": _("Documents can no longer be added to this appeal.")}, code="state"
        )
    if appeal.evidence.count() >= settings.APPEAL_EVIDENCE_MAX_FILES:
        raise ValidationError(
            {
                "file": _("An appeal can have at most %(n)s documents.")
                % {"n": settings.APPEAL_EVIDENCE_MAX_FILES}
            },
            code="count",
        )
    try:
        checked = evidence_files.check_upload(upload)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}, code=exc.code) from exc
    stored_name = evidence_files.store(checked, appeal_id=appeal.pk)
    try:
        item = Evidence.objects.create(
            appeal=appeal,
            uploaded_by=actor,
            original_name=checked.original_name,
            stored_name=stored_name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
        )
    except Exception:
        evidence_files.remove(stored_name)
        raise
    return item


# --- submission and the automatic re-evaluation -----------------------------------------------


@transaction.atomic
def appeal_submit(*, appeal: Appeal, actor) -> Appeal:
    """Submit a draft: draft → submitted.

    Rules: only the borrower; at least one reason for appeal and a statement; the decision
    still within its appeal window. Sets the SLA due dates (appeals.sla), tells the borrower,
    and queues the re-evaluation of the line on commit (`appeals.auto_review`), which approves
    the appeal automatically if the decision no longer stands. A denial is never automatic.
    """
    appeal = _locked(appeal)
    _require_borrower(appeal, actor)
    _check_can(appeal, appeal.submit, _("submitted"))
    errors = {}
    if not appeal.grounds:
        errors["grounds"] = _("Choose at least one reason for your appeal.")
    if not appeal.statement.strip():
        errors["statement"] = _("Tell us in a few words why the decision should change.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    if appeal_until(appeal.decision, now=now) is None:
        raise ValidationError(
            {"decision": _("The time to appeal this decision has passed.")}, code="window"
        )
    due = desk_due_dates(now)  # the holiday calendar's business days (desk)
    from_status = appeal.status
    appeal.submit(
        at=now, first_response_due=due.first_response_due, resolution_due=due.resolution_due
    )
    appeal.save()
    _log(appeal, from_status, actor=actor, at=now)
    notices.notify_borrower(
        appeal,
        "appeal.submitted",
        {
            "appeal_reference": appeal.reference,
            "first_response_due": due.first_response_due.isoformat(),
            "resolution_due": due.resolution_due.isoformat(),
        },
    )
    appeal = appeal_assign_new(appeal=appeal)  # the least-loaded agent (desk)
    appeal_id = appeal.pk
    transaction.on_commit(lambda: _queue_auto_review(appeal_id))
    return appeal


def _queue_auto_review(appeal_id: int) -> None:
    from .tasks import auto_review

    auto_review.delay(appeal_id)


def _decision_still_stands(decision: CreditDecision, line: CreditLine) -> bool:
    if decision.outcome in (DecisionOutcome.SCHEDULE_CLOSURE, DecisionOutcome.CLOSE):
        return line.status in (CreditLineStatus.CLOSING, CreditLineStatus.CLOSED)
    if decision.outcome == DecisionOutcome.FREEZE:
        return line.status == CreditLineStatus.FROZEN
    if decision.outcome == DecisionOutcome.REDUCE_LIMIT:
        return line.status != CreditLineStatus.ACTIVE or line.credit_limit < decision.old_limit
    return True


@transaction.atomic
def appeal_auto_review(*, appeal_id: int) -> Appeal | None:
    """Re-evaluate the line of a just-submitted appeal; submitted → auto_approved if the
    decision no longer stands (the line is restored by the re-evaluation, or already was).

    Idempotent: runs once per appeal (`auto_reviewed_at`), only while it is still submitted.
    Otherwise the appeal simply waits for a person: no denial is ever automatic.
    """
    appeal = Appeal.objects.select_for_update(of=("self",)).filter(pk=appeal_id).first()
    if appeal is None or appeal.status != S.SUBMITTED or appeal.auto_reviewed_at:
        return appeal
    appeal = _locked(appeal)
    now = timezone.now()
    appeal.auto_reviewed_at = now
    appeal.save(update_fields=["auto_reviewed_at"])
    try:
        credit_decision = credit_services.credit_line_reevaluate(
            line=appeal.line, trigger=DecisionTrigger.APPEAL
        )
    except NoActiveRules:
        logger.warning("No active rules: appeal %s waits for a person", appeal.reference)
        return appeal
    appeal.line.refresh_from_db()
    if _decision_still_stands(appeal.decision, appeal.line):
        return appeal
    explanation = _in_both_languages(
        lambda: _(
            "When we reviewed your credit line again after your appeal, the reasons for the "
            "decision no longer applied, so your credit line has been restored."
        )
    )
    from_status = appeal.status
    # The page words the automatic approval itself; the notice carries both languages.
    appeal.auto_approve(at=now, explanation="", credit_decision=credit_decision)
    appeal.save()
    _log(appeal, from_status, actor=None, at=now, comment="re-evaluation on submission")
    _notify_decided(appeal, outcome="approved", explanation=explanation)
    return appeal


# --- staff work ------------------------------------------------------------------------------


@transaction.atomic
def appeal_assign(*, appeal: Appeal, assignee, actor) -> Appeal:
    """Give the appeal to a staff member who can work it; they are told unless they took it."""
    _require_staff(actor, "work_appeal")
    if not (assignee.is_staff and assignee.is_active and assignee.has_perm("appeals.work_appeal")):
        raise ValidationError({"assignee": _("This person cannot work appeals.")})
    appeal = _locked(appeal)
    appeal.assignee = assignee
    appeal.save(update_fields=["assignee"])
    if assignee.pk != actor.pk and appeal.first_response_due:
        notices.notify_staff(
            assignee,
            appeal,
            "staff.appeal_assigned",
            {
                "appeal_reference": appeal.reference,
                "borrower_name": appeal.borrower.full_name,
                "first_response_due": appeal.first_response_due.isoformat(),
            },
        )
    return appeal


@transaction.atomic
def appeal_start_review(*, appeal: Appeal, actor) -> Appeal:
    """submitted → in_review, by staff who work appeals; unassigned appeals go to them."""
    _require_staff(actor, "work_appeal")
    appeal = _locked(appeal)
    _check_can(appeal, appeal.start_review, _("taken into review"))
    now = timezone.now()
    from_status = appeal.status
    appeal.start_review(assignee=actor)
    appeal.save()
    _log(appeal, from_status, actor=actor, at=now)
    return appeal


@transaction.atomic
def appeal_request_info(*, appeal: Appeal, actor, request: str) -> Appeal:
    """in_review → awaiting_borrower: ask the borrower for something, by when.

    Rules: staff with `request_info`; the request is a public message the borrower sees and
    is told about. The SLA clocks pause until the borrower replies.
    """
    _require_staff(actor, "request_info")
    request = _clean_text(request, field="request", required=True)
    appeal = _locked(appeal)
    _check_can(appeal, appeal.request_info, _("sent a request for information"))
    now = timezone.now()
    from_status = appeal.status
    appeal.request_info(at=now, reply_due=now + timedelta(days=settings.APPEAL_INFO_RESPONSE_DAYS))
    appeal.save()
    message = Message.objects.create(
        appeal=appeal, author=actor, kind=MessageKind.STAFF_PUBLIC, body=request, created_at=now
    )
    _log(appeal, from_status, actor=actor, at=now, comment=request)
    notices.notify_borrower(
        appeal,
        "appeal.info_requested",
        {"appeal_reference": appeal.reference, "request": request},
        obj=message,
    )
    return appeal


@transaction.atomic
def appeal_staff_message(*, appeal: Appeal, actor, body: str, internal: bool) -> Message:
    """A staff reply (the borrower sees it and is told) or an internal note (staff only;
    never shown to the borrower nor put in any notification)."""
    _require_staff(actor, "work_appeal")
    body = _clean_text(body, field="body", required=True)
    appeal = _locked(appeal)
    if appeal.status in (S.DRAFT, S.WITHDRAWN) and not internal:
        raise ValidationError(_("This appeal cannot receive replies."), code="state")
    now = timezone.now()
    message = Message.objects.create(
        appeal=appeal,
        author=actor,
        kind=MessageKind.INTERNAL if internal else MessageKind.STAFF_PUBLIC,
        body=body,
        created_at=now,
    )
    if not internal:
        if appeal.first_responded_at is None:
            appeal.first_responded_at = now
            appeal.save(update_fields=["first_responded_at"])
        notices.notify_borrower(
            appeal,
            "appeal.message_received",
            {"appeal_reference": appeal.reference, "excerpt": _excerpt(body)},
            obj=message,
        )
    return message


def _excerpt(body: str, length: int = 140) -> str:
    body = " ".join(body.split())
    return body if len(body) <= length else body[: length - 1] + "…"


@transaction.atomic
def appeal_borrower_message(*, appeal: Appeal, actor, body: str) -> Message:
    """The borrower's reply. Answering a request for information resumes the review
    (awaiting_borrower → in_review) and restarts the clocks, the waiting time added."""
    appeal = _locked(appeal)
    _require_borrower(appeal, actor)
    body = _clean_text(body, field="body", required=True)
    if appeal.status not in (S.SUBMITTED, S.IN_REVIEW, S.AWAITING_BORROWER, S.SECOND_REVIEW):
        raise ValidationError(_("This appeal cannot receive messages now."), code="state")
    now = timezone.now()
    message = Message.objects.create(
        appeal=appeal, author=actor, kind=MessageKind.BORROWER, body=body, created_at=now
    )
    if appeal.status == S.AWAITING_BORROWER:
        from_status = appeal.status
        paused_at = appeal.awaiting_since
        appeal.first_response_due = sla.resume_after_pause(
            appeal.first_response_due, paused_at=paused_at, resumed_at=now
        )
        appeal.resume_review(
            resolution_due=sla.resume_after_pause(
                appeal.resolution_due, paused_at=paused_at, resumed_at=now
            )
        )
        appeal.save()
        _log(appeal, from_status, actor=actor, at=now, comment="the borrower replied")
    return message


# --- decisions -------------------------------------------------------------------------------


def _before_after(decision: CreditDecision | None) -> dict[str, str] | None:
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

    return _in_both_languages(sentence)


def _notify_decided(appeal: Appeal, *, outcome: str, explanation, second_review: bool = False):
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
    if appeal.status == S.DENIED and appeal.second_review_until:
        context["second_review_by"] = timezone.localdate(appeal.second_review_until).isoformat()
    notices.notify_borrower(
        appeal,
        "appeal.decided",
        context,
        dedupe_key=f"appeal:{appeal.pk}:decided:{'second' if second_review else 'first'}",
    )
    notices.notify_borrower(
        appeal, "appeal.survey_requested", {"appeal_reference": appeal.reference}
    )


def _reinstate(appeal: Appeal, *, actor, note: str, new_limit: Decimal | None) -> CreditDecision:
    line = appeal.line
    if line.status == CreditLineStatus.ACTIVE:
        # The decision appealed reduced the limit: approving gives it back, in full or in part.
        wanted = new_limit if new_limit is not None else appeal.decision.old_limit
        if wanted <= line.credit_limit:
            raise ValidationError(
                {
                    "new_limit": _(
                        "The credit line is active with a limit of %(limit)s already; "
                        "an approval must raise it."
                    )
                    % {"limit": line.credit_limit}
                }
            )
        new_limit = wanted
    return credit_services.credit_line_decide(
        line=line,
        outcome=DecisionOutcome.REINSTATE,
        trigger=DecisionTrigger.APPEAL,
        reason_codes=[],
        actor=actor,
        note=note,
        new_limit=new_limit,
    )


@transaction.atomic
def appeal_approve(*, appeal: Appeal, actor, explanation: str) -> Appeal:
    """in_review → approved: the line is restored in full, in this transaction, by the credit
    services (a CreditDecision with trigger `appeal`); the borrower sees the before and after."""
    _require_staff(actor, "decide_appeal")
    explanation = _clean_text(explanation, field="explanation", required=True)
    appeal = _locked(appeal)
    _check_can(appeal, appeal.approve, _("approved"))
    now = timezone.now()
    credit_decision = _reinstate(
        appeal, actor=actor, note=f"Appeal {appeal.reference} approved.", new_limit=None
    )
    from_status = appeal.status
    appeal.approve(at=now, actor=actor, explanation=explanation, credit_decision=credit_decision)
    appeal.save()
    _log(appeal, from_status, actor=actor, at=now, comment=explanation)
    _notify_decided(appeal, outcome="approved", explanation=explanation)
    return appeal


@transaction.atomic
def appeal_partially_approve(*, appeal: Appeal, actor, explanation: str, new_limit) -> Appeal:
    """in_review → partially_approved: the line is restored with a lower limit (more than 0,
    less than the limit before the decision appealed)."""
    _require_staff(actor, "decide_appeal")
    explanation = _clean_text(explanation, field="explanation", required=True)
    try:
        limit = Decimal(str(new_limit)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationError({"new_limit": _("Enter an amount, e.g. 8000.00.")}) from exc
    appeal = _locked(appeal)
    if not (Decimal("0") < limit < appeal.decision.old_limit):
        raise ValidationError(
            {
                "new_limit": _(
                    "A partial approval needs a limit above 0 and below the limit before "
                    "the decision."
                )
            }
        )
    _check_can(appeal, appeal.partially_approve, _("partly approved"))
    now = timezone.now()
    credit_decision = _reinstate(
        appeal, actor=actor, note=f"Appeal {appeal.reference} partly approved.", new_limit=limit
    )
    from_status = appeal.status
    appeal.partially_approve(
        at=now,
        actor=actor,
        explanation=explanation,
        credit_decision=credit_decision,
        granted_limit=limit,
    )
    appeal.save()
    _log(appeal, from_status, actor=actor, at=now, comment=explanation)
    _notify_decided(appeal, outcome="partially_approved", explanation=explanation)
    return appeal


def _postpone_closure_after_denial(appeal: Appeal, *, actor, now: datetime) -> datetime | None:
    """The closure takes effect at the later of its date and N days after the borrower is
    told (now: the notice is written in this transaction). Returns the closure date."""
    line = CreditLine.objects.select_for_update().get(pk=appeal.line_id)
    if line.status != CreditLineStatus.CLOSING:
        return None
    earliest = now + timedelta(days=settings.APPEAL_DENIAL_CLOSURE_NOTICE_DAYS)
    if line.closing_effective_at >= earliest:
        return line.closing_effective_at
    credit_services.credit_line_postpone_closure(
        line=line,
        effective_at=earliest,
        actor=actor,
        note=f"Appeal {appeal.reference} denied: the closure takes effect no earlier than "
        f"{settings.APPEAL_DENIAL_CLOSURE_NOTICE_DAYS} days after the borrower is told.",
    )
    return earliest


def _denial_text(explanation: str, closes_at: datetime | None, borrower) -> dict[str, str]:
    def render():
        if closes_at is None:
            return explanation
        return (
            explanation
            + "\n\n"
            + _("Your credit line closes on %(date)s.") % {"date": _local_date(closes_at, borrower)}
        )

    return _in_both_languages(render)


@transaction.atomic
def appeal_deny(*, appeal: Appeal, actor, explanation: str) -> Appeal:
    """in_review → denied, by a named reviewer with a reason the borrower reads.

    The hold on the closure ends; a closing line closes at the later of its date and
    APPEAL_DENIAL_CLOSURE_NOTICE_DAYS after this notice. The borrower may ask for a second
    review within APPEAL_SECOND_REVIEW_WINDOW_DAYS.
    """
    _require_staff(actor, "decide_appeal")
    explanation = _clean_text(explanation, field="explanation", required=True)
    appeal = _locked(appeal)
    _check_can(appeal, appeal.deny, _("denied"))
    now = timezone.now()
    from_status = appeal.status
    appeal.deny(
        at=now,
        actor=actor,
        explanation=explanation,
        second_review_until=now + timedelta(days=settings.APPEAL_SECOND_REVIEW_WINDOW_DAYS),
    )
    appeal.save()
    closes_at = _postpone_closure_after_denial(appeal, actor=actor, now=now)
    _log(appeal, from_status, actor=actor, at=now, comment=explanation)
    _notify_decided(
        appeal, outcome="denied", explanation=_denial_text(explanation, closes_at, appeal.borrower)
    )
    return appeal


@transaction.atomic
def appeal_withdraw(*, appeal: Appeal, actor) -> Appeal:
    """Any open state → withdrawn, by the borrower only. The hold on the closure ends."""
    appeal = _locked(appeal)
    _require_borrower(appeal, actor)
    _check_can(appeal, appeal.withdraw, _("withdrawn"))
    now = timezone.now()
    from_status = appeal.status
    appeal.withdraw(at=now)
    appeal.save()
    _log(appeal, from_status, actor=actor, at=now)
    return appeal


@transaction.atomic
def appeal_request_second_review(*, appeal: Appeal, actor, statement: str = "") -> Appeal:
    """denied → second_review, by the borrower within the window after the denial's notice.
    The appeal is open again (it holds a closing line's closure)."""
    appeal = _locked(appeal)
    _require_borrower(appeal, actor)
    statement = _clean_text(statement, field="statement", required=False)
    _check_can(appeal, appeal.request_second_review, _("sent to a second review"))
    now = timezone.now()
    if appeal.second_review_until is None or now > appeal.second_review_until:
        raise ValidationError(_("The time to ask for a second review has passed."), code="window")
    open_states = [s.value for s in OPEN_STATES]
    if Appeal.objects.filter(line_id=appeal.line_id, status__in=open_states).exists():
        raise ValidationError(
            _("You already have an open appeal for this credit line."), code="open_appeal"
        )
    from_status = appeal.status
    appeal.request_second_review(at=now, statement=statement)
    appeal.save()
    _log(appeal, from_status, actor=actor, at=now, comment=statement)
    # Every supervisor who may decide it (not the first decider) is told there is one to take.
    for supervisor in selectors.second_reviewers(exclude_id=appeal.decided_by_id):
        notices.notify_staff(
            supervisor,
            appeal,
            "staff.decision_review_needed",
            {"appeal_reference": appeal.reference, "review_kind": "second_review"},
        )
    return appeal


@transaction.atomic
def appeal_decide_second_review(
    *, appeal: Appeal, actor, approve: bool, explanation: str
) -> Appeal:
    """second_review → approved | denied_final, by a supervisor who did not take the first
    decision. Approval restores the line in full; a final denial moves a closing line's
    closure as after the first denial."""
    _require_staff(actor, "decide_second_review")
    explanation = _clean_text(explanation, field="explanation", required=True)
    appeal = _locked(appeal)
    if appeal.decided_by_id == actor.pk:
        raise AppealPermissionDenied(
            _("A second review must be decided by someone other than the first reviewer.")
        )
    method = appeal.approve_on_second_review if approve else appeal.deny_on_second_review
    _check_can(appeal, method, _("decided on second review"))
    now = timezone.now()
    from_status = appeal.status
    if approve:
        credit_decision = _reinstate(
            appeal,
            actor=actor,
            note=f"Appeal {appeal.reference} approved on second review.",
            new_limit=None,
        )
        appeal.approve_on_second_review(
            at=now, actor=actor, explanation=explanation, credit_decision=credit_decision
        )
        appeal.save()
        _log(appeal, from_status, actor=actor, at=now, comment=explanation)
        _notify_decided(appeal, outcome="approved", explanation=explanation, second_review=True)
        return appeal
    appeal.deny_on_second_review(at=now, actor=actor, explanation=explanation)
    appeal.save()
    closes_at = _postpone_closure_after_denial(appeal, actor=actor, now=now)
    _log(appeal, from_status, actor=actor, at=now, comment=explanation)
    _notify_decided(
        appeal,
        outcome="denied",
        explanation=_denial_text(explanation, closes_at, appeal.borrower),
        second_review=True,
    )
    return appeal


# --- survey ----------------------------------------------------------------------------------


@transaction.atomic
def survey_submit(*, appeal: Appeal, actor, rating, comment: str = "") -> Survey:
    """The borrower rates how we handled a resolved appeal (1–5, optional comment), once."""
    appeal = _locked(appeal)
    _require_borrower(appeal, actor)
    if not appeal.is_resolved:
        raise ValidationError(_("You can rate your appeal once it has been decided."), code="state")
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Choose a rating from 1 to 5.")})
    comment = _clean_text(comment, field="comment", required=False, max_length=2000)
    if Survey.objects.filter(appeal=appeal).exists():
        raise ValidationError(_("You have already answered this survey. Thank you!"), code="done")
    return Survey.objects.create(appeal=appeal, rating=rating, comment=comment)


# =============================================================================================
# Staff desk: business-day clocks with the holiday calendar, assignment, reassignment,
# extensions, agents away, SLA breach escalation, and the desk's reference data.
# (Owned by the desk work; the transitions above are called, never re-implemented.)
# =============================================================================================


def desk_due_dates(submitted_at: datetime) -> sla.DueDates:
    """The due dates of an appeal submitted now, counted on the holiday calendar."""
    from . import clock
    from .desk_selectors import business_calendar

    due = clock.due_dates(submitted_at, business_calendar())
    return sla.DueDates(
        first_response_due=due.first_response_due, resolution_due=due.resolution_due
    )


def _desk_lock_assignment() -> None:
    # Two submissions at once must not both see the same "least loaded" agent.
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('appeals.assignment'))")


def _desk_record_assignment(appeal: Appeal, *, to, previous_id, actor, reason: str, at) -> None:
    from .models import AppealAssignment

    AppealAssignment.objects.create(
        appeal=appeal,
        from_assignee_id=previous_id,
        to_assignee=to,
        actor=actor,
        at=at,
        reason=reason,
    )


def _desk_notify_assigned(appeal: Appeal, assignee) -> None:
    notices.notify_staff(
        assignee,
        appeal,
        "staff.appeal_assigned",
        {
            "appeal_reference": appeal.reference,
            "borrower_name": appeal.borrower.full_name,
            "first_response_due": appeal.first_response_due.isoformat(),
        },
    )


def _desk_notify_staff(recipient, appeal: Appeal, event: str, context: dict, *, key: str) -> None:
    from django.urls import reverse

    from notifications.services import notify

    notify(
        recipient=recipient,
        event=event,
        context=context,
        dedupe_key=key,
        link=reverse("admin:appeals_appeal_change", args=[appeal.pk]),
    )


@transaction.atomic
def appeal_assign_new(*, appeal: Appeal) -> Appeal:
    """Give a just-submitted, unassigned appeal to the least-loaded active agent who is not
    away (appeals.assignment); they are told (`staff.appeal_assigned`) and it is logged.
    With nobody available the appeal stays unassigned in the queue."""
    from . import assignment
    from .desk_selectors import assignment_candidates

    appeal = _locked(appeal)
    if appeal.assignee_id is not None or appeal.status not in (S.SUBMITTED, S.IN_REVIEW):
        return appeal
    _desk_lock_assignment()
    candidates = assignment_candidates()
    agent_id = assignment.pick_agent(candidates.values())
    if agent_id is None:
        logger.warning("No agent available: appeal %s waits unassigned", appeal.reference)
        return appeal
    from accounts.models import User

    agent = User.objects.get(pk=agent_id)
    now = timezone.now()
    appeal.assignee = agent
    appeal.save(update_fields=["assignee"])
    _desk_record_assignment(appeal, to=agent, previous_id=None, actor=None, reason="", at=now)
    _desk_notify_assigned(appeal, agent)
    return appeal


@transaction.atomic
def appeal_reassign(*, appeal: Appeal, assignee, actor, reason: str) -> Appeal:
    """A supervisor gives an open appeal to another person who can work it, with a reason.
    Logged (from, to, by, when, why); the new assignee is told."""
    _require_staff(actor, "reassign_appeal")
    reason = _clean_text(reason, field="reason", required=True, max_length=1000)
    appeal = _locked(appeal)
    if not appeal.is_open or appeal.status == S.DRAFT:
        raise ValidationError(
            _("This appeal is %(status)s, so it cannot be reassigned.")
            % {"status": appeal.get_status_display()},
            code="state",
        )
    if assignee is None or assignee.pk == appeal.assignee_id:
        raise ValidationError({"assignee": _("Choose someone other than the current assignee.")})
    previous_id = appeal.assignee_id
    appeal = appeal_assign(appeal=appeal, assignee=assignee, actor=actor)
    _desk_record_assignment(
        appeal,
        to=assignee,
        previous_id=previous_id,
        actor=actor,
        reason=reason,
        at=timezone.now(),
    )
    return appeal


@transaction.atomic
def agent_set_away(*, agent, away: bool, actor, note: str = ""):
    """Mark an agent away (they get no new appeals) or back. Supervisors only; an agent may
    mark themselves."""
    from .models import AgentAvailability

    if actor is None or actor.pk != agent.pk:
        _require_staff(actor, "set_agent_away")
    note = _clean_text(note, field="note", required=False, max_length=200)
    row, _created = AgentAvailability.objects.select_for_update().get_or_create(agent=agent)
    row.away = bool(away)
    row.note = note
    row.updated_at = timezone.now()
    row.save()
    return row


EXTENDABLE_STATES = (S.SUBMITTED, S.IN_REVIEW, S.AWAITING_BORROWER)


@transaction.atomic
def appeal_extend(*, appeal: Appeal, actor, reason: str) -> Appeal:
    """Extend the decision due time: 15 → 30 days (`extend_appeal`), then by 30 more with a
    supervisor's approval (`approve_further_extension`); never beyond. A reason is required
    and the borrower is told it (`appeal.extended`). Logged as an AppealExtension."""
    from . import clock
    from .models import AppealExtension

    _require_staff(actor, "extend_appeal")
    reason = _clean_text(reason, field="reason", required=True, max_length=1000)
    appeal = _locked(appeal)
    if appeal.status not in EXTENDABLE_STATES or appeal.resolution_due is None:
        raise ValidationError(
            _("This appeal is %(status)s, so it cannot be extended.")
            % {"status": appeal.get_status_display()},
            code="state",
        )
    taken = appeal.extensions.count()
    try:
        step = clock.next_extension(steps_taken=taken, resolution_due=appeal.resolution_due)
    except clock.ExtensionRefused as exc:
        raise ValidationError(
            _("This appeal has already been extended twice; it cannot be extended again."),
            code="limit",
        ) from exc
    if step.needs_supervisor:
        _require_staff(actor, "approve_further_extension")
    now = timezone.now()
    before = appeal.resolution_due
    appeal.resolution_due = step.resolution_due
    appeal.save(update_fields=["resolution_due"])
    extension = AppealExtension.objects.create(
        appeal=appeal,
        step=step.step,
        days_added=step.days_added,
        reason=reason,
        actor=actor,
        at=now,
        resolution_due_before=before,
        resolution_due_after=step.resolution_due,
    )
    notices.notify_borrower(
        appeal,
        "appeal.extended",
        {
            "appeal_reference": appeal.reference,
            "resolution_due": step.resolution_due.isoformat(),
            "extension_reason": {"zh-hans": reason, "en": reason},
        },
        obj=extension,
    )
    return appeal


@transaction.atomic
def appeals_escalate_breaches(*, now: datetime | None = None) -> int:
    """Record every newly missed due time (first response, resolution) of an appeal being
    worked and tell every active supervisor once (`staff.sla_breached`). Safe to run again:
    one SlaBreach row per (appeal, clock, due), and a notice only when the row is new.
    Returns how many breaches were new."""
    from django.db.models import Q

    from . import clock
    from .desk_selectors import supervisors
    from .models import SlaBreach

    now = now or timezone.now()
    running = list(clock.RUNNING_STATES)
    candidates = (
        Appeal.objects.filter(status__in=running)
        .filter(
            Q(first_responded_at__isnull=True, first_response_due__lt=now)
            | Q(resolution_due__lt=now)
        )
        .select_related("assignee", "borrower")
        .order_by("pk")
    )
    recipients = None
    new = 0
    for appeal in candidates.iterator(chunk_size=500):
        state = clock.ClockState(
            status=appeal.status,
            first_response_due=appeal.first_response_due,
            first_responded_at=appeal.first_responded_at,
            resolution_due=appeal.resolution_due,
        )
        for clock_name, due in clock.breached_clocks(state, now=now):
            _row, created = SlaBreach.objects.get_or_create(
                appeal=appeal, clock=clock_name, due=due, defaults={"detected_at": now}
            )
            if not created:
                continue
            new += 1
            if recipients is None:
                recipients = list(supervisors())
            for supervisor in recipients:
                _desk_notify_staff(
                    supervisor,
                    appeal,
                    "staff.sla_breached",
                    {
                        "appeal_reference": appeal.reference,
                        "clock": clock_name,
                        "due": due.isoformat(),
                        "assignee_name": appeal.assignee.full_name if appeal.assignee else "—",
                    },
                    key=f"appeal:{appeal.pk}:sla:{clock_name}:{due:%Y%m%dT%H%M%S}:{supervisor.pk}",
                )
    return new


@transaction.atomic
def calendar_day_set(*, day, kind: str, name: str):
    """Add or change one day of the holiday calendar (a day off, or a make-up working day)."""
    from .models import CalendarDay, CalendarDayKind

    if kind not in CalendarDayKind.values:
        raise ValidationError({"kind": _("Choose a holiday or a working day.")})
    name = _clean_text(name, field="name", required=True, max_length=80)
    row, _created = CalendarDay.objects.update_or_create(
        date=day, defaults={"kind": kind, "name": name}
    )
    return row


@transaction.atomic
def canned_response_upsert(*, title: str, body_zh: str, body_en: str, active: bool = True):
    """Create or update a canned response by its title; both languages are required."""
    from .models import CannedResponse

    title = _clean_text(title, field="title", required=True, max_length=80)
    body_zh = _clean_text(body_zh, field="body_zh", required=True)
    body_en = _clean_text(body_en, field="body_en", required=True)
    row, _created = CannedResponse.objects.update_or_create(
        title=title, defaults={"body_zh": body_zh, "body_en": body_en, "active": active}
    )
    return row


@transaction.atomic
def canned_response_save(*, response):
    """Save a canned response edited in the admin: a title and both languages required."""
    response.title = _clean_text(response.title, field="title", required=True, max_length=80)
    response.body_zh = _clean_text(response.body_zh, field="body_zh", required=True)
    response.body_en = _clean_text(response.body_en, field="body_en", required=True)
    response.save()
    return response
