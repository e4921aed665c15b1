"""Borrower forms: they only parse; the services decide."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .evidence import ACCEPT_ATTRIBUTE
from .models import AppealGround


def _file_help():
    return _("PDF, JPEG or PNG, up to %(mb)s MB each, at most %(n)s files per appeal.") % {
        "mb": settings.APPEAL_EVIDENCE_MAX_BYTES // (1024 * 1024),
        "n": settings.APPEAL_EVIDENCE_MAX_FILES,
    }


class EvidenceInput(forms.ClearableFileInput):
    def __init__(self, attrs=None):
        super().__init__(attrs={"accept": ACCEPT_ATTRIBUTE, **(attrs or {})})

    def get_context(self, name, value, attrs):
        # The size cap, so the browser can refuse a too-big file before uploading it (the
        # server checks again, always). Read at render time, not import time.
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-max-bytes"] = settings.APPEAL_EVIDENCE_MAX_BYTES
        return context


class _FileField(forms.FileField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", EvidenceInput())
        kwargs.setdefault("label", _("Supporting documents"))
        # allow_empty_file: the service gives the clear "the file is empty" message.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(**kwargs)

    @property
    def help_text(self):  # read at render time, not import time
        return _file_help()

    @help_text.setter
    def help_text(self, value):
        pass


class AppealDraftForm(forms.Form):
    grounds = forms.MultipleChoiceField(
        label=_("Reason for appeal"),
        choices=AppealGround.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one reason for your appeal.")},
    )
    statement = forms.CharField(
        label=_("Tell us what happened"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text=_(
            "In your own words: why should the decision change? A few sentences are enough."
        ),
        error_messages={"required": _("Tell us in a few words why the decision should change.")},
    )


class AppealStartForm(AppealDraftForm):
    file = _FileField()


class EvidenceForm(forms.Form):
    file = _FileField(required=True, error_messages={"required": _("Choose a file to upload.")})


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"required": _("Write a reply before sending.")},
    )
    file = _FileField()


class SecondReviewForm(forms.Form):
    statement = forms.CharField(
        label=_("Why should a supervisor look again?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        required=False,
    )


class SurveyForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How did we do?"),
        choices=[(i, str(i)) for i in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a rating from 1 to 5.")},
    )
    comment = forms.CharField(
        label=_("Anything you want to tell us? (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )


class SupportRequestForm(forms.Form):
    subject = forms.CharField(
        label=_("What is it about?"),
        max_length=120,
        error_messages={"required": _("Give your request a short subject.")},
    )
    body = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        error_messages={"required": _("Write your message before sending.")},
    )


class SupportReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"required": _("Write a reply before sending.")},
    )
