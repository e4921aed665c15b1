from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def my_credit(request):
    return render(request, "credit/my_credit.html")
