"""The period picker of the moderators' report: a month, a semester, a year, or a custom
range — read from GET parameters, resolved to (start, end) dates, both included."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from analytics.periods import month_bounds, semester_bounds
from tenants.validators import validate_siret_of

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class ReportPeriodForm(forms.Form):
    MONTH, SEMESTER, YEAR, CUSTOM = "month", "semester", "year", "custom"

    period = forms.ChoiceField(label=_("Period"), choices=[
        (MONTH, _("Month")), (SEMESTER, _("Semester")), (YEAR, _("Year")),
        (CUSTOM, _("Custom dates"))])
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)
    month = forms.TypedChoiceField(label=_("Month"), coerce=int, required=False, empty_value=None,
                                   choices=[("", "—")] + [(n, n) for n in range(1, 13)])
    semester = forms.TypedChoiceField(label=_("Semester"), coerce=int, required=False,
                                      empty_value=None,
                                      choices=[("", "—"), (1, _("January–June")),
                                               (2, _("July–December"))])
    start = forms.DateField(label=_("From"), required=False, input_formats=DATE_INPUT_FORMATS,
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("To"), required=False, input_formats=DATE_INPUT_FORMATS,
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    @classmethod
    def from_query(cls, query, today: date) -> ReportPeriodForm:
        """The form of a GET query; without a period, the current year."""
        if not query.get("period"):
            return cls({"period": cls.YEAR, "year": today.year})
        return cls(query)

    def clean(self):
        data = super().clean()
        period, year = data.get("period"), data.get("year")
        if period in (self.MONTH, self.SEMESTER, self.YEAR) and not year:
            self.add_error("year", _("Choose a year."))
            return data
        if period == self.YEAR:
            data["start"], data["end"] = date(year, 1, 1), date(year, 12, 31)
        elif period == self.MONTH:
            month = data.get("month")
            if not month:
                self.add_error("month", _("Choose a month."))
                return data
            data["start"], data["end"] = month_bounds(year, month)
        elif period == self.SEMESTER:
            semester = data.get("semester")
            if not semester:
                self.add_error("semester", _("Choose a semester."))
                return data
            data["start"], data["end"] = semester_bounds(year, semester)
        elif period == self.CUSTOM:
            start, end = data.get("start"), data.get("end")
            if not start:
                self.add_error("start", _("Enter the first day of the period."))
            if not end:
                self.add_error("end", _("Enter the last day of the period."))
            if start and end and start > end:
                raise forms.ValidationError(_("The start of the period is after its end."),
                                            code="period")
            if start and end and (end - start).days > 366 * 10:
                raise forms.ValidationError(_("The period cannot exceed ten years."),
                                            code="period")
        return data


# --- Stream "stats": AGEC year, weight campaigns, factor overrides, settings ------------


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)

    @classmethod
    def from_query(cls, query, today: date) -> YearForm:
        return cls({"year": query.get("year") or today.year})


def _kg_field(label, required=False):
    return forms.DecimalField(label=label, required=required, min_value=Decimal("0"),
                              max_digits=12, decimal_places=3, localize=True)


class LineCorrectionForm(forms.Form):
    transfer_id = forms.IntegerField(widget=forms.HiddenInput)
    weight_kg = _kg_field(_("Corrected weight (kg)"))


class CategoryCorrectionForm(forms.Form):
    category = forms.CharField(max_length=200, widget=forms.HiddenInput)
    total_kg = _kg_field(_("Corrected total (kg)"))


class FactorOverrideForm(forms.Form):
    reference_code = forms.SlugField(max_length=60, widget=forms.HiddenInput)
    weight_kg = _kg_field(_("Typical unit weight (kg)"))
    co2e_kg_per_item = _kg_field(_("kg CO2e avoided per item"))
    source = forms.CharField(label=_("Source"), max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if (data.get("weight_kg") is not None or data.get("co2e_kg_per_item") is not None) \
                and not (data.get("source") or "").strip():
            self.add_error("source", _("Say where your figure comes from."))
        return data


class StatsSettingsForm(forms.Form):
    public_impact = forms.BooleanField(
        label=_("Show our figures on the public impact page"), required=False)
    siret = forms.CharField(label=_("SIRET"), required=False, max_length=20,
                            help_text=_("14 digits, for the loi AGEC declaration and the "
                                        "invoices."))

    def __init__(self, *args, authority, **kwargs):
        super().__init__(*args, **kwargs)
        self.authority = authority

    def clean_siret(self) -> str:
        siret = self.cleaned_data["siret"].replace(" ", "")
        if siret:
            validate_siret_of(siret, self.authority.siren)
        return siret


class RetiredITStockForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2023, max_value=2100)
    items_in_stock = forms.IntegerField(label=_("Retired IT items in stock on 1 January"),
                                        min_value=0, max_value=10_000_000)
