from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import get_language

from . import panels
from .overview import my_credit_for_borrower


@login_required
def my_credit(request):
    page = my_credit_for_borrower(user=request.user, language=get_language())
    overview = page.overview if page else None
    return render(
        request,
        "credit/my_credit.html",
        {
            "overview": overview,
            "history": page.history if page else {},
            "panels": panels.panels_for(user=request.user, overview=overview),
        },
    )
