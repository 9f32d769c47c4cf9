"""Forms of the agents' pages. They only translate HTTP input into service arguments;
the rules (quantities, values, dates, categories, recipients…) live in the services
(exchange/listings/services/), whose ExchangeError lands on the field it concerns (see
`ServiceErrorsMixin`)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Service, Site
from accounts.selectors import place_choices
from core.widgets import PlainSelect
from exchange.listings import selectors
from exchange.listings.errors import ExchangeError
from exchange.listings.models import Category, ClosureReason, Condition, Listing, Visibility
from exchange.listings.photos import PENDING_TOKEN
from exchange.listings.recipients import (
    Recipient,
    RecipientKind,
    recipient_choices,
    recipient_from_fields,
)
from tenants.selectors import current_authority


def category_choices(options, *, with_families: bool, blank: str,
                     extra: Category | None = None) -> list:
    """Item types grouped by family for a <select> with <optgroup>s. `options`: the
    categories as selectors.CategoryOption (cached plain data). With families, each
    group starts with the whole family ("All of …"). `extra` (e.g. the listing's
    current category, since hidden) is added to its family."""
    options = list(options)
    if extra is not None and all(option.pk != extra.pk for option in options):
        options.append(selectors.CategoryOption(
            pk=extra.pk, name=extra.name, parent_id=extra.parent_id,
            parent_name=extra.parent.name if extra.parent_id else ""))
    families = {option.pk: option.name for option in options if option.parent_id is None}
    items: dict[int, list] = {}
    for option in options:
        if option.parent_id is not None:
            items.setdefault(option.parent_id, []).append(option)
            families.setdefault(option.parent_id, option.parent_name)
    choices: list = [("", blank)]
    for family_pk, family_name in families.items():
        group = [(family_pk, _("All of “%(family)s”") % {"family": family_name})
                 ] if with_families else []
        group += [(item.pk, item.name) for item in items.get(family_pk, [])]
        if group:
            choices.append((family_name, group))
    return choices


class ServiceErrorsMixin:
    """Put a service's ExchangeError on the field it is about (by its `code`), so the
    user sees it next to what they typed; other errors go on top of the form."""

    error_fields: dict[str, str] = {}

    def add_service_error(self, error: ExchangeError, field: str | None = None) -> None:
        field = field or self.error_fields.get(getattr(error, "code", None) or "")
        self.add_error(field if field in self.fields else None, error.messages)


class MultipleImageInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files in one input. Whether each is a real image is for exchange.listings.photos
    to say: it opens them."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleImageInput(
            attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = list(data) if isinstance(data, list | tuple) else [data] if data else []
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        single = super().clean
        return [single(item, initial) for item in files]


DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ListingForm(ServiceErrorsMixin, forms.Form):
    """Create or edit a listing. Category choices: the item types the authority shows."""

    error_fields = {
        "quantity": "quantity", "value": "estimated_value", "availability": "available_until",
        "category_hidden": "category", "category_disabled": "category", "service": "service",
        "quantity_implausible": "quantity", "value_implausible": "estimated_value",
    }

    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 5}))
    category = forms.ModelChoiceField(label=_("Category"),
                                      queryset=Category.objects.filter(parent__isnull=False))
    quantity = forms.IntegerField(label=_("Quantity"), initial=1,
                                  widget=forms.NumberInput(attrs={"min": 1}))
    condition = forms.ChoiceField(label=_("Condition"),
                                  choices=[("", "—"), *Condition.choices])
    estimated_value = forms.DecimalField(
        label=_("Estimated value (€)"), max_digits=10, decimal_places=2,
        widget=forms.NumberInput(attrs={"min": 0, "step": "0.01"}),
        help_text=_("For the whole listing. Only you and the moderators see it."))
    dimensions = forms.CharField(label=_("Dimensions"), max_length=120, required=False,
                                 help_text=_("For example: 120 × 60 × 75 cm"))
    service = forms.ModelChoiceField(label=_("Giving service"),
                                     queryset=Service.objects.filter(is_active=True))
    site = forms.ModelChoiceField(label=_("Pickup site"),
                                  queryset=Site.objects.filter(is_active=True))
    available_from = forms.DateField(label=_("Available from"), required=False,
                                     widget=DATE_INPUT)
    available_until = forms.DateField(label=_("Available until"), required=False,
                                      widget=DATE_INPUT)

    confirm_outlier = forms.BooleanField(
        label=_("I confirm this unusual quantity or value"), required=False)

    def __init__(self, *args, listing: Listing | None = None, can_confirm_outlier: bool = False,
                 **kwargs):
        super().__init__(*args, **kwargs)
        if can_confirm_outlier:
            self.fields["confirm_outlier"].help_text = _(
                "Moderators only: above %(quantity)s items or %(value)s € per item, the "
                "figures are refused unless you confirm them.") % {
                "quantity": settings.LISTING_MAX_QUANTITY,
                "value": settings.LISTING_MAX_UNIT_VALUE_EUR}
        else:
            del self.fields["confirm_outlier"]
        current = listing.category if listing is not None else None
        self.fields["category"].widget.choices = category_choices(
            [option for option in selectors.visible_category_options()
             if option.parent_id is not None],
            with_families=False, blank="—", extra=current)

    # The fields a phone user fills first; the others go under « Plus de détails »
    # (exchange/listings/form.html). The value is required, so it stays in sight, and
    # so does the moderators' confirmation of an unusual quantity or value.
    first_fields = ("photos", "title", "category", "quantity", "condition", "site",
                    "estimated_value", "confirm_outlier")

    def field_groups(self) -> dict:
        """The visible fields in two groups: `first` (in `first_fields` order) and
        `more`, with `more_open` when one of the latter has an error to show."""
        first = [self[name] for name in self.first_fields if name in self.fields]
        more = [field for field in self.visible_fields() if field.name not in self.first_fields]
        return {"first": first, "more": more, "more_open": any(f.errors for f in more)}

    @classmethod
    def initial_for(cls, listing: Listing) -> dict:
        return {name: getattr(listing, name) for name in cls.base_fields
                if name != "confirm_outlier"}


class PendingPhotoTokensField(forms.CharField):
    """The tokens of the photos the posting form sent ahead (comma-separated, written
    by static/js/listing-form.js). Whose they are is for exchange.listings.photos to
    say."""

    widget = forms.HiddenInput

    def clean(self, value):
        value = super().clean(value)
        tokens = [part.strip() for part in (value or "").split(",") if part.strip()]
        if not all(PENDING_TOKEN.fullmatch(token) for token in tokens):
            raise forms.ValidationError(_("These photos are not valid: add them again."),
                                        code="invalid")
        return tokens


class NewListingForm(ListingForm):
    """The creation form also takes the first photos: as files (without JavaScript) or
    as the tokens of photos sent ahead one by one (`pending_photos`, on a phone)."""

    error_fields = {**ListingForm.error_fields, "not_image": "photos", "too_large": "photos",
                    "too_many_photos": "photos"}
    photos = MultipleImageField(
        label=_("Photos"), required=False,
        help_text=_("Up to 8 JPEG, PNG or WebP photos, 10 MB each at most."))
    pending_photos = PendingPhotoTokensField(required=False, max_length=600)
    # A random name the browser gives its saved draft, so that the page after posting
    # can forget that draft (and no other).
    draft_token = forms.RegexField(regex=r"^[A-Za-z0-9-]{1,40}$", required=False,
                                   widget=forms.HiddenInput)
    visibility = forms.ChoiceField(
        label=_("Who may see it"), choices=Visibility.choices, required=False,
        help_text=_("Shared: also the agents of the authorities yours shares with, once "
                    "published (never the value). You can change it later."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visibility"].initial = selectors.exchange_settings().default_visibility

    def listing_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items()
                if k not in ("photos", "pending_photos", "draft_token")}


class PhotoForm(ServiceErrorsMixin, forms.Form):
    error_fields = {"not_image": "image", "too_large": "image", "too_many_photos": "image",
                    "forbidden": "image"}

    image = MultipleImageField(
        label=_("Add photos"),
        help_text=_("Up to 8 JPEG, PNG or WebP photos, 10 MB each at most."))


class ContactForm(ServiceErrorsMixin, forms.Form):
    message = forms.CharField(
        label=_("Message (optional)"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The poster receives your name, service and e-mail address."))


class ReserveForm(ServiceErrorsMixin, forms.Form):
    reserved_for = forms.CharField(label=_("Reserved for"), max_length=200, required=False,
                                   help_text=_("A person or a service."))


class VisibilityForm(forms.Form):
    visibility = forms.ChoiceField(label=_("Who sees this listing?"),
                                   choices=Visibility.choices, widget=forms.RadioSelect)


class CloseForm(ServiceErrorsMixin, forms.Form):
    """Give out all or part of a listing. Which recipient field counts depends on the
    reason; the service checks it."""

    error_fields = {"reason": "reason", "quantity": "quantity", "quantity_left": "quantity",
                    "weight": "weight_kg", "quantity_implausible": "quantity",
                    "value_implausible": "confirm_outlier"}
    recipient_field = {
        ClosureReason.EXCHANGED_INTERNAL: "recipient_service",
        ClosureReason.EXCHANGED_OTHER_AUTHORITY: "recipient_authority",
        ClosureReason.GIVEN_TO_PARTNER: "recipient_partner",
    }

    reason = forms.ChoiceField(label=_("What happened?"),
                               choices=[("", "—"), *ClosureReason.choices])
    quantity = forms.IntegerField(label=_("Quantity"), widget=forms.NumberInput(attrs={"min": 1}))
    recipient_service = forms.ModelChoiceField(
        label=_("Receiving service"), required=False,
        queryset=Service.objects.filter(is_active=True),
        help_text=_("When exchanged with a service of the authority."))
    recipient_authority_slug = forms.ChoiceField(
        label=_("Receiving authority"), required=False,
        help_text=_("When exchanged with another authority of the platform."))
    recipient_authority = forms.CharField(
        label=_("Receiving authority not on the platform"), max_length=200, required=False,
        help_text=_("When exchanged with another authority."))
    recipient_partner = forms.CharField(
        label=_("Partner"), max_length=200, required=False,
        help_text=_("School, association, social-economy organisation…"))
    weight_kg = forms.DecimalField(
        label=_("Weighed weight (kg)"), required=False, max_digits=10, decimal_places=3,
        widget=forms.NumberInput(attrs={"min": 0, "step": "0.001"}),
        help_text=_("Leave empty to use the estimated weight."))
    inventory_number = forms.CharField(
        label=_("Inventory number"), max_length=100, required=False,
        help_text=_("For a transfer outside the authority: the number in your asset "
                    "register, printed on the transfer record."))
    # Partner API: the partners the authority grants access to (absent when none).
    partner = forms.ModelChoiceField(
        label=_("Partner of the authority"), required=False, queryset=None,
        help_text=_("When given to a partner your authority works with: its figures then "
                    "count the donation."))

    confirm_outlier = forms.BooleanField(
        label=_("I confirm this unusual quantity or value"), required=False,
        help_text=_("Moderators only: the listing's quantity or value per item is above "
                    "the plausibility bounds."))

    def __init__(self, *args, authorities=(), can_confirm_outlier: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_confirm_outlier:
            del self.fields["confirm_outlier"]
        self.fields["recipient_authority_slug"].choices = [
            ("", "—"), *((a.slug, a.name) for a in authorities)]
        authority = current_authority()
        partners = recipient_choices(RecipientKind.PARTNER, authority) if authority else ()
        if isinstance(partners, QuerySet) and partners.exists():
            self.fields["partner"].queryset = partners
        else:
            del self.fields["partner"]

    def recipient(self) -> Recipient | None:
        """The recipient the valid form names for its reason (exchange.listings.recipients)."""
        data = self.cleaned_data
        return recipient_from_fields(
            data["reason"], service=data["recipient_service"],
            authority_slug=data["recipient_authority_slug"],
            authority_name=data["recipient_authority"],
            partner_id=data["partner"].pk if data.get("partner") else None,
            partner_name=data["recipient_partner"])

    def add_service_error(self, error: ExchangeError, field: str | None = None) -> None:
        if getattr(error, "code", None) == "recipient" and self.cleaned_data.get("partner"):
            field = "partner"
        elif getattr(error, "code", None) == "recipient":
            field = self.recipient_field.get(self.cleaned_data.get("reason"))
            if (field == "recipient_authority"
                    and self.cleaned_data.get("recipient_authority_slug")):
                field = "recipient_authority_slug"
        super().add_service_error(error, field)


class WantedForm(ServiceErrorsMixin, forms.Form):
    error_fields = {"title": "title", "category_hidden": "category",
                    "category_disabled": "category"}

    title = forms.CharField(label=_("What are you looking for?"), max_length=120)
    description = forms.CharField(label=_("Details"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.ModelChoiceField(label=_("Category"), required=False,
                                      queryset=Category.objects.all())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].widget.choices = category_choices(
            selectors.visible_category_options(), with_families=True,
            blank=_("Any category"))


class SavedSearchForm(forms.Form):
    """The feed's "save this search" button: the search and category being shown."""

    q = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    category = forms.ModelChoiceField(required=False, queryset=Category.objects.all(),
                                      widget=forms.HiddenInput)


