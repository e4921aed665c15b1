from django.utils import timezone

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
