"""Forms of the sharing pages (authority admins, moderators) and of the shared feed."""

from django import forms
from django.utils.translation import gettext_lazy as _

from exchange.listings.forms import FeedFilterForm, ServiceErrorsMixin
from tenants.models import Authority


class AuthorityChoiceForm(ServiceErrorsMixin, forms.Form):
    error_fields = {"other": "authority", "exists": "authority"}

    authority = forms.ModelChoiceField(label=_("Authority"), queryset=Authority.objects.none(),
                                       empty_label="—")

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if choices is not None:
            self.fields["authority"].queryset = choices


class NetworkForm(ServiceErrorsMixin, forms.Form):
    error_fields = {"name": "name"}

    name = forms.CharField(label=_("Network name"), max_length=200)


class ReceiptDeclineForm(forms.Form):
    """Why the receiving authority declines a transfer another authority recorded."""

    reason = forms.CharField(label=_("Why?"), max_length=500,
                             widget=forms.TextInput(attrs={"placeholder": _("Why?")}))


class SharedFeedFilterForm(FeedFilterForm):
    """The own feed's filters, with the owner authority instead of services and sites
    (those belong to each authority)."""

    authority = forms.ChoiceField(label=_("Authority"), required=False)
    NARROWING = ("authority", "category", "condition", "published_since")

    def __init__(self, *args, partners=(), **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["service"]
        del self.fields["site"]
        self.fields["authority"].choices = [("", _("All authorities")),
                                            *((a.slug, a.name) for a in partners)]
        # The owner authority first, after the search box.
        order = ["q", "authority", *[n for n in self.fields if n not in ("q", "authority")]]
        self.order_fields(order)

    def filters(self):
        self.is_valid()
        self.cleaned_data.setdefault("service", None)
        self.cleaned_data.setdefault("site", None)
        return super().filters()

    def owner_slug(self) -> str:
        return self.cleaned_data.get("authority") or ""