SORT_CHOICES = [
    ("recent", _("Most recent")),
    ("oldest", _("Oldest")),
    ("title", _("Title")),
    ("relevance", _("Relevance (with a search)")),
]


class FeedFilterForm(forms.Form):
    """The feed's search box and filters (GET). A value that does not validate is
    ignored rather than refused: the feed always shows something.

    Its choices come from the per-authority cache (categories, services, sites:
    core.cache) and its <select>s are written in one pass (core.widgets.PlainSelect):
    no query and no template per option on a page that every agent opens."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200,
                        widget=forms.SearchInput(attrs={"placeholder": _("chair, desk, hêtre…")}))
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int,
                                      empty_value=None, widget=PlainSelect)
    service = forms.TypedChoiceField(label=_("Service"), required=False, coerce=int,
                                     empty_value=None, widget=PlainSelect)
    site = forms.TypedChoiceField(label=_("Site"), required=False, coerce=int,
                                  empty_value=None, widget=PlainSelect)
    condition = forms.ChoiceField(label=_("Condition"), required=False, widget=PlainSelect,
                                  choices=[("", _("Any condition")), *Condition.choices])
    published_since = forms.DateField(label=_("Published since"), required=False,
                                      widget=DATE_INPUT)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES,
                             widget=PlainSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices(
            selectors.visible_category_options(), with_families=True,
            blank=_("All categories"))
        places = place_choices()
        self.fields["service"].choices = [("", _("All services")), *places.services]
        self.fields["site"].choices = [("", _("All sites")), *places.sites]

    # The fields that narrow the results (not the search box, not the order): their
    # count is shown on the folded « Filtrer » of a phone.
    NARROWING = ("category", "service", "site", "condition", "published_since")

    def active_filter_count(self) -> int:
        """How many narrowing filters apply (a value that does not validate is ignored,
        so it does not count)."""
        self.is_valid()
        return sum(1 for name in self.NARROWING if self.cleaned_data.get(name))

    def filters(self) -> selectors.FeedFilters:
        self.is_valid()
        data = self.cleaned_data
        q = data.get("q") or ""
        return selectors.FeedFilters(
            q=q,
            category=data.get("category"),
            service=data.get("service"),
            site=data.get("site"),
            condition=data.get("condition") or "",
            published_since=data.get("published_since"),
            sort=data.get("sort") or ("relevance" if q.strip() else "recent"),
        )
