"""Optional two-step login (DESIGN.md "login safety": optional TOTP through django-otp).

A staff member turns it on from the account security page: a new TOTP device (RFC 6238: 6 digits,
30-second step, as every authenticator app expects) is shown as a QR code and as its secret key,
and becomes active only once the person has typed a code the app generated — so nobody locks
themselves out with a half-scanned code. From then on the login form asks for the current code
after the password. Turning it off needs a current code too. An administrator can remove a lost
phone's device in the admin (OTP → TOTP devices). Every change is written to the security log.

It cannot be skipped (issue #9 item 1): every way in asks for the code — the login page, the
admin login (routed to the login page), the API token endpoint (`otp_code`) — and a session that
did not give it (e.g. logged in before two-step login was turned on) is refused by
TwoStepMiddleware and the API's authentication classes, both through `access_problem`. Turning
it on revokes the account's API tokens. Administrators require it for roles through
TwoStepRule rows (with a grace period).
"""

import logging
from datetime import datetime, timedelta

import segno
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

log = logging.getLogger("powerkam.security")
DEVICE_NAME = "authenticator"


def active_device(user) -> TOTPDevice | None:
    """The user's confirmed TOTP device (two-step login is on), or None."""
    if user is None or not getattr(user, "pk", None):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


@transaction.atomic
def start_enrollment(user) -> TOTPDevice:
    """A fresh, unconfirmed device (any earlier unconfirmed one is discarded)."""
    if active_device(user) is not None:
        raise ValidationError(_("Two-step login is already on for this account."))
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def _check(device: TOTPDevice, code: str) -> None:
    code = (code or "").strip().replace(" ", "")
    if not code.isdigit() or len(code) != device.digits:
        raise ValidationError({"code": _("Enter the %(n)s-digit code shown in your authenticator app.") % {
            "n": device.digits}})
    allowed, extra = device.verify_is_allowed()
    if not allowed:
        raise ValidationError({"code": _("Too many wrong codes. Wait a minute and try again.")})
    if not device.verify_token(code):
        raise ValidationError({"code": _("The code is wrong or has expired. Check the time on your phone and "
                                         "enter the code shown now.")})


@transaction.atomic
def confirm_enrollment(user, code: str) -> TOTPDevice:
    device = pending_device(user)
    if device is None:
        raise ValidationError(_("Start again: no authenticator is waiting to be confirmed."))
    _check(device, code)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    log.info("two-step login on user=%s", user.get_username())
    return device


@transaction.atomic
def disable(user, code: str) -> None:
    device = active_device(user)
    if device is None:
        raise ValidationError(_("Two-step login is not on for this account."))
    _check(device, code)
    TOTPDevice.objects.filter(user=user).delete()
    log.info("two-step login off user=%s", user.get_username())


def verify_login(user, code: str) -> TOTPDevice | None:
    """For the login form: None when the user has no device; the device when `code` is right;
    ValidationError (message for the form) otherwise."""
    device = active_device(user)
    if device is None:
        return None
    if not (code or "").strip():
        raise ValidationError(_("This account uses two-step login: enter the 6-digit code from your "
                                "authenticator app."), code="otp_required")
    try:
        _check(device, code)
    except ValidationError as exc:
        log.warning("login failed (two-step code) user=%s", user.get_username())
        raise ValidationError(exc.message_dict["code"][0], code="otp_invalid") from None
    return device


def secret_base32(device: TOTPDevice) -> str:
    """The device's key as the base32 text an app accepts when typed in, in groups of four."""
    import base64

    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// provisioning URI as an inline SVG QR code (rendered here; nothing leaves
    the machine)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#212529")


# --- it cannot be skipped: state kept on the staff row, one check for every way in ---------------

UNVERIFIED = "unverified"  # the account has two-step login on, this session never gave a code
ENROLL = "enroll"          # a rule requires two-step login and its grace period is over


def sync_device_state(user_id: int) -> None:
    """Keep Staff.two_step_on in step with the confirmed devices (called on every device save and
    delete, also from the admin). Turning it on revokes the account's API tokens: they were
    obtained with the password alone."""
    from rest_framework.authtoken.models import Token

    from .models import Staff

    on = TOTPDevice.objects.filter(user_id=user_id, confirmed=True).exists()
    if Staff.objects.filter(pk=user_id, two_step_on=not on).update(two_step_on=on) and on:
        revoked, _detail = Token.objects.filter(user_id=user_id).delete()
        if revoked:
            log.info("two-step login on: API token revoked user_id=%s", user_id)


def deadline(staff, rules) -> datetime | None:
    """When `staff` must have two-step login on under `rules` (TwoStepRule rows), or None."""
    dues = [max(rule.since, staff.date_joined or rule.since) + timedelta(days=rule.grace_days)
            for rule in rules if rule.covers(staff)]
    return min(dues) if dues else None


def refresh_deadlines() -> int:
    """Recompute Staff.two_step_due for everyone after a rule changed. Returns how many changed."""
    from .models import Staff, TwoStepRule

    rules = list(TwoStepRule.objects.all())
    changed = []
    for staff in Staff.objects.only("pk", "role", "is_superuser", "date_joined", "two_step_due"):
        due = deadline(staff, rules)
        if due != staff.two_step_due:
            staff.two_step_due = due
            changed.append(staff)
    Staff.objects.bulk_update(changed, ["two_step_due"], batch_size=500)
    return len(changed)


def access_problem(user, *, verified: bool, now: datetime | None = None) -> str | None:
    """Why this authenticated user may not use the application now (UNVERIFIED, ENROLL), or None.
    Reads only the user row."""
    if getattr(user, "two_step_on", False):
        return None if verified else UNVERIFIED
    due = getattr(user, "two_step_due", None)
    if due is not None and due <= (now or timezone.now()):
        return ENROLL
    return None


def problem_message(problem: str, user) -> str:
    if problem == UNVERIFIED:
        return _("This account uses two-step login: log in again with the code from your authenticator app.")
    return _("Two-step login is required for your account since %(date)s. Turn it on under Account security "
             "(/org/security/) to continue.") % {"date": date_format(timezone.localtime(user.two_step_due),
                                                                    "SHORT_DATE_FORMAT")}


def reminder_due(user, now: datetime | None = None) -> datetime | None:
    """The deadline to remind `user` of on every page (grace period running), or None."""
    if getattr(user, "two_step_on", True) or getattr(user, "two_step_due", None) is None:
        return None
    return user.two_step_due if user.two_step_due > (now or timezone.now()) else None
