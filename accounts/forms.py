from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Email or mobile number"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _(
            "That email or mobile number and password don't match our records. "
            "Check them and try again. After 5 wrong tries, sign-in is paused for 15 minutes."
        ),
        "inactive": _("This account is not active. Please contact us."),
    }


class PasswordResetRequestForm(PasswordResetForm):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class AccountDeletionForm(forms.Form):
    """Deleting the account is confirmed with the password and an explicit tick."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    understood = forms.BooleanField(
        label=_(
            "I understand that I can no longer sign in, and that records the law requires "
            "are kept as described above."
        ),
    )


class ConsentForm(forms.Form):
    """The versions the borrower was shown, and their agreement to all of them."""

    versions = forms.TypedMultipleChoiceField(coerce=int, widget=forms.MultipleHiddenInput)
    agree = forms.BooleanField(
        label=_("I have read these documents and accept them."),
        error_messages={"required": _("Tick the box to accept, or sign out.")},
    )

    def __init__(self, *args, versions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["versions"].choices = [(v.pk, str(v)) for v in versions]
        self.fields["agree"].label = ngettext(
            "I have read this document and accept it.",
            "I have read these documents and accept them.",
            len(versions),
        )
        self.fields["versions"].initial = [v.pk for v in versions]
        self.fields["versions"].error_messages["invalid_choice"] = _(
            "A document changed while you were reading. Please read the current version."
        )
