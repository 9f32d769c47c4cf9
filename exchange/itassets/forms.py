"""Forms of the IT register's pages. They check types; uniqueness is the services'
(exchange.itassets.services), whose errors land on the field they name."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Service, Site, User
from exchange.itassets.models import AssetKind, AssetState, Life
from exchange.itassets.services import ASSET_FIELDS
from exchange.listings.forms import DATE_INPUT, ServiceErrorsMixin


class AssetForm(ServiceErrorsMixin, forms.Form):
    error_fields = {"serial_number": "serial_number", "inventory_number": "inventory_number"}

    kind = forms.ChoiceField(label=_("Type"), choices=AssetKind.choices)
    make = forms.CharField(label=_("Make"), max_length=100, required=False)
    model = forms.CharField(label=_("Model"), max_length=150, required=False)
    serial_number = forms.CharField(label=_("Serial number"), max_length=100)
    inventory_number = forms.CharField(label=_("Inventory number"), max_length=100,
                                       required=False)
    purchase_date = forms.DateField(label=_("Purchase date"), required=False,
                                    widget=DATE_INPUT)
    life = forms.TypedChoiceField(label=_("Current life"), choices=Life.choices, coerce=int,
                                  initial=Life.FIRST)
    state = forms.ChoiceField(label=_("State"), choices=AssetState.choices,
                              initial=AssetState.IN_USE)
    holder_service = forms.ModelChoiceField(label=_("Service"), required=False,
                                            queryset=Service.objects.filter(is_active=True))
    holder_site = forms.ModelChoiceField(label=_("School or site"), required=False,
                                         queryset=Site.objects.filter(is_active=True))
    holder_user = forms.ModelChoiceField(
        label=_("Person"), required=False,
        queryset=User.objects.filter(is_active=True).order_by("last_name", "first_name"))
    notes = forms.CharField(label=_("Notes"), required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))

    def asset_data(self) -> dict:
        return {field: self.cleaned_data[field] for field in ASSET_FIELDS}


class FilterForm(forms.Form):
    """The list's filters; a bad value is ignored (the list is then unfiltered on it)."""

    q = forms.CharField(label=_("Search"), required=False)
    kind = forms.ChoiceField(label=_("Type"), required=False,
                             choices=[("", _("All"))] + list(AssetKind.choices))
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All"))] + list(AssetState.choices))
    life = forms.TypedChoiceField(label=_("Life"), required=False, coerce=int, empty_value=None,
                                  choices=[("", _("All"))] + list(Life.choices))
    service = forms.ModelChoiceField(label=_("Service"), required=False,
                                     queryset=Service.objects.all())
    site = forms.ModelChoiceField(label=_("School or site"), required=False,
                                  queryset=Site.objects.all())

    def filters(self) -> dict:
        # An invalid field is left out of cleaned_data: the other filters still apply.
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"query": data.get("q") or "", "kind": data.get("kind") or "",
                "state": data.get("state") or "", "life": data.get("life"),
                "service_id": data["service"].pk if data.get("service") else None,
                "site_id": data["site"].pk if data.get("site") else None}
