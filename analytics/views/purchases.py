"""The finance team's AGEC pages (issue 16): the year's purchases per AGEC category, their
import from an accounting export (upload → column mapping and preview → apply), the
donations received outside the platform, and the history of every change. Moderators
read them; the finance team and administrators write them (accounts.permissions)."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import (
    agec_viewer_required,
    can_manage_purchases,
    purchase_manager_required,
)
from analytics import purchases as purchase_services
from analytics import selectors as fact_selectors
from analytics.agec_categories import agec_categories
from analytics.models import DonationSource, ExternalDonation
from analytics.purchase_forms import (
    PART_LABELS,
    ExternalDonationForm,
    ImportUploadForm,
    MappingForm,
    PurchasesForm,
    french_amount,
    mapping_initial,
)
from analytics.views.back_office import render_section

SESSION_KEY = "agec_import"


def _check_year(year: int) -> None:
    try:
        purchase_services.check_year(year)
    except ValidationError as exc:
        raise Http404 from exc


def _actor(request) -> str:
    return request.user.email


@agec_viewer_required
@require_GET
def purchases_current(request):
    return redirect("statistics:agec_purchases", year=timezone.localdate().year)


@agec_viewer_required
@require_http_methods(["GET", "POST"])
def purchases(request, year: int):
    _check_year(year)
    editable = can_manage_purchases(request.user)
    current = fact_selectors.agec_purchases(request.tenant, year)
    status = 200
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        form = PurchasesForm(request.POST)
        if form.is_valid():
            try:
                changed = purchase_services.save_purchases(
                    request.tenant, year, form.cleaned_data["figures"],
                    actor_label=_actor(request))
            except purchase_services.PurchaseErrors as refused:
                for label, errors in refused.by_category.items():
                    index = agec_categories().index(label)
                    for attr, message in errors.items():
                        form.add_error(f"c{index}-{attr.removesuffix('_eur')}", message)
            else:
                messages.success(request, _("%(n)s line(s) changed.") % {"n": changed}
                                 if changed else _("Nothing changed."))
                return redirect("statistics:agec_purchases", year=year)
        status = 400
    else:
        form = PurchasesForm(initial_figures=current)
    return render_section(request, "purchases.html", {
        "year": year, "form": form, "editable": editable, "entered": len(current),
        "years": sorted({year, timezone.localdate().year,
                         *fact_selectors.purchase_years(request.tenant)}, reverse=True),
    }, section="agec", status=status)


# --- Import -----------------------------------------------------------------------------

@purchase_manager_required
@require_http_methods(["GET", "POST"])
def import_upload(request, year: int):
    _check_year(year)
    status = 200
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                table = purchase_services.read_table(
                    upload.name, upload.read(purchase_services.MAX_IMPORT_BYTES + 1))
            except ValidationError as refused:
                for message in refused.messages:
                    form.add_error("file", message)
            else:
                request.session[SESSION_KEY] = {"year": year, "name": upload.name[:200],
                                                "token": secrets.token_hex(8),
                                                "table": table.as_session()}
                return redirect("statistics:agec_purchases_mapping", year=year)
        status = 400
    else:
        form = ImportUploadForm()
    return render_section(request, "purchases_import.html", {"year": year, "form": form},
                          section="agec", status=status)


@purchase_manager_required
@require_http_methods(["GET", "POST"])
def import_mapping(request, year: int):
    _check_year(year)
    stored = request.session.get(SESSION_KEY)
    if not stored or stored.get("year") != year:
        messages.error(request, _("Upload the file to import first."))
        return redirect("statistics:agec_purchases_import", year=year)
    table = purchase_services.Table.from_session(stored["table"])
    preview, status = None, 200
    if request.method == "POST" and request.POST.get("token") != stored.get("token"):
        # Another file was uploaded since this page was shown (another tab): what would
        # be applied is not what was previewed.
        messages.error(request, _("Another file was uploaded since: check its columns and "
                                  "its preview again."))
        return redirect("statistics:agec_purchases_mapping", year=year)
    if request.method == "POST":
        form = MappingForm(request.POST, headers=table.headers)
        if form.is_valid():
            mapping = form.mapping()
            if request.POST.get("action") == "apply":
                try:
                    changed = purchase_services.apply_import(
                        request.tenant, year, table, mapping, actor_label=_actor(request))
                except ValidationError:
                    preview = purchase_services.build_preview(table, mapping)
                    status = 400
                else:
                    del request.session[SESSION_KEY]
                    messages.success(request, _("Import done: %(n)s category line(s) changed.")
                                     % {"n": changed})
                    return redirect("statistics:agec_purchases", year=year)
            else:
                preview = purchase_services.build_preview(table, mapping)
                status = 200 if preview.is_valid else 400
        else:
            status = 400
    else:
        form = MappingForm(initial=mapping_initial(purchase_services.guess_mapping(
            table.headers)), headers=table.headers)
    return render_section(request, "purchases_mapping.html", {
        "year": year, "form": form, "preview": preview, "name": stored["name"],
        "token": stored.get("token", ""),
        "headers": table.headers, "sample": table.rows[:5],
        "line_count": sum(1 for row in table.rows if any(row)),
    }, section="agec", status=status)


# --- Donations received elsewhere ---------------------------------------------------------

@agec_viewer_required
@require_http_methods(["GET", "POST"])
def donations(request, year: int):
    _check_year(year)
    editable = can_manage_purchases(request.user)
    status = 200
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        form = ExternalDonationForm(request.POST, year=year)
        if form.is_valid():
            try:
                purchase_services.add_external_donation(
                    request.tenant, year=year, actor_label=_actor(request),
                    **form.cleaned_data)
            except ValidationError as refused:
                for message in refused.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("The donation was added."))
                return redirect("statistics:agec_donations", year=year)
        status = 400
    else:
        form = ExternalDonationForm(year=year)
    return render_section(request, "donations.html", {
        "year": year, "form": form, "editable": editable,
        "donations": fact_selectors.external_donations(request.tenant, year),
        "totals": fact_selectors.external_donations_by_category(request.tenant, year),
    }, section="agec", status=status)


@purchase_manager_required
@require_POST
def donation_delete(request, pk: int):
    try:
        donation = purchase_services.delete_external_donation(
            request.tenant, pk, actor_label=_actor(request))
    except ExternalDonation.DoesNotExist as exc:
        raise Http404 from exc
    messages.success(request, _("The donation was removed."))
    return redirect("statistics:agec_donations", year=donation.year)


# --- History ------------------------------------------------------------------------------

FIELD_LABELS = {"total_eur": PART_LABELS["total"], "reuse_eur": PART_LABELS["reuse"],
                "recycled_eur": PART_LABELS["recycled"],
                "amount_eur": ExternalDonation._meta.get_field("amount_eur").verbose_name,
                "source": ExternalDonation._meta.get_field("source").verbose_name,
                "description": ExternalDonation._meta.get_field("description").verbose_name,
                "received_on": ExternalDonation._meta.get_field("received_on").verbose_name}
SOURCE_LABELS = dict(DonationSource.choices)


def _described(values: dict) -> list[tuple[str, str]]:
    """(label, value) of an audited before/after, as the history shows it: in a fixed
    order (JSON objects keep none), amounts written the French way."""
    shown = []
    for key, label in FIELD_LABELS.items():
        value = values.get(key)
        if value in ("", None):
            continue
        if key.endswith("_eur"):
            value = french_amount(Decimal(value))
        elif key == "source":
            value = SOURCE_LABELS.get(value, value)
        shown.append((str(label), str(value)))
    return shown


@agec_viewer_required
@require_GET
def history(request):
    year = request.GET.get("year")
    year = int(year) if year and year.isdigit() and len(year) == 4 else None
    changes = [(change, _described(change.before), _described(change.after))
               for change in fact_selectors.agec_figure_changes(request.tenant, year)[:500]]
    return render_section(request, "purchases_history.html", {
        "changes": changes, "year": year,
        "years": fact_selectors.purchase_years(request.tenant),
    }, section="agec")
