"""The desk's case page: everything about one appeal, the buttons this person may use, and
the POST behind each button (parse its form, call the service; a refusal says why).

The row lock and the stale-page check live in `services.appeal_act_as_seen`: no code here
opens a transaction.
"""

from __future__ import annotations

import time
from functools import partial

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin

from accounts import privacy
from credit.feature_labels import feature_rows

from .. import macros, services
from ..evidence import evidence_response
from ..models import Appeal, Evidence, MacroAction, MessageKind
from ..selectors import appeal_get_for_staff, canned_responses, staff_timeline
from . import presence
from .actions import ACTIONS, actions_for
from .presenters import (
    error_text,
    first_response_cell,
    macro_values,
    resolution_cell,
    state_chip,
)


def _stale_message(object_id) -> str:
    appeal = Appeal.objects.get(pk=object_id)
    last = appeal.transitions.select_related("actor").order_by("-at", "-id").first()
    who = last.actor.full_name if last and last.actor else _("someone else")
    return _(
        "Someone else already changed this appeal while you had it open: it is now "
        "“%(state)s” (last change by %(who)s). Nothing was changed; here is the current "
        "state."
    ) % {"state": appeal.get_status_display(), "who": who}


# A macro's action → the case-page panel it fills, and the outcome it picks there.
MACRO_PANELS = {
    MacroAction.REPLY: ("message", ""),
    MacroAction.REQUEST_INFO: ("request_info", ""),
    MacroAction.APPROVE: ("decide", "approve"),
    MacroAction.DENY: ("decide", "deny"),
    MacroAction.EXTEND: ("extend", ""),
}


def _macros_by_panel(appeal, language: str) -> dict[str, list[dict]]:
    """Each panel's macros, their placeholders filled for this appeal in both languages (the
    page inserts the borrower's)."""
    values = {lang: macro_values(appeal, lang) for lang in ("zh-hans", "en")}
    english = language.startswith("en")
    panels: dict[str, list[dict]] = {}
    for m in canned_responses():
        panel, outcome = MACRO_PANELS.get(m.action, ("message", ""))
        zh = macros.fill(m.body_zh, values["zh-hans"])
        en = macros.fill(m.body_en, values["en"])
        panels.setdefault(panel, []).append(
            {
                "pk": m.pk,
                "title": m.title,
                "panel": panel,
                "outcome": outcome,
                "body_zh": zh,
                "body_en": en,
                "text": en if english else zh,
            }
        )
    return panels


def _chosen_macro(request, macros_by_panel) -> dict | None:
    """The macro picked without JavaScript (?canned=<id>): its panel is filled on reload."""
    picked = request.GET.get("canned", "")
    if not picked.isdigit():
        return None
    return next((m for ms in macros_by_panel.values() for m in ms if m["pk"] == int(picked)), None)


def _case_links(appeal) -> dict:
    """Where the why and the rest of the story live: the decision, the credit line, the
    borrower's other appeals, the messages sent about this case."""
    case_links = ",".join(
        (
            reverse("appeals:detail", args=[appeal.pk]),
            reverse("admin:appeals_appeal_change", args=[appeal.pk]),
        )
    )
    return {
        "decision": reverse("admin:credit_creditdecision_change", args=[appeal.decision_id]),
        "line": reverse("admin:credit_creditline_change", args=[appeal.line_id]),
        "other_appeals": reverse("admin:appeals_appeal_changelist")
        + "?"
        + urlencode({"queue": "all", "q": appeal.borrower.customer_id or appeal.borrower.email}),
        "notices": reverse("admin:notifications_notification_changelist")
        + "?"
        + urlencode({"link__in": case_links}),
    }


@csp_replace({"frame-ancestors": [SELF]})
@xframe_options_sameorigin
def _preview_response(item: Evidence):
    return evidence_response(item, inline=True)


