"""Forms of the operator console."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from tenants.models import AuthorityKind, AuthorityStatus
from tenants.validators import validate_departement


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


class AuthorityCreateForm(forms.Form):
    """Onboarding: what tenants.services.provision_authority() needs."""

    name = forms.CharField(label=_("Official name"), max_length=200,
                           help_text=_("As in the SIRENE register, e.g. “Commune de Naintré”."))
    kind = forms.ChoiceField(label=_("Kind"), choices=AuthorityKind.choices,
                             initial=AuthorityKind.COMMUNE)
    siren = forms.CharField(label=_("SIREN"), max_length=20, help_text=_("9 digits."),
                            widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    slug = forms.CharField(label=_("Address"), max_length=40)
    admin_email = forms.EmailField(label=_("First administrator's e-mail"),
                                   help_text=_("An invitation to choose a password is sent "
                                               "to this address."))
    email_domains = forms.CharField(
        label=_("Allowed e-mail domains"), required=False, max_length=500,
        help_text=_("Comma-separated. Empty: the domain of the administrator's e-mail."))
    # Optional: statistics group by département, billing plans follow the population.
    departement = forms.CharField(label=_("Département"), required=False, max_length=3,
                                  help_text=_("INSEE code: 01 to 95, 2A, 2B, 971 to 976."))
    population = forms.IntegerField(label=_("Population"), required=False, min_value=0,
                                    help_text=_("Sets the billing plan."))

    # provision_authority()'s error keys → this form's fields.
    SERVICE_FIELDS = {"name": "name", "kind": "kind", "siren": "siren", "slug": "slug",
                      "schema_name": "slug", "admin_email": "admin_email",
                      "allowed_email_domains": "email_domains",
                      "departement": "departement", "population": "population"}

    def __init__(self, *args, base_domain: str, **kwargs):
        super().__init__(*args, **kwargs)
        typed = (self.data.get("slug") or "").strip() if self.is_bound else ""
        self.fields["slug"].help_text = format_lazy(
            _("Lowercase letters, digits and hyphens. The authority's address will be "
              "{address}"), address=f"{typed or '<slug>'}.{base_domain}")
        self.fields["slug"].widget.attrs.update({"autocapitalize": "none",
                                                 "spellcheck": "false"})

    def clean_slug(self) -> str:
        return self.cleaned_data["slug"].strip()

    def clean_departement(self) -> str:
        value = self.cleaned_data["departement"].strip().upper()
        if value:
            validate_departement(value)
        return value

    def clean_siren(self) -> str:
        return self.cleaned_data["siren"].replace(" ", "")

    def clean(self):
        cleaned = super().clean()
        raw = cleaned.get("email_domains") or ""
        domains = [d.strip().lower() for d in raw.split(",") if d.strip()]
        if not domains and cleaned.get("admin_email"):
            domains = [cleaned["admin_email"].rsplit("@", 1)[1].lower()]
        cleaned["email_domain_list"] = domains
        return cleaned

    def add_service_errors(self, error: ValidationError) -> None:
        """Show the service's ValidationError on the fields it concerns."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        by_field = dict(error.error_dict)
        if "slug" in by_field:  # the schema name derives from the slug: say it once
            by_field.pop("schema_name", None)
        for key, errors in by_field.items():
            self.add_error(self.SERVICE_FIELDS.get(key), ValidationError(errors))


class SignInSettingsForm(forms.Form):
    """ProConnect settings of one authority (operator console)."""

    organisations = forms.CharField(
        label=_("Establishments and communes (SIREN or SIRET)"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Their agents sign in here with ProConnect, besides the authority's "
                    "own SIREN. One per line or separated by commas."))
    sso_only = forms.BooleanField(
        label=_("ProConnect only: agents cannot sign in with a password"), required=False,
        help_text=_("Administrators keep their password. Sign-up is closed."))

    def clean_organisations(self) -> list[str]:
        entries = [e for e in re.split(r"[\s,;]+", self.cleaned_data["organisations"]) if e]
        wrong = [e for e in entries if not re.fullmatch(r"\d{9}|\d{14}", e)]
        if wrong:
            raise forms.ValidationError(
                _("A SIREN has 9 digits, a SIRET 14: %(wrong)s.") % {"wrong": ", ".join(wrong)},
                code="invalid")
        return list(dict.fromkeys(entries))
