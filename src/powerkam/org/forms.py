"""Login and account-security forms."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import two_factor


class LoginForm(AuthenticationForm):
    """Username and password, then — for an account with two-step login on — the current code of
    its authenticator app (org.two_factor). The password is checked first (django-axes counts
    its failures); a wrong code is refused and written to the security log, and the device
    throttles repeated wrong codes."""

    otp_token = forms.CharField(label=_("Verification code"), required=False, max_length=12,
                                widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is not None:
            try:
                self.otp_device = two_factor.verify_login(user, cleaned.get("otp_token", ""))
            except ValidationError as exc:
                self.user_cache = None
                raise ValidationError(exc.messages[0], code=exc.code) from None
        return cleaned


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Code from the app"), max_length=12,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))
