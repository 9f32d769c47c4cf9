"""Forms of the loans' pages. They check types; the rules (dates, stock, who may) are
the services' (exchange.loans.services), whose errors land on the field they name."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Site
from exchange.listings.forms import DATE_INPUT, MultipleImageField, ServiceErrorsMixin
from exchange.loans.models import Borrowers

PHOTO_HELP = _("Up to 8 JPEG, PNG or WebP photos, 10 MB each at most.")


class ItemForm(ServiceErrorsMixin, forms.Form):
    error_fields = {"title": "title", "quantity": "quantity", "borrowers": "borrowers",
                    "unit_value": "unit_value", "not_image": "photos", "too_large": "photos",
                    "too_many_photos": "photos"}

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    quantity = forms.IntegerField(label=_("Quantity in stock"), min_value=1)
    site = forms.ModelChoiceField(label=_("Where it is kept"), required=False,
                                  queryset=Site.objects.filter(is_active=True))
    conditions = forms.CharField(label=_("Conditions of the loan"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text=_("E.g. pickup with a van, cleaning, deposit."))
    unit_value = forms.DecimalField(
        label=_("Value of one unit (€)"), required=False, min_value=0, max_digits=10,
        decimal_places=2,
        help_text=_("What buying one would cost: the statistics count purchases avoided."))
    borrowers = forms.ChoiceField(label=_("Who may borrow"), choices=Borrowers.choices,
                                  widget=forms.RadioSelect, initial=Borrowers.AUTHORITY)
    photos = MultipleImageField(label=_("Photos"), required=False, help_text=PHOTO_HELP)

    def item_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "photos"}


class BookingForm(ServiceErrorsMixin, forms.Form):
    error_fields = {"start": "start", "end": "end", "quantity": "quantity",
                    "overbooked": "quantity", "inactive": None}

    start = forms.DateField(label=_("From"), widget=DATE_INPUT)
    end = forms.DateField(label=_("Until (included)"), widget=DATE_INPUT)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    purpose = forms.CharField(label=_("What for (optional)"), max_length=300, required=False)


class DecisionForm(ServiceErrorsMixin, forms.Form):
    error_fields = {"message": "message"}

    message = forms.CharField(label=_("Message to the agent"), required=False,
                              max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class PickupForm(ServiceErrorsMixin, forms.Form):
    error_fields = {"not_image": "photos", "too_large": "photos", "photos": "photos"}

    condition = forms.CharField(label=_("Condition of the items"), required=False,
                                max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    photos = MultipleImageField(label=_("Photos (optional)"), required=False,
                                help_text=PHOTO_HELP)


class ReturnForm(PickupForm):
    error_fields = {**PickupForm.error_fields, "damaged": "damaged",
                    "damage_note": "damage_note"}

    damaged = forms.IntegerField(label=_("Units damaged"), min_value=0, initial=0)
    damage_note = forms.CharField(label=_("Damage"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 2}))


class DamageForm(ServiceErrorsMixin, forms.Form):
    error_fields = {"damaged": "quantity", "damage_note": "note"}

    quantity = forms.IntegerField(label=_("Units damaged"), min_value=1, initial=1)
    note = forms.CharField(label=_("Damage"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))
