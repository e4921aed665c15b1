from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.views.decorators.http import require_POST

from .forms import PasswordResetRequestForm, SignInForm
from .models import Language
from .services import user_set_language
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


def help_page(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/help.html")
