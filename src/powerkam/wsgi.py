import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "powerkam.settings")
application = get_wsgi_application()

if os.environ.get("POWERKAM_WARMUP", "1") != "0":
    # Each server process imports its views, translations and templates now, not during its
    # first requests (core/warmup.py).
    from powerkam.core.warmup import warm_up

    warm_up()
