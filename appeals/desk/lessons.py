"""What appeals teach the scorecard (risk team: supervisors; auditors read): appeals
overturned per reason code and per scorecard bin, the features of the overturned cases, and a
proposed draft tried in shadow against every line. Nothing is activated from here."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from credit import selectors as credit_selectors
from credit import services as credit_services
from credit.engine.lessons import bin_for, overturns_by_reason
from credit.models import DecisionPolicy, ReasonCode, ShadowRun
from credit.previews import shadow_report

from .. import selectors

LESSONS_PERMISSION = "appeals.view_lessons"
# Saving the drafts and starting their shadow run: what a supervisor does on the rule pages.
PROPOSE_PERMISSIONS = ("credit.add_scorecard", "credit.add_decisionpolicy", "credit.run_shadowrun")
CASES_SHOWN = 50
RUNS_SHOWN = 5
RUN_NOTE_PREFIX = "Proposed from appealed decisions"


def may_propose(user) -> bool:
    return user.has_perms(PROPOSE_PERMISSIONS)


class LessonsAdminMixin:
    def get_urls(self):
        return [
            path(
                "lessons/",
                self.admin_site.admin_view(self.lessons_view),
                name="appeals_appeal_lessons",
            ),
            *super().get_urls(),
        ]

    def lessons_view(self, request):
        if not request.user.has_perm(LESSONS_PERMISSION):
            raise PermissionDenied
        cases = selectors.appealed_cases()
        if request.method == "POST":
            if not may_propose(request.user):
                raise PermissionDenied
            try:
                draft = credit_services.lessons_draft_and_shadow(
                    cases=[c.case for c in cases], actor=request.user
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("admin:appeals_appeal_lessons")
            messages.success(
                request,
                _(
                    "The proposal is saved as a draft and its shadow run started on %(count)s "
                    "lines. Nothing is activated."
                )
                % {"count": draft.run.lines_total},
            )
            return redirect("admin:credit_shadowrun_change", draft.run.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("What appeals teach the scorecard"),
            "may_propose": may_propose(request.user),
            **lessons_context(cases),
        }
        return TemplateResponse(request, "admin/appeals/appeal/lessons.html", context)


def lessons_context(cases) -> dict:
    language = get_language()
    by_reason = overturns_by_reason(c.case for c in cases)
    titles = {
        rc.code: rc.title_in(language) for rc in ReasonCode.objects.filter(code__in=by_reason)
    }
    proposal = credit_services.lessons_proposal([c.case for c in cases])
    context = {
        "overturned": sum(c.case.overturned for c in cases),
        "upheld": sum(not c.case.overturned for c in cases),
        "by_reason": [(code, titles.get(code, code), tally) for code, tally in by_reason.items()],
        "proposal": proposal,
        "runs": [
            (run, shadow_report(run) if run.state != "draft" else None)
            for run in ShadowRun.objects.filter(note__startswith=RUN_NOTE_PREFIX)
            .select_related("scorecard", "policy")
            .order_by("-created_at", "-id")[:RUNS_SHOWN]
        ],
    }
    if proposal is None:
        return context
    moved = {(m.name, m.label) for m in proposal.moves if m.kind == "bin"}
    context["bins"] = [
        (tally, (tally.feature, tally.bin_label) in moved)
        for tally in proposal.bins
        if tally.tally.decided or (tally.feature, tally.bin_label) in moved
    ]
    card = credit_selectors.active_rules().card_rules
    context["attributes"] = card.attributes
    context["cases"] = [
        (
            case,
            [
                (case.case.features.get(a.feature), bin_for(a, case.case.features.get(a.feature)))
                for a in card.attributes
            ],
        )
        for case in cases
        if case.case.overturned
    ][:CASES_SHOWN]
    labels = {a.feature: a.label for a in card.attributes}
    context["moves"] = [
        (
            move,
            str(DecisionPolicy._meta.get_field(move.name).verbose_name)
            if move.kind == "threshold"
            else labels.get(move.name, move.name),
        )
        for move in proposal.moves
    ]
    return context
