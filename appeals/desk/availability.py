"""Agents mark themselves away and back from the queue (supervisors still set others in
Appeals → Agent availability). The service checks who may; here only the form and the
redirect."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .. import services
from ..models import AgentAvailability


def my_availability(request) -> dict | None:
    """Whether the person is away, for the queue's toggle (None: their role works no appeals)."""
    user = request.user
    if not user.has_perm("appeals.work_appeal"):
        return None
    row = AgentAvailability.objects.filter(agent=user).first()
    return {
        "away": bool(row and row.away),
        "url": reverse("admin:appeals_agentavailability_me"),
    }


class SelfAvailabilityMixin:
    def get_urls(self):
        return [
            path(
                "me/", self.admin_site.admin_view(self.me_view), name="appeals_agentavailability_me"
            ),
            *super().get_urls(),
        ]

    def me_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("appeals.work_appeal"):
            raise PermissionDenied
        away = request.POST.get("away") == "1"
        services.agent_set_away(agent=request.user, away=away, actor=request.user)
        messages.success(
            request,
            _("You are marked away: no new appeals are given to you.")
            if away
            else _("You are available: new appeals can be given to you."),
        )
        target = request.POST.get("next") or reverse("admin:appeals_appeal_changelist")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("admin:appeals_appeal_changelist")
        return redirect(target)
