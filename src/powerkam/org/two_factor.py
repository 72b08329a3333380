"""Optional two-step login (DESIGN.md "login safety": optional TOTP through django-otp).

A staff member turns it on from the account security page: a new TOTP device (RFC 6238: 6 digits,
30-second step, as every authenticator app expects) is shown as a QR code and as its secret key,
and becomes active only once the person has typed a code the app generated — so nobody locks
themselves out with a half-scanned code. From then on the login form asks for the current code
after the password. Turning it off needs a current code too. An administrator can remove a lost
phone's device in the admin (OTP → TOTP devices). Every change is written to the security log.
"""

import logging

import segno
from django.core.exceptions import ValidationError
from django.db import transaction
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
