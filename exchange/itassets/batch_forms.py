"""Forms of a retirement batch's page. One HTML form holds the items' checkboxes and
every action (erase, recondition, each exit): each action reads its own prefixed
fields, so what is typed for one never disturbs another. Rules are the services'
(exchange.itassets.batches); their errors land on the field they name."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Service, Site, User
from exchange.itassets.batch_selectors import retirable_assets
from exchange.itassets.models import (
    BatchItem,
    ErasureMethod,
    ErasureResult,
    RecyclerKind,
    RetirementBatch,
)
from exchange.listings.forms import DATE_INPUT, ServiceErrorsMixin
from exchange.listings.models import Category, CategoryKind, Condition
from exchange.listings.recipients import RecipientKind, recipient_choices
from tenants.selectors import current_authority

MONEY = forms.NumberInput(attrs={"min": 0, "step": "0.01"})


class AddAssetsForm(forms.Form):
    """Assets to retire: ticked in the list of those in no batch, or typed serials."""

    serials = forms.CharField(label=_("Serial numbers"), required=False,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("One per line, or separated by commas or spaces."))
    assets = forms.ModelMultipleChoiceField(label=_("Assets"), required=False,
                                            queryset=retirable_assets(),
                                            widget=forms.CheckboxSelectMultiple)


class ItemsForm(ServiceErrorsMixin, forms.Form):
    """The items an action applies to: the batch's items still in it."""

    error_fields = {"items": "items"}
    items = forms.ModelMultipleChoiceField(label=_("Items"), queryset=BatchItem.objects.none(),
                                           widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, batch: RetirementBatch, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = batch.items.filter(exited_on__isnull=True)

    def add_prefix(self, field_name: str) -> str:
        # One set of checkboxes (name="items") serves every action of the page.
        return field_name if field_name == "items" else super().add_prefix(field_name)


class ErasureForm(ItemsForm):
    error_fields = {"items": "items", "erasure": "items", "method": "method",
                    "operator_name": "operator_name", "erased_on": "erased_on"}
    method = forms.ChoiceField(label=_("Erasure method"), choices=ErasureMethod.choices)
    tool = forms.CharField(label=_("Tool"), max_length=150, required=False)
    operator_name = forms.CharField(label=_("Operator"), max_length=150)
    erased_on = forms.DateField(label=_("Erasure date"), widget=DATE_INPUT)
    result = forms.ChoiceField(label=_("Result"), choices=ErasureResult.choices)


class ReconditioningForm(ItemsForm):
    error_fields = {"items": "items", "erasure": "items",
                    "reconditioned_on": "reconditioned_on"}
    reconditioned_on = forms.DateField(label=_("Reconditioned on"), widget=DATE_INPUT)
    parts = forms.CharField(label=_("Parts replaced or added"), required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))
    operating_system = forms.CharField(label=_("Free operating system installed"),
                                       max_length=100, required=False)
    licence_removed = forms.BooleanField(label=_("Licence removed"), required=False)


class SecondLifeForm(ItemsForm):
    error_fields = {"items": "items", "erasure": "items", "life": "items", "holder": "site",
                    "exited_on": "exited_on"}
    service = forms.ModelChoiceField(label=_("Service"), required=False,
                                     queryset=Service.objects.filter(is_active=True))
    site = forms.ModelChoiceField(label=_("School or site"), required=False,
                                  queryset=Site.objects.filter(is_active=True))
    user = forms.ModelChoiceField(
        label=_("Person"), required=False,
        queryset=User.objects.filter(is_active=True).order_by("last_name", "first_name"))
    exited_on = forms.DateField(label=_("Exit date"), required=False, widget=DATE_INPUT)


class ListingExitForm(ItemsForm):
    error_fields = {"items": "items", "erasure": "items", "unit_value": "unit_value",
                    "site": "site", "category_hidden": "category",
                    "category_disabled": "category", "service": "service"}
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(parent__isnull=False, kind=CategoryKind.IT))
    condition = forms.ChoiceField(label=_("Condition"), choices=Condition.choices,
                                  initial=Condition.GOOD)
    unit_value = forms.DecimalField(label=_("Value per item (€)"), max_digits=10,
                                    decimal_places=2, min_value=0, widget=MONEY)
    service = forms.ModelChoiceField(label=_("Giving service"), required=False,
                                     queryset=Service.objects.filter(is_active=True))
    site = forms.ModelChoiceField(label=_("Pickup site"),
                                  queryset=Site.objects.filter(is_active=True))


class DonationForm(ItemsForm):
    error_fields = {"items": "items", "erasure": "items", "recipient": "partner",
                    "cap": "unit_value", "unit_value": "unit_value", "exited_on": "exited_on"}
    partner = forms.TypedChoiceField(label=_("Partner (under its agreement)"), coerce=int)
    unit_value = forms.DecimalField(label=_("Value per item (€)"), max_digits=10,
                                    decimal_places=2, min_value=0, widget=MONEY)
    exited_on = forms.DateField(label=_("Exit date"), required=False, widget=DATE_INPUT)
    confirm_above_cap = forms.BooleanField(
        label=_("I confirm a value above the legal cap (moderators)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        authority = current_authority()
        partners = recipient_choices(RecipientKind.PARTNER, authority) if authority else ()
        self.fields["partner"].choices = [("", "—")] + [
            (partner.pk, f"{partner.legal_name} ({partner.get_kind_display()})")
            for partner in partners]


class RecyclingForm(ItemsForm):
    error_fields = {"items": "items", "erasure": "items", "recycler_name": "recycler_name",
                    "recycler_kind": "recycler_kind", "weight": "weighed_total_kg",
                    "exited_on": "exited_on"}
    recycler_name = forms.CharField(label=_("Recycler"), max_length=200)
    recycler_kind = forms.ChoiceField(label=_("Recycler kind"), choices=RecyclerKind.choices)
    weighed_total_kg = forms.DecimalField(
        label=_("Weighed total (kg)"), required=False, max_digits=9, decimal_places=3,
        min_value=0, help_text=_("Leave empty to estimate from the reference weights."))
    exited_on = forms.DateField(label=_("Exit date"), required=False, widget=DATE_INPUT)


# The batch page's actions: (name, form, label of its button).
ACTIONS = {
    "erase": ErasureForm,
    "recondition": ReconditioningForm,
    "second_life": SecondLifeForm,
    "listing": ListingExitForm,
    "donation": DonationForm,
    "recycling": RecyclingForm,
}