class CaseAdminMixin:
    """The case page, its action endpoint and the inline evidence preview."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/act/<slug:action>/",
                view(self.act_view),
                name="appeals_appeal_act",
            ),
            path(
                "<int:object_id>/presence/",
                view(self.presence_view),
                name="appeals_appeal_presence",
            ),
            path(
                "<int:object_id>/evidence/<int:evidence_id>/preview/",
                view(self.evidence_preview_view),
                name="appeals_appeal_evidence_preview",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            appeal = appeal_get_for_staff(appeal_id=int(object_id))
        except (Appeal.DoesNotExist, ValueError) as exc:
            raise Http404 from exc
        return self._render_case(request, appeal)

    def _render_case(self, request, appeal, *, bound=None, status=200):
        user = request.user
        seen = services.state_token(appeal)
        language = appeal.borrower.preferred_language or "zh-hans"
        macros_by_panel = _macros_by_panel(appeal, language)
        chosen = _chosen_macro(request, macros_by_panel)
        panels = []
        compose = request.GET.get("compose")
        for action in actions_for(user, appeal):
            if bound and bound[0] == action.name:
                form = bound[1]
            else:
                initial = {"seen": seen}
                if chosen and chosen["panel"] == action.name:
                    initial["comment"] = chosen["text"]
                    if chosen["outcome"]:
                        initial["outcome"] = chosen["outcome"]
                if action.name == "message" and compose in ("public", "internal"):
                    initial["kind"] = compose  # the composer keeps its mode after posting
                form = action.form(initial=initial, prefix=action.name)
            panels.append(
                {"action": action, "form": form, "macros": macros_by_panel.get(action.name, [])}
            )
        unsent = None
        if bound and not any(p["action"].name == bound[0] for p in panels):
            # The button is gone (the state moved on, or the role never had it): the reason
            # and the typed text are shown so nothing is lost.
            unsent = {
                "label": ACTIONS[bound[0]].label,
                "errors": bound[1].non_field_errors(),
                "text": bound[1].data.get(f"{bound[0]}-comment", ""),
            }
        reasons = sorted(appeal.decision.reasons.all(), key=lambda r: r.rank)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": appeal.reference,
            "subtitle": None,
            "appeal": appeal,
            "state": state_chip(appeal),
            "borrower": appeal.borrower,
            "contact": {
                "phone": privacy.shown_phone(appeal.borrower, user),
                "email": privacy.shown_email(appeal.borrower, user),
                "can_reveal": not privacy.sees_personal_data(user) and privacy.may_reveal(user),
            },
            "line": appeal.line,
            "decision": appeal.decision,
            "reasons": reasons,
            "features": feature_rows(appeal.decision.features),
            "links": _case_links(appeal),
            "evidence": [
                {
                    "item": e,
                    "is_image": e.content_type.startswith("image/"),
                    "preview": reverse(
                        "admin:appeals_appeal_evidence_preview", args=[appeal.pk, e.pk]
                    ),
                    "download": reverse("appeals:evidence", args=[appeal.pk, e.pk]),
                }
                for e in appeal.evidence.all()
            ],
            "thread": [
                {"message": m, "internal": m.kind == MessageKind.INTERNAL}
                for m in appeal.messages.all()
            ],
            "timeline": staff_timeline(appeal),
            "others_here": presence.here(appeal.pk, user),
            "presence": {
                "url": reverse("admin:appeals_appeal_presence", args=[appeal.pk]),
                "loaded": f"{time.time():.3f}",
                "seen": seen,
                "every": presence.poll_every(),
            },
            "panels": panels,
            "unsent": unsent,
            "borrower_language": language,
            "first_response": first_response_cell(appeal),
            "resolution": resolution_cell(appeal),
            "read_only": not panels,
            "has_view_permission": True,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/appeals/appeal/case.html", context, status=status)

    def presence_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            return presence.presence_response(request, int(object_id))
        except Appeal.DoesNotExist as exc:
            raise Http404 from exc

    def history_view(self, request, object_id, extra_context=None):
        """The case's History is its timeline (transitions, assignments, extensions,
        messages), never Django's empty "no change history" page."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return redirect(reverse("admin:appeals_appeal_change", args=[object_id]) + "#h-timeline")

    def act_view(self, request, object_id, action):
        """One button: parse its form, call the service on the appeal as the page showed it.
        A refusal (a stale page included) changes nothing and says why on the same form,
        with what the person typed kept."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        spec = ACTIONS.get(action)
        if spec is None or not self.has_view_permission(request):
            raise Http404
        case_url = reverse("admin:appeals_appeal_change", args=[object_id])
        form = spec.form(request.POST, prefix=spec.name, author=request.user)
        if not form.is_valid():
            appeal = appeal_get_for_staff(appeal_id=object_id)
            # A reply that looks like an internal remark is a question, not an error.
            status = 200 if getattr(form, "needs_confirmation", None) else 400
            return self._render_case(request, appeal, bound=(spec.name, form), status=status)
        try:
            services.appeal_act_as_seen(
                appeal_id=object_id,
                actor=request.user,
                act=partial(spec.call, data=form.cleaned_data),
                seen=form.cleaned_data["seen"] if spec.guarded else None,
            )
        except Appeal.DoesNotExist as exc:
            raise Http404 from exc
        except services.StaleAppeal:
            return self._refused(request, spec, object_id, _stale_message(object_id), 409)
        except PermissionDenied as exc:
            reason = error_text(exc) or _("Your role does not allow this.")
            return self._refused(request, spec, object_id, reason, 403)
        except ValidationError as exc:
            return self._refused(request, spec, object_id, error_text(exc), 400)
        presence.changed(int(object_id), request.user)
        messages.success(request, spec.done)
        if spec.name == "message":
            return redirect(f"{case_url}?compose={form.cleaned_data['kind']}")
        return redirect(case_url)

    def _refused(self, request, spec, object_id, reason: str, status: int):
        """The case as it is now, the refusal on the form that was sent, the text kept (the
        page token refreshed, so sending again acts on what is now shown)."""
        appeal = appeal_get_for_staff(appeal_id=object_id)
        data = request.POST.copy()
        data[f"{spec.name}-seen"] = services.state_token(appeal)
        form = spec.form(data, prefix=spec.name, author=request.user)
        form.is_valid()
        form.add_error(None, reason)
        return self._render_case(request, appeal, bound=(spec.name, form), status=status)

    def evidence_preview_view(self, request, object_id, evidence_id):
        """A supporting document shown inline in the case page: staff who may view evidence
        only; downloads go through the borrower-facing permission-checked view."""
        if not request.user.has_perm("appeals.view_evidence"):
            raise PermissionDenied
        try:
            item = Evidence.objects.get(pk=evidence_id, appeal_id=object_id)
        except Evidence.DoesNotExist as exc:
            raise Http404 from exc
        try:
            return _preview_response(item)
        except FileNotFoundError as exc:  # the row outlived its file: say "not found"
            raise Http404 from exc
