from .selectors import unread_count


def unread_notifications(request) -> dict:
    """`unread_notifications` for the header badge: one indexed COUNT, borrowers only."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_staff:
        return {}
    return {"unread_notifications": unread_count(user=user)}
