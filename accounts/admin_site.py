from functools import wraps

from django.shortcuts import render


def borrower_aware_admin_login(admin_login):
    """A signed-in borrower who opens /admin/ is told plainly that it is for staff only.

    Django's own admin would show a staff login form asking them to sign in again,
    which reads like a bug to a borrower.
    """

    @wraps(admin_login)
    def login(request, extra_context=None):
        user = request.user
        if user.is_authenticated and not user.is_staff:
            return render(request, "errors/staff_only.html", status=403)
        return admin_login(request, extra_context)

    return login
