"""Pages of the retirement batches (issue 19) under /it/batches/: the list, a batch's
page (add assets, then erase, recondition and send items to their next life, many at
once) and its PDF documents. Only whoever manages the register opens them
(accounts.permissions.can_manage_it_assets).

HTTP in, a selector or service call, a page out: the rules are in
exchange.itassets.batches."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import it_manager_required
from exchange.itassets import batch_documents, batch_selectors, batches
from exchange.itassets.batch_forms import ACTIONS, AddAssetsForm
from exchange.itassets.models import ExitKind, RetirementBatch
from exchange.listings.errors import ExchangeError

SUCCESS = {
    "erase": gettext_lazy("Erasure recorded for %(count)s item(s)."),
    "recondition": gettext_lazy("Reconditioning recorded for %(count)s item(s)."),
    "second_life": gettext_lazy("%(count)s item(s) given to their new holder."),
    "listing": gettext_lazy("%(count)s item(s) offered on the exchange."),
    "donation": gettext_lazy("%(count)s item(s) donated."),
    "recycling": gettext_lazy("%(count)s item(s) sent to recycling."),
}


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    patch_cache_control(response, private=True, no_store=True)
    return response


@it_manager_required
@require_GET
def batch_list(request):
    return render(request, "itassets/batch_list.html", {"batches": batch_selectors.batches()})


@it_manager_required
@require_POST
def batch_create(request):
    batch = batches.create_batch(actor=request.user, notes=request.POST.get("notes", ""))
    messages.success(request, _("Batch %(reference)s opened.") % {"reference": batch.reference})
    return redirect("itassets:batch_detail", batch.pk)


def _call(action: str, form, batch: RetirementBatch, actor):
    """The service of `action` with the form's data."""
    data, items = form.cleaned_data, list(form.cleaned_data["items"])
    common = {"batch": batch, "items": items, "actor": actor}
    if action == "erase":
        return batches.record_erasure(**common, method=data["method"], tool=data["tool"],
                                      operator_name=data["operator_name"],
                                      erased_on=data["erased_on"], result=data["result"])
    if action == "recondition":
        return batches.record_reconditioning(
            **common, reconditioned_on=data["reconditioned_on"], parts=data["parts"],
            operating_system=data["operating_system"], licence_removed=data["licence_removed"])
    if action == "second_life":
        return batches.give_second_life(**common, service=data["service"], site=data["site"],
                                        user=data["user"], exited_on=data["exited_on"])
    if action == "listing":
        return batches.offer_on_exchange(
            **common, title=data["title"], description=data["description"],
            category=data["category"], condition=data["condition"],
            unit_value=data["unit_value"], service=data["service"], site=data["site"])
    if action == "donation":
        return batches.donate(**common, partner_id=data["partner"],
                              unit_value=data["unit_value"], exited_on=data["exited_on"],
                              confirm_above_cap=data["confirm_above_cap"])
    return batches.send_to_recycling(
        **common, recycler_name=data["recycler_name"], recycler_kind=data["recycler_kind"],
        weighed_total_kg=data["weighed_total_kg"], exited_on=data["exited_on"])


def _forms(batch: RetirementBatch, data=None, action: str = "") -> dict:
    return {name: form_class(data if name == action else None, batch=batch, prefix=name)
            for name, form_class in ACTIONS.items()}


def _render(request, batch, forms, add_form=None, status=200):
    rows = batch_selectors.item_rows(batch)
    return render(request, "itassets/batch_detail.html", {
        "batch": batch, "rows": rows, "forms": forms,
        "add_form": add_form or AddAssetsForm(),
        "in_progress": any(row.exit is None for row in rows),
        "donations": batch_selectors.exit_references(batch, ExitKind.DONATION),
        "slips": batch_selectors.exit_references(batch, ExitKind.RECYCLING),
        "checked": {int(pk) for pk in request.POST.getlist("items") if pk.isdigit()},
        # Errors on the ticked items or the whole action, shown above the table.
        "item_errors": [error for form in forms.values() if form.is_bound
                        for error in [*form.errors.get("items", []),
                                      *form.non_field_errors()]],
    }, status=status)


@it_manager_required
@require_http_methods(["GET", "POST"])
def batch_detail(request, pk: int):
    batch = get_object_or_404(RetirementBatch.objects.select_related("created_by"), pk=pk)
    action = request.POST.get("action", "")
    if request.method == "GET" or action not in ACTIONS:
        return _render(request, batch, _forms(batch))
    forms = _forms(batch, request.POST, action)
    form = forms[action]
    if form.is_valid():
        try:
            done = _call(action, form, batch, request.user)
        except ExchangeError as error:
            form.add_service_error(error)
        else:
            messages.success(request, SUCCESS[action] % {"count": len(done)})
            return redirect("itassets:batch_detail", batch.pk)
    return _render(request, batch, forms, status=400)


@it_manager_required
@require_POST
def batch_add(request, pk: int):
    batch = get_object_or_404(RetirementBatch, pk=pk)
    form = AddAssetsForm(request.POST)
    if form.is_valid():
        found, missing = batch_selectors.assets_by_serials(form.cleaned_data["serials"])
        chosen = list({a.pk: a for a in [*form.cleaned_data["assets"], *found]}.values())
        if missing:
            form.add_error("serials", _("No asset has these serial numbers: %(serials)s.")
                           % {"serials": ", ".join(missing)})
        elif not chosen:
            form.add_error("serials", _("Choose at least one asset."))
        else:
            try:
                items = batches.retire_assets(batch=batch, actor=request.user, assets=chosen)
            except ExchangeError as error:
                form.add_error("serials", error.messages)
            else:
                messages.success(request, _("%(count)s item(s) retired into the batch.")
                                 % {"count": len(items)})
                return redirect("itassets:batch_detail", batch.pk)
    return _render(request, batch, _forms(batch), add_form=form, status=400)


@it_manager_required
@require_GET
def batch_certificate(request, pk: int):
    batch = get_object_or_404(RetirementBatch, pk=pk)
    content = batch_documents.erasure_certificate_pdf(
        authority=request.tenant, batch=batch, rows=batch_selectors.item_rows(batch),
        issued_by=request.user.full_name or request.user.email)
    return _pdf(content, batch_documents.certificate_filename(request.tenant, batch))


@it_manager_required
@require_GET
def batch_document(request, pk: int, reference: str):
    """A donation's transfer record or a recycling's removal slip, by its reference."""
    batch = get_object_or_404(RetirementBatch, pk=pk)
    exits = batch_selectors.exits_of(batch, reference)
    if not exits or exits[0].kind not in (ExitKind.DONATION, ExitKind.RECYCLING):
        raise Http404
    if exits[0].kind == ExitKind.DONATION:
        return _pdf(batch_documents.donation_record_pdf(authority=request.tenant, exits=exits),
                    batch_documents.donation_filename(request.tenant, reference))
    return _pdf(batch_documents.removal_slip_pdf(authority=request.tenant, exits=exits),
                batch_documents.removal_slip_filename(request.tenant, reference))
