"""Borrower pages under /appeals/: each validates with a form and calls one service."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.ratelimits import limited
from credit.models import CreditDecision
from credit.selectors import decision_with_reasons

from . import comparison, detail_page, pages, selectors, services
from .evidence import evidence_response
from .forms import (
    AppealDraftForm,
    AppealStartForm,
    EvidenceForm,
    ReplyForm,
    SecondReviewForm,
    SupportReplyForm,
    SupportRequestForm,
    SurveyForm,
)
from .idempotency import answered_once
from .models import EVIDENCE_STATES, Appeal, AppealStatus, Evidence, SupportRequest

S = AppealStatus


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _own_appeal(request, pk) -> Appeal:
    try:
        return selectors.appeal_get_for_borrower(user=request.user, appeal_id=pk)
    except (Appeal.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def creation_limited(request) -> bool:
    """Starting appeals is rate-limited per borrower (APPEAL_CREATE_RATE, shared cache)."""
    return limited(request, group="appeals.create", key="user", rate=settings.APPEAL_CREATE_RATE)


@login_required
def appeal_list(request):
    appeals = list(selectors.appeals_for_borrower(user=request.user))
    return render(request, "appeals/appeal_list.html", {"appeals": appeals})


def _appealable_decision(request, decision_id) -> tuple[CreditDecision | None, object]:
    try:
        decision = decision_with_reasons(decision_id=int(decision_id))
    except (CreditDecision.DoesNotExist, TypeError, ValueError):
        return None, None
    if decision.line.borrower_id != request.user.pk:
        return None, None
    return decision, services.decision_appealable_until(decision, now=timezone.now())


def _file_error(upload, exc: ValidationError) -> str:
    """An upload refusal that names the file, so the borrower knows which one."""
    return _("%(name)s was not added: %(reason)s") % {
        "name": upload.name,
        "reason": " ".join(exc.messages),
    }


def _submit_new(request, appeal):
    """Submit the appeal just created from the one-screen form (it was reviewed on that
    screen). If it cannot be submitted, it stays a draft and the borrower is told why."""
    try:
        services.appeal_submit(appeal=appeal, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("appeals:detail", pk=appeal.pk)
    messages.success(request, _("Your appeal was submitted. A person will review it."))
    return redirect("appeals:detail", pk=appeal.pk)


@login_required
@answered_once
def appeal_start(request):
    decision, until = _appealable_decision(
        request, request.POST.get("decision") or request.GET.get("decision")
    )
    if decision is None:
        raise Http404
    open_appeal = selectors.open_appeal_for_line(line_id=decision.line_id)
    if open_appeal is not None:
        messages.info(request, _("You already have an open appeal for this credit line."))
        return redirect("appeals:detail", pk=open_appeal.pk)
    form = AppealStartForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if creation_limited(request):
            form.add_error(
                None,
                _("You have started several appeals in a short time. Please try again later."),
            )
            status = 429
        else:
            try:
                appeal = services.appeal_create(
                    borrower=request.user,
                    decision=decision,
                    grounds=form.cleaned_data["grounds"],
                    statement=form.cleaned_data["statement"],
                )
                upload = form.cleaned_data.get("file")
                file_refused = False
                if upload:
                    try:
                        services.evidence_add(appeal=appeal, actor=request.user, upload=upload)
                    except ValidationError as exc:
                        file_refused = True
                        messages.error(request, _file_error(upload, exc))
                if request.POST.get("action") == "submit" and not file_refused:
                    return _submit_new(request, appeal)
                messages.success(
                    request, _("Your draft is saved. Check it, add documents, then submit it.")
                )
                return redirect("appeals:detail", pk=appeal.pk)
            except ValidationError as exc:
                _apply_errors(form, exc)
    elif request.method == "POST":
        status = 400
    context = {
        "form": form,
        "decision": decision,
        "appeal_until": until,
        "hints": pages.evidence_hints(decision),
        "ground_hints": pages.GROUND_HINTS,
    }
    return render(request, "appeals/appeal_start.html", context, status=status)


def _thread_before(request) -> int | None:
    """The `before` of an earlier page of the thread (?before=<message id>); junk is ignored."""
    value = request.GET.get("before", "")
    return int(value) if value.isdigit() and len(value) < 19 else None


def _page_flags(appeal, parts) -> dict:
    """What every request reads itself: the status card's flags and the read-only parts, from
    the cache or just rendered."""
    return {
        "appeal": appeal,
        "fragments": detail_page.as_safe(parts),
        "hints": parts.hints,
        "latest_body": parts.latest_body,
        "can_add_evidence": appeal.status in EVIDENCE_STATES,
        "can_reply": appeal.status
        in (S.SUBMITTED, S.IN_REVIEW, S.AWAITING_BORROWER, S.SECOND_REVIEW),
        "can_second_review": appeal.status == S.DENIED
        and appeal.second_review_until
        and appeal.second_review_until > timezone.now(),
        "survey_done": hasattr(appeal, "survey"),
        # Who decides a second review: a reviewer when the first decider is the only supervisor.
        "second_review_by_reviewer": appeal.status == S.SECOND_REVIEW
        and selectors.second_review_by_reviewer(exclude_id=appeal.decided_by_id),
    }


def _forms(**forms) -> dict:
    """The page's forms: those given (sent with errors), the others empty."""
    return {
        "evidence_form": forms.get("evidence_form") or EvidenceForm(),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "second_review_form": forms.get("second_review_form") or SecondReviewForm(),
        "survey_form": forms.get("survey_form") or SurveyForm(),
        "error": forms.get("error"),
    }


