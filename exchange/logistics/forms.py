"""Forms of the transport pages: what a user types, checked for shape; the rules are
the services' (their ExchangeError lands on the field it is about, what was typed stays
in the form)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Service
from exchange.listings.forms import ServiceErrorsMixin
from exchange.logistics import selectors
from exchange.logistics.services import MAX_FLOOR, MIN_FLOOR, Place

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _floor(label):
    return forms.IntegerField(label=label, initial=0, min_value=MIN_FLOOR,
                              max_value=MAX_FLOOR)


class TransportForm(ServiceErrorsMixin, forms.Form):
    error_fields = {
        "quantity": "quantity", "transfer": "transfer", "wished_from": "wished_from",
        "wished_until": "wished_until", "pickup_place": "pickup_site",
        "pickup_contact": "pickup_contact", "pickup_floor": "pickup_floor",
        "delivery_place": "delivery_site", "delivery_contact": "delivery_contact",
        "delivery_floor": "delivery_floor", "close_on_delivery": "close_on_delivery",
        "recipient_service": "recipient_service",
    }

    transfer = forms.ModelChoiceField(
        label=_("Items given"), queryset=None, required=False,
        empty_label=_("— the reservation (items not given yet) —"))
    quantity = forms.IntegerField(label=_("Quantity to carry"), min_value=1)
    pickup_site = forms.ModelChoiceField(label=_("Pickup site"), queryset=None,
                                         required=False)
    pickup_address = forms.CharField(
        label=_("…or pickup address"), max_length=300, required=False,
        help_text=_("Another authority's or a partner's address."))
    pickup_contact = forms.CharField(label=_("Contact at pickup"), max_length=200,
                                     help_text=_("Name and phone number."))
    pickup_floor = _floor(_("Floor at pickup"))
    pickup_lift = forms.BooleanField(label=_("Lift at pickup"), required=False)
    delivery_site = forms.ModelChoiceField(label=_("Delivery site"), queryset=None,
                                           required=False)
    delivery_address = forms.CharField(
        label=_("…or delivery address"), max_length=300, required=False,
        help_text=_("Another authority's or a partner's address."))
    delivery_contact = forms.CharField(label=_("Contact at delivery"), max_length=200,
                                       help_text=_("Name and phone number."))
    delivery_floor = _floor(_("Floor at delivery"))
    delivery_lift = forms.BooleanField(label=_("Lift at delivery"), required=False)
    wished_from = forms.DateField(label=_("Wished from"), widget=DATE)
    wished_until = forms.DateField(label=_("Wished until"), widget=DATE)
    notes = forms.CharField(label=_("Notes for the team"), max_length=1000, required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))
    recipient_service = forms.ModelChoiceField(
        label=_("Receiving service"), queryset=None, required=False,
        help_text=_("For a reservation: the service the items go to."))
    close_on_delivery = forms.BooleanField(
        label=_("Record the transfer to this service on delivery"), required=False)

    def __init__(self, *args, listing, may_close: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["transfer"].queryset = selectors.giving_transfers(listing)
        self.fields["pickup_site"].queryset = selectors.active_sites()
        self.fields["delivery_site"].queryset = selectors.active_sites()
        self.fields["recipient_service"].queryset = Service.objects.filter(is_active=True)
        if not may_close:
            del self.fields["recipient_service"]
            del self.fields["close_on_delivery"]

    def place(self, which: str) -> Place:
        data = self.cleaned_data
        return Place(site=data[f"{which}_site"], address=data[f"{which}_address"],
                     contact=data[f"{which}_contact"], floor=data[f"{which}_floor"],
                     lift=data[f"{which}_lift"])

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"transfer": data["transfer"], "quantity": data["quantity"],
                "pickup": self.place("pickup"), "delivery": self.place("delivery"),
                "wished_from": data["wished_from"], "wished_until": data["wished_until"],
                "notes": data["notes"],
                "recipient_service": data.get("recipient_service"),
                "close_on_delivery": data.get("close_on_delivery", False)}


class RoundForm(ServiceErrorsMixin, forms.Form):
    error_fields = {"team": "team", "date": "date", "ends_at": "ends_at",
                    "transports": "transports"}

    team = forms.ModelChoiceField(label=_("Team or vehicle"), queryset=None)
    date = forms.DateField(label=_("Date"), widget=DATE)
    starts_at = forms.TimeField(label=_("From"), widget=TIME)
    ends_at = forms.TimeField(label=_("To"), widget=TIME)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    transports = forms.ModelMultipleChoiceField(
        label=_("Requests in this round"), queryset=None,
        widget=forms.CheckboxSelectMultiple, required=False)

    def __init__(self, *args, unplanned, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = selectors.active_teams()
        self.fields["transports"].queryset = unplanned
        self.fields["transports"].label_from_instance = (
            lambda t: f"{t.title} × {t.quantity} — {t.pickup_place} → "
                      f"{t.delivery_place}")


class TeamForm(ServiceErrorsMixin, forms.Form):
    error_fields = {"name": "name"}

    name = forms.CharField(label=_("Team or vehicle"), max_length=120)
    vehicle = forms.CharField(label=_("Vehicle"), max_length=120, required=False)
