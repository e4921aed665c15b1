"""Staged decisions in the admin: the key-customer review queue (confirm or override) and the
batches the circuit breaker held (what would change by reason code and segment; release or
discard). Every button is a POST to a service; nothing here writes a row itself."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, When
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from .. import services
from ..models import (
    DecisionOutcome,
    DecisionReview,
    DecisionReviewState,
    EvaluationBatch,
    EvaluationBatchKind,
    EvaluationBatchState,
    HeldDecision,
    ReasonCode,
)
from ..services import activation_guard, breaker
from .common import ReadOnlyMixin, features_table

REVIEW_PERMISSION = "credit.decide_decisionreview"
BATCH_PERMISSION = "credit.review_evaluationbatch"
SAMPLE_SIZE = 20


def _reason_titles(codes) -> dict[str, str]:
    english = (get_language() or "").startswith("en")
    return {
        rc.code: rc.title_en if english else rc.title_zh
        for rc in ReasonCode.objects.filter(code__in=set(codes))
    }


def staged_reasons_html(reasons) -> str:
    if not reasons:
        return "—"
    titles = _reason_titles(r[0] for r in reasons)
    return format_html(
        "<ol class='credit-reasons'>{}</ol>",
        format_html_join(
            "",
            "<li><strong>{}</strong> {}</li>",
            ((code, titles.get(code, "")) for code, *_ in reasons),
        ),
    )


class StagingMedia:
    css = {"all": ("credit/admin.css", "credit/campaigns.css")}


class PostActsMixin:
    """`<pk>/<act>/` URLs, each a POST handled by `<act>_view`."""

    acts: tuple[str, ...] = ()
    Media = StagingMedia

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                f"<int:pk>/{act}/",
                self.admin_site.admin_view(require_POST(getattr(self, f"{act}_view"))),
                name="{}_{}_{}".format(*info, act),
            )
            for act in self.acts
        ] + super().get_urls()

    def back(self, pk):
        info = self.model._meta.app_label, self.model._meta.model_name
        return redirect(reverse("admin:{}_{}_change".format(*info), args=[pk]))

    def call(self, request, permission, service, done_message) -> bool:
        if not request.user.has_perm(permission):
            raise PermissionDenied
        try:
            result = service()
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return False
        self.message_user(request, done_message % {"count": result}, messages.SUCCESS)
        return True


# --- Key-customer review -----------------------------------------------------------------------


class OverrideForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("instead"),
        choices=[
            ("keep", _("Keep the line as it is")),
            (DecisionOutcome.REDUCE_LIMIT, _("Reduce the limit")),
            (DecisionOutcome.FREEZE, _("Pause")),
            (DecisionOutcome.SCHEDULE_CLOSURE, _("Close with notice")),
        ],
    )
    reason_code = forms.ModelChoiceField(
        label=_("reason"),
        queryset=ReasonCode.objects.order_by("category", "code"),
        to_field_name="code",
    )
    new_limit = forms.DecimalField(
        label=_("new credit limit"),
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=_("For a reduction."),
    )
    buffer_days = forms.IntegerField(
        label=_("notice period (days)"),
        min_value=0,
        required=False,
        help_text=_("For a closure; empty: the policy's notice period for this reason."),
    )
    comment = forms.CharField(label=_("comment"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(DecisionReview)
class DecisionReviewAdmin(PostActsMixin, ReadOnlyMixin, admin.ModelAdmin):
    change_form_template = "admin/credit/review_change_form.html"
    list_display = (
        "customer_id",
        "outcome",
        "segment",
        "due_display",
        "state",
        "reviewed_by",
    )
    list_filter = ("state", "segment")
    list_select_related = ("line__borrower", "reviewed_by")
    search_fields = ("line__borrower__customer_id",)
    ordering = ("due_at", "id")
    fields = (
        "line",
        ("state", "due_at", "staged_at"),
        ("trigger", "segment", "score"),
        ("outcome", "old_status", "new_status"),
        ("old_limit", "new_limit", "buffer_days"),
        "reasons_display",
        "note",
        ("reviewed_by", "reviewed_at"),
        ("override_reason", "decision"),
        "comment",
        "features_display",
    )
    readonly_fields = (
        "line",
        "state",
        "due_at",
        "staged_at",
        "trigger",
        "segment",
        "score",
        "outcome",
        "old_status",
        "new_status",
        "old_limit",
        "new_limit",
        "buffer_days",
        "reasons_display",
        "note",
        "reviewed_by",
        "reviewed_at",
        "override_reason",
        "decision",
        "comment",
        "features_display",
    )
    acts = ("confirm", "override")

    def get_ordering(self, request):
        # The queue: reviews still waiting first, the most urgent at the top.
        waiting_first = Case(
            When(state=DecisionReviewState.PENDING, then=0), default=1, output_field=IntegerField()
        )
        return (waiting_first.asc(), "due_at", "id")

    @admin.display(description=_("customer ID"), ordering="line__borrower__customer_id")
    def customer_id(self, obj):
        return obj.line.borrower.customer_id

    @admin.display(description=_("review due"), ordering="due_at")
    def due_display(self, obj):
        due = timezone.localtime(obj.due_at).strftime("%Y-%m-%d %H:%M")
        if obj.state == DecisionReviewState.PENDING and obj.due_at < timezone.now():
            return format_html("<strong class='credit-overdue'>{} · {}</strong>", due, _("overdue"))
        return due

    @admin.display(description=_("reasons"))
    def reasons_display(self, obj):
        return staged_reasons_html(obj.reasons)

    @admin.display(description=_("features"))
    def features_display(self, obj):
        return features_table(obj.features)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        review = self.get_object(request, object_id)
        if review is not None:
            extra["review"] = review
            extra["may_review"] = (
                review.state == DecisionReviewState.PENDING
                and request.user.has_perm(REVIEW_PERMISSION)
            )
            extra["override_form"] = OverrideForm()
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def confirm_view(self, request, pk):
        review = get_object_or_404(DecisionReview, pk=pk)
        self.call(
            request,
            REVIEW_PERMISSION,
            lambda: (
                services.decision_review_confirm(
                    review=review, actor=request.user, comment=request.POST.get("comment", "")
                )
                and 1
            ),
            _("Confirmed: the decision took effect and the borrower is told."),
        )
        return self.back(pk)

    def override_view(self, request, pk):
        review = get_object_or_404(DecisionReview, pk=pk)
        form = OverrideForm(request.POST)
        if not form.is_valid():
            if not request.user.has_perm(REVIEW_PERMISSION):
                raise PermissionDenied
            errors = "; ".join(
                f"{form.fields[name].label if name in form.fields else ''}: {' '.join(e)}"
                for name, e in form.errors.items()
            )
            self.message_user(request, errors, messages.ERROR)
            return self.back(pk)
        data = form.cleaned_data
        self.call(
            request,
            REVIEW_PERMISSION,
            lambda: (
                services.decision_review_override(
                    review=review,
                    actor=request.user,
                    outcome=data["outcome"],
                    reason_code=data["reason_code"].code,
                    comment=data["comment"],
                    new_limit=data["new_limit"],
                    buffer_days=data["buffer_days"],
                )
                and 1
            ),
            _("Overridden: your decision is recorded."),
        )
        return self.back(pk)


# --- Batches held by the circuit breaker -------------------------------------------------------


@admin.register(EvaluationBatch)
class EvaluationBatchAdmin(PostActsMixin, ReadOnlyMixin, admin.ModelAdmin):
    change_form_template = "admin/credit/batch_change_form.html"
    list_display = (
        "title",
        "kind",
        "state",
        "lines_evaluated",
        "adverse",
        "started_at",
        "reviewed_by",
    )
    list_filter = ("state", "kind")
    list_select_related = ("reviewed_by", "scorecard", "policy")
    ordering = ("-started_at", "-id")
    fields = (
        "title",
        ("kind", "state", "trigger"),
        ("started_at", "held_at", "failed_at"),
        ("lines_total", "lines_evaluated", "adverse", "trailing_rate"),
        ("reviewed_by", "reviewed_at"),
        "review_note",
    )
    readonly_fields = (
        "title",
        "kind",
        "state",
        "trigger",
        "started_at",
        "held_at",
        "failed_at",
        "lines_total",
        "lines_evaluated",
        "adverse",
        "trailing_rate",
        "reviewed_by",
        "reviewed_at",
        "review_note",
    )
    acts = ("release", "discard", "retry")

    @admin.display(description=_("name"), ordering="name")
    def title(self, obj):
        return obj.title

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        batch = self.get_object(request, object_id)
        if batch is not None:
            extra.update(self.panel(batch))
            may = request.user.has_perm(BATCH_PERMISSION)
            extra["may_review"] = batch.state == EvaluationBatchState.HELD and may
            extra["may_retry"] = batch.state == EvaluationBatchState.FAILED and may
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def panel(self, batch) -> dict:
        summary = services.held_batch_summary(batch)
        outcomes = dict(DecisionOutcome.choices)
        titles = _reason_titles(code for code, _ in summary["by_reason"])
        panel = {
            "batch": batch,
            "summary": summary,
            "by_segment": [
                (outcomes.get(row["outcome"], row["outcome"]), row["segment"], row["lines"])
                for row in summary["by_segment"]
            ],
            "by_reason": [(code, titles.get(code, ""), n) for code, n in summary["by_reason"]],
            "sample": HeldDecision.objects.filter(batch=batch)
            .select_related("line__borrower")
            .order_by("id")[:SAMPLE_SIZE],
            "failures": batch.failures.select_related("retried_by").order_by("first_line_id"),
            "waiting": batch.waiting_lines.filter(looked_at__isnull=True).count(),
            "holds_the_night": batch.kind == EvaluationBatchKind.ACTIVATION
            and activation_guard.batch_holding_the_night() == batch.pk,
        }
        if batch.held_because:
            texts = breaker.HELD_BECAUSE[batch.held_because]
            panel["held_because"] = texts["en" if get_language() == "en" else "zh-hans"]
        return panel

    def release_view(self, request, pk):
        batch = get_object_or_404(EvaluationBatch, pk=pk)
        self.call(
            request,
            BATCH_PERMISSION,
            lambda: services.evaluation_batch_release(
                batch=batch, actor=request.user, note=request.POST.get("note", "")
            ),
            _("Released: %(count)s decisions apply now and their borrowers are told."),
        )
        return self.back(pk)

    def retry_view(self, request, pk):
        batch = get_object_or_404(EvaluationBatch, pk=pk)
        self.call(
            request,
            BATCH_PERMISSION,
            lambda: services.evaluation_batch_retry_failed(batch=batch, actor=request.user),
            _(
                "Retrying %(count)s failed chunks; the breaker decides the whole batch once "
                "they are in."
            ),
        )
        return self.back(pk)

    def discard_view(self, request, pk):
        batch = get_object_or_404(EvaluationBatch, pk=pk)
        self.call(
            request,
            BATCH_PERMISSION,
            lambda: services.evaluation_batch_discard(
                batch=batch, actor=request.user, note=request.POST.get("note", "")
            ),
            _("Discarded: %(count)s decisions will not apply; no line changed."),
        )
        return self.back(pk)
