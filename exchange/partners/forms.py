"""Forms of the partner pages (authority admin, operator console). They check shapes;
exchange.partners.services holds the rules."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exchange.partners.models import Partner, PartnerKind, Scope


class _Form(forms.Form):
    """Several of these forms share one page: each has its own element ids."""

    id_prefix = "id"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class PartnerForm(_Form):
    id_prefix = "partner"
    legal_name = forms.CharField(label=_("Legal name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=PartnerKind.choices)
    siret = forms.CharField(label=_("SIRET"), max_length=17,
                            help_text=_("14 digits, spaces allowed."))
    contact_name = forms.CharField(label=_("Contact name"), max_length=200)
    contact_email = forms.EmailField(label=_("Contact e-mail"))
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=30, required=False)
    departements = forms.CharField(label=_("Départements served"), max_length=200,
                                   required=False, help_text=_("INSEE codes separated by "
                                                               "commas, e.g. 86, 79."))

    def clean_siret(self) -> str:
        return self.cleaned_data["siret"].replace(" ", "")

    def clean_departements(self) -> list[str]:
        return [code.strip() for code in self.cleaned_data["departements"].split(",")
                if code.strip()]


class GrantForm(_Form):
    id_prefix = "grant"
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=Partner.objects.all())
    scopes = forms.MultipleChoiceField(label=_("Access"), choices=Scope.choices,
                                       widget=forms.CheckboxSelectMultiple)
    agreement = forms.FileField(label=_("Donation agreement (PDF)"), required=False,
                                help_text=_("PDF, 10 MB at most."))
    agreement_reference = forms.CharField(label=_("Agreement reference"), max_length=100,
                                          required=False)
    valid_from = forms.DateField(label=_("Valid from"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(label=_("Valid until"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))


class KeyForm(_Form):
    id_prefix = "key"
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=Partner.objects.none())
    name = forms.CharField(label=_("Key name"), max_length=100,
                           help_text=_("What uses it, e.g. “stock software”."))
    expires_on = forms.DateField(label=_("Expires on"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text=_("Empty: never (two years at most otherwise)."))

    def __init__(self, *args, partners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = (partners if partners is not None
                                           else Partner.objects.all())

    def expires_at(self):
        """The end of the chosen day, or None (never)."""
        day = self.cleaned_data["expires_on"]
        return timezone.make_aware(datetime.combine(day, time.max)) if day else None


class WebhookForm(_Form):
    id_prefix = "webhook"
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=Partner.objects.all())
    url = forms.URLField(label=_("Webhook URL"), max_length=500, assume_scheme="https")
