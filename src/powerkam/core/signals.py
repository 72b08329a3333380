"""Security log: every login success and failure is written to the powerkam.security logger
(django-axes also stores them in its AccessLog / AccessFailureLog tables)."""

import logging

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

log = logging.getLogger("powerkam.security")


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    log.info("login ok user=%s ip=%s", user.get_username(), request.META.get("REMOTE_ADDR") if request else "")


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    log.warning("login failed user=%s ip=%s", credentials.get("username"), request.META.get("REMOTE_ADDR") if request else "")
