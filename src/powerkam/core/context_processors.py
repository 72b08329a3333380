from django.conf import settings


def shell(request):
    """Navigation shell data: the modules, current and to come."""
    return {"APP_NAME": settings.APP_NAME, "LANGUAGES": settings.LANGUAGES}
