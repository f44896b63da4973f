"""The bell in the top bar: how many of the signed-in person's notifications are unread."""

from django.utils.functional import SimpleLazyObject

from escalation.selectors import notification_unread_count


def notifications(request) -> dict:
    """``unread_notifications``: at most one query (``Notification.objects.restrict(user)
    .unread().count()``, none when the count is cached), run only when a template shows it
    (the layouts' top bar): htmx partials rendered with the request pay nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: notification_unread_count(user=user))}
