from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.billing.models import BillingProfile


class BillingDetailsForm(forms.ModelForm):
    """What the invoices show; editable by the authority's admin and the operator."""

    siret = forms.CharField(label=_("SIRET"), max_length=20, required=False,
                            help_text=_("14 digits: the SIREN and the establishment's number."),
                            widget=forms.TextInput(attrs={"inputmode": "numeric"}))

    class Meta:
        model = BillingProfile
        fields = ["legal_name", "address_line1", "address_line2", "postal_code",
                  "city", "billing_email", "chorus_service_code", "purchase_order"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The SIRET lives on the authority (tenants.identity.save_siret checks it).
        if self.instance.authority_id and not self.is_bound:
            self.initial.setdefault("siret", self.instance.authority.siret)

    def clean_siret(self) -> str:
        return self.cleaned_data["siret"].replace(" ", "")
