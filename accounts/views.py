from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import consent, rights
from .forms import AccountDeletionForm, ConsentForm, PasswordResetRequestForm, SignInForm
from .models import ConsentChannel, DataExport, DataExportStatus, Language, PolicyVersion
from .services import policies_accept, user_set_language
from .throttles import reset_address_throttled, reset_email_throttled, sign_in_throttled

THROTTLED_TEMPLATE = "registration/throttled.html"


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if sign_in_throttled(request):
            return render(request, THROTTLED_TEMPLATE, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        chosen = self.request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen in Language.values:
            # The language picked on the sign-in page is the newest wish: keep it.
            user_set_language(user=user, language=chosen)
        else:
            _set_language_cookie(response, user.preferred_language)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetRequestForm
    email_template_name = "registration/password_reset_email.txt"
    html_email_template_name = "registration/password_reset_email.html"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form):
        if reset_address_throttled(self.request):
            return render(self.request, THROTTLED_TEMPLATE, status=429)
        if reset_email_throttled(self.request, form.cleaned_data["email"]):
            # The same answer as a sent email: the page never tells who has an account.
            return redirect(self.get_success_url())
        return super().form_valid(form)

    @property
    def extra_email_context(self):
        # Read per request, not at import time, so the setting can differ per deployment/test.
        return {"site_url": settings.SITE_URL}


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the site's language; signed-in borrowers also get messages in it."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    if language not in Language.values or not check_for_language(language):
        return render(
            request,
            "errors/unsupported_language.html",
            {"language": language[:20], "next_url": next_url, "languages": Language.choices},
            status=400,
        )
    response = redirect(next_url)
    _set_language_cookie(response, language)
    if request.user.is_authenticated:
        user_set_language(user=request.user, language=language)
    return response


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    if request.user.is_staff:
        return redirect("admin:index")
    return redirect("credit:my-credit")


# --- Your data: a copy of it, and deleting the account ---------------------------------------


@login_required
def data_rights_page(request: HttpRequest) -> HttpResponse:
    """The borrower's data: ask for a copy, see whether it is ready, delete the account."""
    if request.method == "POST":
        rights.data_export_request(person=request.user)
        messages.success(
            request, _("We are preparing your data. This page shows when it is ready.")
        )
        return redirect("data-rights")
    exports = rights.exports_for_owner(person=request.user)
    preparing = any(e.status == DataExportStatus.PREPARING for e in exports)
    return render(
        request,
        "accounts/data_rights.html",
        {
            "exports": exports,
            "preparing": preparing,
            "ttl_hours": settings.DATA_EXPORT_TTL_HOURS,
            "retention_months": settings.PERSONAL_DATA_RETENTION_MONTHS,
        },
    )


EXPORT_FILES = {
    "json": ("json_name", "application/json", "recourse-data-{date}.json"),
    "pdf": ("pdf_name", "application/pdf", "recourse-data-{date}.pdf"),
}