def _page_context(request, appeal, parts, **forms):
    """The page's flags and parts with its forms, each rendered with this request's CSRF
    token."""
    return {**_page_flags(appeal, parts), **_forms(**forms)}


def _detail_context(request, appeal, *, fingerprint=None, **forms):
    """The page read in full (`appeal` from `appeal_get_for_borrower`); its read-only parts are
    rendered and, given the fingerprint read before, kept for the next requests."""
    full = {
        "appeal": appeal,
        "steps": pages.stepper(appeal),
        "before_after": comparison.before_after(appeal),
        "thread": selectors.public_thread_page(appeal, before=_thread_before(request)),
        "timeline": [(t, pages.actor_label(t, appeal)) for t in appeal.transitions.all()],
        "hints": pages.evidence_hints(appeal.decision),
        # A draft must be submitted while its decision can still be appealed.
        "submit_by": services.decision_appealable_until(appeal.decision, now=timezone.now())
        if appeal.status == S.DRAFT
        else None,
    }
    parts = detail_page.render_parts(full, language=get_language(), fingerprint_of=fingerprint)
    return _page_context(request, appeal, parts, **forms)


@login_required
def appeal_detail(request, pk):
    try:
        appeal = detail_page.appeal_for_page(user=request.user, appeal_id=pk)
    except (Appeal.DoesNotExist, ValueError) as exc:
        raise Http404 from exc
    fingerprint = None
    # The thread's newest page of an appeal past its draft: the parts may be cached.
    if _thread_before(request) is None and detail_page.cacheable(appeal):
        language = get_language()
        fingerprint = detail_page.fingerprint(appeal, language=language)
        parts = detail_page.cached_parts(appeal, language=language, fingerprint_now=fingerprint)
        if parts is not None:
            context = _page_flags(appeal, parts)
            context["body"] = detail_page.page_body(request, context, parts, forms=_forms)
            return render(request, "appeals/appeal_detail.html", context)
    appeal = detail_page.read_in_full(appeal)
    return render(
        request,
        "appeals/appeal_detail.html",
        _detail_context(request, appeal, fingerprint=fingerprint),
    )


def _rerender(request, appeal, status=400, **forms):
    appeal = _own_appeal(request, appeal.pk)
    return render(
        request,
        "appeals/appeal_detail.html",
        _detail_context(request, appeal, **forms),
        status=status,
    )


@login_required
@answered_once
def appeal_edit(request, pk):
    appeal = _own_appeal(request, pk)
    if appeal.status != S.DRAFT:
        return redirect("appeals:detail", pk=appeal.pk)
    initial = {"grounds": appeal.grounds, "statement": appeal.statement}
    form = AppealDraftForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.appeal_update_draft(
                appeal=appeal,
                actor=request.user,
                grounds=form.cleaned_data["grounds"],
                statement=form.cleaned_data["statement"],
            )
            messages.success(request, _("Your draft is saved."))
            return redirect("appeals:detail", pk=appeal.pk)
        except ValidationError as exc:
            _apply_errors(form, exc)
    return render(
        request,
        "appeals/appeal_edit.html",
        {"appeal": appeal, "form": form, "ground_hints": pages.GROUND_HINTS},
        status=400 if request.method == "POST" else 200,
    )


