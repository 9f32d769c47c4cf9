"""Forms of the inventory import (exchange.itassets.imports): the upload, and which
column of the file fills which field of the register."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from exchange.itassets.imports import LIMITS, REQUIRED_ROLES, ROLES, Mapping

ROLE_LABELS = {
    "kind": _("Type"), "make": _("Make"), "model": _("Model"),
    "serial_number": _("Serial number"), "inventory_number": _("Inventory number"),
    "purchase_date": _("Purchase date"), "state": _("State"), "life": _("Current life"),
    "service": _("Service"), "location": _("Place (school, site or service)"),
    "user": _("Person (name or e-mail)"), "notes": _("Notes"),
}


class InventoryUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Inventory export (.csv or .xlsx)"),
        help_text=_("One line per piece of equipment, as GLPI or a spreadsheet exports it: "
                    "type, make, model, serial number… At most 5,000 lines and 4 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size is not None and upload.size > LIMITS.max_bytes:
            raise forms.ValidationError(_("The file is larger than %(max)s MB.")
                                        % {"max": LIMITS.max_bytes // (1024 * 1024)})
        return upload


class ColumnsForm(forms.Form):
    """Which column fills which field; the choices are the file's headers."""

    def __init__(self, *args, headers: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not imported —"))] + [
            (str(i), header or _("column %(n)s") % {"n": i + 1})
            for i, header in enumerate(headers)]
        for role in ROLES:
            self.fields[role] = forms.TypedChoiceField(
                label=ROLE_LABELS[role], choices=choices, coerce=int, empty_value=None,
                required=role in REQUIRED_ROLES)

    def mapping(self) -> Mapping:
        return {role: self.cleaned_data.get(role) for role in ROLES}


def columns_initial(mapping: Mapping) -> dict[str, str]:
    return {role: ("" if index is None else str(index)) for role, index in mapping.items()}
