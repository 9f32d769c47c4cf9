"""Forms of the moderators' and authority admins' pages. They read input; the rules
(a reason is required, a hold blocks others, a category name is unique…) live in
exchange.listings.services (moderation, categories), whose errors the views put back on
the form."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from analytics.models import ReferenceItem
from exchange.listings.models import Category, ExchangeSettings, Listing, StandardReply

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


# --- Decisions -------------------------------------------------------------------------

class DecisionForm(forms.Form):
    """A text for the poster, typed or taken from a standard reply: the reply's body is
    used when nothing is typed."""

    text_field = ""

    reply = forms.ModelChoiceField(
        label=_("Standard reply"), queryset=StandardReply.objects.none(), required=False,
        empty_label=_("None"), help_text=_("Used when the text below is left empty."))

    def __init__(self, *args, replies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reply"].queryset = (replies if replies is not None
                                         else StandardReply.objects.all())
        if not self.fields["reply"].queryset:
            del self.fields["reply"]

    def text(self) -> str:
        """What the poster will read (call after is_valid())."""
        typed = (self.cleaned_data.get(self.text_field) or "").strip()
        reply = self.cleaned_data.get("reply")
        return typed or (reply.body if reply else "")


class RejectForm(DecisionForm):
    text_field = "reason"
    reason = forms.CharField(label=_("Reason for the rejection"), required=False,
                             max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))


class RequestChangesForm(DecisionForm):
    text_field = "message"
    message = forms.CharField(label=_("What should change"), required=False,
                              max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))


class BulkApproveForm(forms.Form):
    """Listings ticked in the queue. Those no longer pending are refused one by one by
    the service, with their reason."""

    listings = forms.ModelMultipleChoiceField(
        queryset=Listing.objects.order_by("submitted_at", "id"),
        error_messages={"required": _("Select at least one listing.")})


class StandardReplyForm(forms.ModelForm):
    class Meta:
        model = StandardReply
        fields = ["title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}


# --- Settings --------------------------------------------------------------------------

class CommaSeparatedField(forms.Field):
    """A list typed as text, items separated by commas or new lines."""

    widget = forms.TextInput

    def to_python(self, value) -> list[str]:
        if isinstance(value, list | tuple):
            return [str(item) for item in value]
        items = []
        for item in (value or "").replace("\n", ",").split(","):
            item = " ".join(item.split())
            if item and item.lower() not in {seen.lower() for seen in items}:
                items.append(item)
        return items

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value


class EmailListField(CommaSeparatedField):
    def validate(self, value: list[str]) -> None:
        super().validate(value)
        errors = []
        for address in value:
            try:
                validate_email(address)
            except forms.ValidationError:
                errors.append(forms.ValidationError(
                    _("“%(value)s” is not a valid e-mail address."), code="invalid",
                    params={"value": address}))
        if errors:
            raise forms.ValidationError(errors)


class ExchangeSettingsForm(forms.ModelForm):
    review_words = CommaSeparatedField(
        label=_("Words that always send a listing to review"), required=False,
        help_text=_("Separated by commas, e.g. amiante, personnel."))
    contact_cc = EmailListField(
        label=_("Addresses copied on contacts"), required=False,
        help_text=_("Separated by commas. Empty: every moderator."))

    class Meta:
        model = ExchangeSettings
        fields = ["moderation_mode", "review_words", "contact_cc", "expiry_days", "it_enabled",
                  "appliances_enabled", "contacts_per_hour", "default_visibility",
                  "share_after_days"]
        widgets = {"moderation_mode": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expiry_days"].widget.attrs["min"] = 7
        self.fields["contacts_per_hour"].widget.attrs["min"] = 1
        # Sharing (issue 4): a form posted without it keeps the current default.
        self.fields["default_visibility"].required = False

    def clean_default_visibility(self) -> str:
        return self.cleaned_data.get("default_visibility") or self.instance.default_visibility


# --- Categories ------------------------------------------------------------------------

def reference_item_choices() -> list:
    """Reference items grouped by family, for a <select> with <optgroup>s."""
    groups: dict[str, list] = {}
    for code, family, label in ReferenceItem.objects.order_by(
            "family_fr", "label_fr").values_list("code", "family_fr", "label_fr"):
        groups.setdefault(family, []).append((code, label))
    return [("", _("Choose a reference item")), *groups.items()]


class CategoryEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    is_hidden = forms.BooleanField(label=_("Hidden: cannot be chosen for new listings"),
                                   required=False)


class CategoryCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    parent = forms.ModelChoiceField(
        label=_("Family"), queryset=Category.objects.none(), required=False,
        empty_label=_("None: this is a new family"))
    reference_code = forms.ChoiceField(
        label=_("Reference item"), required=False,
        help_text=_("For an item type: the typical item whose weight and CO2e are used."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Category.objects.filter(parent=None)
        self.fields["reference_code"].choices = reference_item_choices()


# --- Dashboard -------------------------------------------------------------------------

class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), input_formats=DATE_INPUT_FORMATS,
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("To"), input_formats=DATE_INPUT_FORMATS,
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The start of the period is after its end."),
                                        code="period")
        return data

    @classmethod
    def for_period(cls, start: date, end: date) -> PeriodForm:
        return cls({"start": start.isoformat(), "end": end.isoformat()})
