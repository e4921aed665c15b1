"""A supervisor decides a line by hand (reinstate, reduce, pause, close with notice), with a
reason code and a comment: a staff decision, recorded and told to the borrower like any other.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import CreditLine, DecisionOutcome, DecisionTrigger, ReasonCode

DECIDE_PERMISSION = "credit.decide_creditline"


class ManualDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("decision"),
        choices=[
            (DecisionOutcome.REINSTATE, _("Restore")),
            (DecisionOutcome.REDUCE_LIMIT, _("Reduce the limit")),
            (DecisionOutcome.FREEZE, _("Pause")),
            (DecisionOutcome.SCHEDULE_CLOSURE, _("Close with notice")),
        ],
    )
    reason_codes = forms.ModelMultipleChoiceField(
        label=_("reasons"),
        queryset=ReasonCode.objects.order_by("category", "code"),
        to_field_name="code",
        required=False,
        help_text=_("At most four; at least one unless the line is restored."),
    )
    new_limit = forms.DecimalField(
        label=_("new credit limit"),
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=_("For a reduction, or to restore a reduced limit."),
    )
    buffer_days = forms.IntegerField(
        label=_("notice period (days)"),
        min_value=0,
        required=False,
        help_text=_("For a closure; empty: the policy's notice period for these reasons."),
    )
    comment = forms.CharField(label=_("comment"), widget=forms.Textarea(attrs={"rows": 3}))


class ManualDecisionMixin:
    """Adds `<pk>/decide/` to the credit line admin and its page."""

    def get_urls(self):
        return [
            path(
                "<int:pk>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="credit_creditline_decide",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        extra["may_decide"] = request.user.has_perm(DECIDE_PERMISSION)
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def decide_view(self, request, pk):
        if not request.user.has_perm(DECIDE_PERMISSION):
            raise PermissionDenied
        line = get_object_or_404(CreditLine.objects.select_related("borrower"), pk=pk)
        form = ManualDecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.credit_line_decide(
                    line=line,
                    outcome=data["outcome"],
                    trigger=DecisionTrigger.STAFF,
                    reason_codes=[rc.code for rc in data["reason_codes"]],
                    actor=request.user,
                    note=data["comment"],
                    new_limit=data["new_limit"],
                    buffer_days=data["buffer_days"],
                )
            except ValidationError as exc:
                for field, errors in exc.update_error_dict({}).items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                self.message_user(
                    request, _("The decision is recorded and the borrower told."), messages.SUCCESS
                )
                return redirect(reverse("admin:credit_creditline_change", args=[line.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": CreditLine._meta,
            "title": _("Decide by hand: %(line)s") % {"line": line},
            "line": line,
            "form": form,
        }
        return TemplateResponse(request, "admin/credit/manual_decision.html", context)
