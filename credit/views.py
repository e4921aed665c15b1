from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import get_language

from . import panels
from .overview import credit_overview_for_borrower


@login_required
def my_credit(request):
    overview = credit_overview_for_borrower(user=request.user, language=get_language())
    return render(
        request,
        "credit/my_credit.html",
        {"overview": overview, "panels": panels.panels_for(user=request.user, overview=overview)},
    )
