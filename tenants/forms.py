"""Forms of the operator console."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AuthorityStatus


class TOTPCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code"), max_length=8, min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": True}),
        help_text=_("The code shown by your authenticator app."),
    )


class ConsoleSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        help_text=_("Name, address or SIREN"))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), *AuthorityStatus.choices])


class StatusChangeForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Sent to the authority's administrators."))

    def __init__(self, *args, allowed: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(AuthorityStatus.choices)
        self.fields["status"].choices = [(value, labels[value]) for value in allowed]