@login_required
def data_export_download(request: HttpRequest, export_id, kind: str) -> HttpResponse:
    """Only the owner gets their file; another person's export answers 404, as does an
    export that is not ready or has expired."""
    if kind not in EXPORT_FILES:
        raise Http404
    try:
        export = rights.data_export_get_for_owner(person=request.user, export_id=export_id)
    except DataExport.DoesNotExist:
        raise Http404 from None
    field, content_type, filename = EXPORT_FILES[kind]
    if not export.is_ready or export.expires_at <= timezone.now():
        raise Http404
    rights.data_export_downloaded(export=export, person=request.user, kind=kind)
    stamp = timezone.localtime(export.ready_at).strftime("%Y%m%d")
    response = FileResponse(
        rights.export_storage().open(getattr(export, field), "rb"),
        as_attachment=True,
        filename=filename.format(date=stamp),
        content_type=content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def account_delete(request: HttpRequest) -> HttpResponse:
    """Confirm with the password; then say what is kept and until when, and sign out."""
    now = timezone.now()
    form = AccountDeletionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            deletion = rights.account_deletion_request(
                person=request.user, password=form.cleaned_data["password"]
            )
        except ValidationError as error:
            form.add_error(None, error.message_dict.get("password", error.messages))
        else:
            erased = deletion.erased_at is not None
            in_use = deletion.keep_until is None
            logout(request)
            return render(
                request,
                "accounts/account_deleted.html",
                {"deletion": deletion, "erased": erased, "in_use": in_use},
            )
    keep_until = rights.keep_until_for(request.user, now=now)
    return render(
        request,
        "accounts/account_delete.html",
        {
            "form": form,
            "keep_until": keep_until,
            "in_use": keep_until is None,
            "nothing_kept": keep_until is not None and keep_until <= now,
            "retention_months": settings.PERSONAL_DATA_RETENTION_MONTHS,
        },
    )


def help_page(request: HttpRequest) -> HttpResponse:
    """The help centre; the reasons on My credit link to its `why-<category>` sections."""
    return render(
        request,
        "accounts/help.html",
        {
            "appeal_window_days": settings.APPEAL_WINDOW_DAYS,
            "second_review_days": settings.APPEAL_SECOND_REVIEW_WINDOW_DAYS,
        },
    )


def _safe_next(request: HttpRequest, default: str = "/") -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or default
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return default
    return next_url


def _client_address(request: HttpRequest) -> str | None:
    # REMOTE_ADDR as the proxy in front sets it (the same address the sign-in lockout counts).
    return request.META.get("REMOTE_ADDR") or None


@login_required
def consent_page(request: HttpRequest) -> HttpResponse:
    """The versions in force the borrower has not accepted, each in full, and one agreement.

    The gate sends a borrower here before anything else; accepting records who, which
    version, when and from where (accounts.services.policies_accept) and goes on to `next`."""
    next_url = _safe_next(request)
    if request.user.is_staff:
        return redirect("admin:index")
    pending = consent.pending_versions(request.user)
    if not pending:
        return redirect(next_url)
    form = ConsentForm(request.POST or None, versions=pending)
    if request.method == "POST" and form.is_valid():
        try:
            policies_accept(
                user=request.user,
                version_ids=form.cleaned_data["versions"],
                channel=ConsentChannel.WEB,
                ip_address=_client_address(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except ValidationError:
            form.add_error(None, form.fields["versions"].error_messages["invalid_choice"])
        else:
            request.session.pop(consent.SESSION_KEY, None)
            return redirect(next_url)
    language = translation.get_language()
    documents = [
        {
            "version": version,
            "title": version.title_in(language),
            "body": version.body_in(language),
            "changes": version.changes_in(language)
            if consent.earlier_version_accepted(request.user, version)
            else "",
        }
        for version in pending
    ]
    return render(
        request,
        "accounts/consent.html",
        {"documents": documents, "form": form, "next_url": next_url, "gated": True},
        status=400 if form.is_bound else 200,
    )


@login_required
def policies_page(request: HttpRequest) -> HttpResponse:
    """Every document in force (and any published to take effect later), with when the
    borrower accepted it."""
    language = translation.get_language()
    accepted = dict(
        request.user.acceptances.values_list("policy_version_id", "accepted_at")
        if not request.user.is_staff
        else []
    )
    in_force = consent.current_versions()
    upcoming = PolicyVersion.objects.filter(
        published_at__isnull=False, effective_on__gt=timezone.localdate()
    ).order_by("effective_on")
    documents = [
        {
            "version": version,
            "title": version.title_in(language),
            "body": version.body_in(language),
            "changes": version.changes_in(language),
            "accepted_at": accepted.get(version.pk),
            "upcoming": is_upcoming,
        }
        for is_upcoming, versions in ((False, in_force), (True, upcoming))
        for version in versions
    ]
    return render(request, "accounts/policies.html", {"documents": documents})
