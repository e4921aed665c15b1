from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .forms import PreferencesForm
from .models import Notification
from .reading import in_language
from .selectors import (
    inbox_for_user,
    inbox_get_for_user,
    legal_categories,
    legal_notice_labels,
    preference_choices,
    unread_count_forget,
)
from .services import inbox_mark_all_read, notification_mark_read, preferences_update

PAGE_SIZE = 20


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(inbox_for_user(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = in_language(page.object_list, language=get_language(), user=request.user)
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Opening a message marks it read (like any mail client); it is the reader's own row."""
    try:
        message = inbox_get_for_user(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    notification_mark_read(notification=message)
    unread_count_forget(request.user)  # the badge on this page counts it read
    message = in_language([message], language=get_language(), user=request.user)[0]
    return render(request, "notifications/message_detail.html", {"message": message})


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    inbox_mark_all_read(user=request.user)
    messages.success(request, _("All messages are marked as read."))
    return redirect("notifications:inbox")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    choices = preference_choices(user=request.user)
    form = PreferencesForm(request.POST or None, choices=choices)
    if request.method == "POST" and form.is_valid():
        preferences_update(user=request.user, choices=form.chosen())
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "legal_categories": legal_categories(),
            "legal_notices": legal_notice_labels(),
        },
    )
