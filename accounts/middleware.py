import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from . import consent
from .localtime import user_zone


class BorrowerTimezoneMiddleware:
    """Show dates and times in the signed-in person's own time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.time_zone:
            timezone.activate(user_zone(user))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


LAST_SEEN_KEY = "accounts.last_seen"


def start_idle_clock(sender, request, user, **kwargs) -> None:
    """user_logged_in: the idle clock starts at sign-in (no session write on the first page)."""
    if user.is_staff and hasattr(request, "session"):
        request.session[LAST_SEEN_KEY] = int(time.time())


class StaffIdleTimeoutMiddleware:
    """Sign staff out after STAFF_IDLE_TIMEOUT_MINUTES without a request.

    A desk left open on a shared screen must not stay signed in for the session's two weeks.
    The last request's time is kept in the session, rewritten at most once a minute.
    Borrowers keep the ordinary session age.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY)
            idle = settings.STAFF_IDLE_TIMEOUT_MINUTES * 60
            if last_seen is not None and now - last_seen > idle:
                logout(request)
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
            if last_seen is None or now - last_seen >= 60:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class ConsentGateMiddleware:
    """A signed-in borrower who has not accepted the version in force of each policy document
    sees the consent page before anything else.

    Pages a borrower needs on the way (the consent page itself, signing out, the language,
    Help, a support request to reach a person) are listed in CONSENT_GATE_EXEMPT_PATHS; the
    API answers through its own `PoliciesAccepted` permission (a bearer token has no session
    here), so `/api/` is exempt from this page-level gate.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_staff
            and not request.path.startswith(tuple(settings.CONSENT_GATE_EXEMPT_PATHS))
            and consent.must_accept(user, request.session)
        ):
            target = reverse("consent")
            if request.method in ("GET", "HEAD"):
                target = f"{target}?{urlencode({'next': request.get_full_path()})}"
            return redirect(target)
        return self.get_response(request)
