from django.conf import settings


def shell(request):
    """Navigation shell data: the modules, current and to come."""
    from django.utils.functional import SimpleLazyObject

    from .workqueue import queue_counts

    user = getattr(request, "user", None)
    # Lazy: the one COUNT query runs only when a page's navigation actually shows the badge.
    counts = SimpleLazyObject(lambda: queue_counts(user))
    return {"APP_NAME": settings.APP_NAME, "LANGUAGES": settings.LANGUAGES, "queue_counts": counts,
            "calendar_warning": SimpleLazyObject(lambda: _calendar_warning(user))}


def _calendar_warning(user) -> dict:
    """{"year": Y} when an administrator must enter year Y's holidays (core.holidays), else {}."""
    from django.utils import timezone

    from .holidays import calendar_warning, is_calendar_admin

    if not is_calendar_admin(user):
        return {}
    year = calendar_warning(timezone.localdate())
    return {"year": year} if year else {}
