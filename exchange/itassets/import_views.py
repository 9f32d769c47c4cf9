"""The inventory import's pages (issue 19): upload a CSV or XLSX export → confirm which
column fills which field, preview (every line's errors) → import all lines or none; and
the register's CSV export, in the columns the import reads. Only whoever manages the
register (accounts.permissions.can_manage_it_assets) opens them.

The uploaded sheet waits in the session between the steps, with a token that the
columns page posts back: a file uploaded meanwhile in another tab is never imported
under a preview of the first one."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import it_manager_required
from core.tables import Table
from exchange.itassets import imports, selectors
from exchange.itassets.import_forms import ColumnsForm, InventoryUploadForm, columns_initial
from exchange.itassets.models import ITImport
from exchange.listings.errors import ExchangeError

SESSION_KEY = "it_import"
PREVIEW_ROWS = 20
ERRORS_SHOWN = 500


@it_manager_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    status = 200
    if request.method == "POST":
        form = InventoryUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                table = imports.read_inventory(upload.name,
                                               upload.read(imports.LIMITS.max_bytes + 1))
            except ValidationError as refused:
                for message in refused.messages:
                    form.add_error("file", message)
            else:
                request.session[SESSION_KEY] = {"name": upload.name[:200],
                                                "token": secrets.token_hex(8),
                                                "table": table.as_session()}
                return redirect("itassets:import_columns")
        status = 400
    else:
        form = InventoryUploadForm()
    return render(request, "itassets/import_upload.html", {
        "form": form, "recent": ITImport.objects.select_related("actor")[:5]},
        status=status)


@it_manager_required
@require_http_methods(["GET", "POST"])
def import_columns(request):
    stored = request.session.get(SESSION_KEY)
    if not stored:
        messages.error(request, _("Upload the file to import first."))
        return redirect("itassets:import_upload")
    table = Table.from_session(stored["table"])
    if request.method == "POST" and request.POST.get("token") != stored.get("token"):
        messages.error(request, _("Another file was uploaded since: check its columns and "
                                  "its preview again."))
        return redirect("itassets:import_columns")
    preview, status = None, 200
    if request.method == "POST":
        form = ColumnsForm(request.POST, headers=table.headers)
        if form.is_valid():
            mapping = form.mapping()
            if request.POST.get("action") == "import":
                try:
                    record = imports.import_assets(actor=request.user, table=table,
                                                   mapping=mapping, file_name=stored["name"])
                except imports.ImportRefused as refused:
                    preview, status = refused.preview, 400
                except ExchangeError as error:
                    form.add_error(None, error.messages)
                    status = 400
                else:
                    del request.session[SESSION_KEY]
                    messages.success(request, _("Import done: %(n)s asset(s) added to the "
                                                "register.") % {"n": record.asset_count})
                    return redirect("itassets:asset_list")
            else:
                preview = imports.build_preview(table, mapping)
                status = 200 if preview.is_valid else 400
        else:
            status = 400
    else:
        form = ColumnsForm(initial=columns_initial(imports.propose_mapping(
            table.headers, imports.saved_columns())), headers=table.headers)
    return render(request, "itassets/import_columns.html", {
        "form": form, "preview": preview, "name": stored["name"], "token": stored["token"],
        "headers": table.headers, "sample": table.rows[:5],
        "line_count": sum(1 for _row in table.numbered_rows()),
        "preview_rows": list(zip(preview.lines, preview.assets, strict=True))[:PREVIEW_ROWS]
        if preview else [],
        "errors": preview.errors[:ERRORS_SHOWN] if preview else [],
        "errors_hidden": max(0, len(preview.errors) - ERRORS_SHOWN) if preview else 0,
    }, status=status)


@it_manager_required
@require_GET
def register_export(request):
    """The whole register as CSV (the columns the import proposes by default)."""
    text = imports.export_csv(selectors.assets().order_by("pk"))
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="collectivrecup-{request.tenant.slug}-parc-informatique.csv"')
    return response
