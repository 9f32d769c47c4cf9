"""Forms of the finance team's AGEC pages (issue 16): the year's purchases (three amounts
per AGEC category), the upload and column mapping of an import, a donation received
elsewhere. Amounts are text fields so that "1 555,00" is accepted as typed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from analytics.agec_categories import agec_categories
from analytics.models import DonationSource
from analytics.purchases import (
    MAX_IMPORT_BYTES,
    ROLES,
    PurchaseFigures,
    figure_errors,
    parse_amount,
)

AMOUNT_ATTRS = {"inputmode": "decimal", "autocomplete": "off", "class": "amount"}
PARTS = (("total", "total_eur"), ("reuse", "reuse_eur"), ("recycled", "recycled_eur"))


class PurchasesForm(forms.Form):
    """One row per AGEC category (index i of the schema's enum): fields `c<i>-total`,
    `c<i>-reuse`, `c<i>-recycled`. A row left blank means "nothing entered"."""

    def __init__(self, *args, initial_figures: dict[str, PurchaseFigures] | None = None,
                 **kwargs):
        initial = {}
        for i, label in enumerate(agec_categories()):
            figures = (initial_figures or {}).get(label)
            for part, attr in PARTS:
                if figures is not None:
                    initial[f"c{i}-{part}"] = french_amount(getattr(figures, attr))
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for i, label in enumerate(agec_categories()):
            for part, _attr in PARTS:
                self.fields[f"c{i}-{part}"] = forms.CharField(
                    label=f"{label} — {PART_LABELS[part]}", required=False, max_length=40,
                    widget=forms.TextInput(attrs={**AMOUNT_ATTRS,
                                                  "data-category": str(i),
                                                  "data-part": part}))

    def rows(self):
        """(label, [bound fields total, reuse, recycled]) per category, for the table."""
        return [(label, [self[f"c{i}-{part}"] for part, _a in PARTS])
                for i, label in enumerate(agec_categories())]

    def clean(self):
        data = super().clean()
        figures: dict[str, PurchaseFigures | None] = {}
        for i, label in enumerate(agec_categories()):
            raw = {part: (data.get(f"c{i}-{part}") or "").strip() for part, _a in PARTS}
            if not any(raw.values()):
                figures[label] = None
                continue
            amounts, ok = {}, True
            for part, _attr in PARTS:
                name = f"c{i}-{part}"
                if not raw[part]:
                    if part == "total":
                        self.add_error(name, _("Enter the total purchases of the category."))
                        ok = False
                    amounts[part] = parse_amount("0")
                    continue
                try:
                    amounts[part] = parse_amount(raw[part])
                except ValueError as exc:
                    self.add_error(name, str(exc))
                    ok = False
            if not ok:
                continue
            value = PurchaseFigures(amounts["total"], amounts["reuse"], amounts["recycled"])
            for attr, message in figure_errors(value).items():
                part = {"reuse_eur": "reuse", "recycled_eur": "recycled"}[attr]
                self.add_error(f"c{i}-{part}", message)
                ok = False
            if ok:
                figures[label] = value
        data["figures"] = figures
        return data


PART_LABELS = {"total": _("Total purchases excl. VAT (€)"),
               "reuse": _("of which from reuse (€)"),
               "recycled": _("of which with recycled materials (€)")}


def french_amount(value) -> str:
    """1555.00 → "1 555,00" (the way the finance team writes it)."""
    units, cents = f"{value:.2f}".split(".")
    groups = []
    while len(units) > 3:
        groups.insert(0, units[-3:])
        units = units[:-3]
    groups.insert(0, units)
    return f"{' '.join(groups)},{cents}"


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Accounting export (.csv or .xlsx)"),
        help_text=_("One line per purchase or per category: a column with the AGEC "
                    "category, one with the amount excl. VAT, optionally the reuse part "
                    "and the recycled part. At most 2 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than %(max)s MB.")
                                        % {"max": MAX_IMPORT_BYTES // (1024 * 1024)})
        return upload


ROLE_LABELS = {"category": _("Category column"), "total": _("Total purchases column"),
               "reuse": _("Reuse part column"), "recycled": _("Recycled part column")}


class MappingForm(forms.Form):
    """Which column of the file is what; the choices are the file's headers."""

    def __init__(self, *args, headers: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— none —"))] + [
            (str(i), header or _("column %(n)s") % {"n": i + 1})
            for i, header in enumerate(headers)]
        for role in ROLES:
            self.fields[role] = forms.TypedChoiceField(
                label=ROLE_LABELS[role], choices=choices, coerce=int, empty_value=None,
                required=role in ("category", "total"))

    def mapping(self) -> dict[str, int | None]:
        return {role: self.cleaned_data.get(role) for role in ROLES}


def mapping_initial(mapping: dict[str, int | None]) -> dict[str, str]:
    return {role: ("" if index is None else str(index)) for role, index in mapping.items()}


class ExternalDonationForm(forms.Form):
    category = forms.ChoiceField(label=_("AGEC category"))
    amount_eur = forms.CharField(label=_("Value (€)"), max_length=40,
                                 widget=forms.TextInput(attrs=AMOUNT_ATTRS))
    source = forms.ChoiceField(label=_("Source"), choices=DonationSource.choices)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    received_on = forms.DateField(label=_("Received on"), required=False,
                                  input_formats=["%Y-%m-%d", "%d/%m/%Y"],
                                  widget=forms.DateInput(attrs={"type": "date"},
                                                         format="%Y-%m-%d"))

    def __init__(self, *args, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year
        self.fields["category"].choices = [("", "—")] + [(c, c) for c in agec_categories()]

    def clean_amount_eur(self):
        try:
            return parse_amount(self.cleaned_data["amount_eur"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_received_on(self):
        value = self.cleaned_data.get("received_on")
        if value is not None and value.year != self.year:
            raise forms.ValidationError(_("The date of receipt must fall in %(year)s.")
                                        % {"year": self.year})
        return value