def _form_action(request, pk, form_class, form_name: str, act, success: str):
    """Validate the form, call the service; a refusal is shown on the form, nothing changed."""
    appeal = _own_appeal(request, pk)
    form = form_class(request.POST, request.FILES)
    if form.is_valid():
        try:
            act(appeal, form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect("appeals:detail", pk=appeal.pk)
    return _rerender(request, appeal, **{form_name: form})


@login_required
@require_POST
@answered_once
def appeal_add_evidence(request, pk):
    def act(appeal, data):
        services.evidence_add(appeal=appeal, actor=request.user, upload=data["file"])

    return _form_action(
        request, pk, EvidenceForm, "evidence_form", act, _("Your document was added.")
    )


@login_required
@require_POST
@answered_once
def appeal_reply(request, pk):
    def act(appeal, data):
        # The file first: if it is refused, nothing is sent and the reply can be retried.
        if data.get("file"):
            services.evidence_add(appeal=appeal, actor=request.user, upload=data["file"])
        services.appeal_borrower_message(appeal=appeal, actor=request.user, body=data["body"])

    return _form_action(request, pk, ReplyForm, "reply_form", act, _("Your reply was sent."))


def _simple_action(request, pk, service, success: str):
    appeal = _own_appeal(request, pk)
    try:
        service(appeal=appeal, actor=request.user)
    except ValidationError as exc:
        return _rerender(request, appeal, error=" ".join(exc.messages))
    messages.success(request, success)
    return redirect("appeals:detail", pk=appeal.pk)


@login_required
@require_POST
@answered_once
def appeal_submit(request, pk):
    success = _("Your appeal was submitted. A person will review it.")
    return _simple_action(request, pk, services.appeal_submit, success)


def _confirm(request, appeal, kind: str, status: int = 200, error: str = ""):
    """The step before withdrawing or discarding: what happens next, then one button. A plain
    page (no script), so it works under the strict CSP and on any phone."""
    return render(
        request,
        "appeals/appeal_confirm.html",
        {
            "appeal": appeal,
            "kind": kind,
            "error": error,
            "appeal_until": services.decision_appealable_until(appeal.decision, now=timezone.now()),
        },
        status=status,
    )


@login_required
@answered_once
def appeal_withdraw(request, pk):
    """GET asks for confirmation and says what happens next; POST withdraws."""
    appeal = _own_appeal(request, pk)
    if appeal.status == S.DRAFT:
        return redirect("appeals:discard", pk=appeal.pk)
    if request.method != "POST":
        if not appeal.is_open:
            return redirect("appeals:detail", pk=appeal.pk)
        return _confirm(request, appeal, "withdraw")
    return _simple_action(request, pk, services.appeal_withdraw, _("Your appeal was withdrawn."))


@login_required
@answered_once
def appeal_discard(request, pk):
    """GET asks for confirmation; POST discards the draft, which then leaves the list."""
    appeal = _own_appeal(request, pk)
    if appeal.status != S.DRAFT:
        return redirect("appeals:detail", pk=appeal.pk)
    if request.method != "POST":
        return _confirm(request, appeal, "discard")
    try:
        services.appeal_discard(appeal=appeal, actor=request.user)
    except ValidationError as exc:
        return _confirm(request, appeal, "discard", status=400, error=" ".join(exc.messages))
    messages.success(request, _("Your draft was discarded. Nothing was sent to us."))
    return redirect("appeals:list")


@login_required
@require_POST
@answered_once
def appeal_second_review(request, pk):
    def act(appeal, data):
        services.appeal_request_second_review(
            appeal=appeal, actor=request.user, statement=data["statement"]
        )

    return _form_action(
        request,
        pk,
        SecondReviewForm,
        "second_review_form",
        act,
        _("A supervisor will review your appeal again."),
    )


@login_required
@require_POST
@answered_once
def appeal_survey(request, pk):
    def act(appeal, data):
        services.survey_submit(
            appeal=appeal, actor=request.user, rating=data["rating"], comment=data["comment"]
        )

    return _form_action(request, pk, SurveyForm, "survey_form", act, _("Thank you for telling us."))


@login_required
def evidence_download(request, pk, evidence_pk):
    try:
        item = selectors.evidence_get_for_user(
            user=request.user, appeal_id=pk, evidence_id=evidence_pk
        )
    except Evidence.DoesNotExist as exc:
        raise Http404 from exc
    return evidence_response(item)


# --- support requests: a plain thread with the desk, for when no appeal is possible ---------


def _own_support_request(request, pk) -> SupportRequest:
    try:
        return selectors.support_request_get_for_borrower(user=request.user, request_id=pk)
    except (SupportRequest.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


@login_required
def support_list(request):
    requests = list(selectors.support_requests_for_borrower(user=request.user))
    return render(request, "appeals/support_list.html", {"support_requests": requests})


@login_required
@answered_once
def support_new(request):
    """A new support request; from My credit it carries the decision it is about. Staff
    answer requests in the admin; they do not send them."""
    if request.user.is_staff:
        raise PermissionDenied
    decision, _until = _appealable_decision(
        request, request.POST.get("decision") or request.GET.get("decision")
    )
    form = SupportRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.support_request_open(
                borrower=request.user,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                decision=decision,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(
                request, _("Your message was sent. A person on our team will answer here.")
            )
            return redirect("appeals:support-detail", support_pk=created.pk)
    return render(
        request,
        "appeals/support_new.html",
        {"form": form, "decision": decision},
        status=400 if request.method == "POST" else 200,
    )


def _support_page(request, support_pk, reply_form=None, status=200):
    support = _own_support_request(request, support_pk)
    return render(
        request,
        "appeals/support_detail.html",
        {"support": support, "reply_form": reply_form or SupportReplyForm()},
        status=status,
    )


@login_required
def support_detail(request, support_pk):
    return _support_page(request, support_pk)


@login_required
@require_POST
@answered_once
def support_reply(request, support_pk):
    support = _own_support_request(request, support_pk)
    form = SupportReplyForm(request.POST)
    if form.is_valid():
        try:
            services.support_borrower_message(
                request=support, actor=request.user, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Your message was sent."))
            return redirect("appeals:support-detail", support_pk=support.pk)
    return _support_page(request, support_pk, reply_form=form, status=400)
