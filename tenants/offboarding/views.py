"""Export pages: the authority administrator's (on its host) and the operator's (console).

Both go through the same services (services.py, deletion.py); each view checks its role,
and an export is always looked up with its authority, so one authority's administrator
can never reach another's export.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.permissions import authority_admin_required, operator_required
from tenants.models import Authority, AuthorityExport
from tenants.offboarding.deletion import DeletionError, delete_authority_data
from tenants.offboarding.export import downloads_of, exports_of
from tenants.offboarding.services import ExportError, open_export, request_export


def _export_of(authority: Authority, pk: int) -> AuthorityExport:
    try:
        return AuthorityExport.objects.select_related("authority").get(pk=pk,
                                                                       authority=authority)
    except AuthorityExport.DoesNotExist as error:
        raise Http404 from error


def _download(request, export: AuthorityExport, *, by_operator: bool) -> FileResponse:
    """The ZIP as an attachment; the download is audited (who, when, which export)."""
    try:
        stream = open_export(export, user=request.user, by_operator=by_operator)
    except ExportError as error:
        raise Http404 from error
    return FileResponse(stream, as_attachment=True, filename=export.download_name,
                        content_type="application/zip")


def _request(request, authority: Authority, *, by_operator: bool):
    try:
        request_export(authority, user=request.user, by_operator=by_operator)
    except ExportError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The export is being prepared. This page shows its "
                                    "progress; the file can be downloaded when it is ready."))


# --- The authority administrator, on the authority's host -----------------------------

@authority_admin_required
@require_GET
def admin_exports(request):
    """The authority's exports and who downloaded them (names read in its own schema)."""
    downloads = downloads_of(request.tenant)
    names = {user.pk: str(user) for user in User.objects.filter(
        pk__in={d.user_id for d in downloads if d.user_id})}
    return render(request, "tenants/offboarding/admin_exports.html", {
        "exports": exports_of(request.tenant), "section": "export",
        "downloads": [(download, names.get(download.user_id)) for download in downloads],
    })


@authority_admin_required
@require_POST
def admin_export_request(request):
    _request(request, request.tenant, by_operator=False)
    return redirect("offboarding:exports")


@authority_admin_required
@require_GET
def admin_export_row(request, pk: int):
    """One export's line, polled by htmx while it is being built."""
    return render(request, "tenants/offboarding/_export_row.html", {
        "export": _export_of(request.tenant, pk), "operator": False,
    })


@authority_admin_required
@require_GET
def admin_export_download(request, pk: int):
    return _download(request, _export_of(request.tenant, pk), by_operator=False)


# --- The operator, on the console --------------------------------------------------------

def _authority(slug: str) -> Authority:
    return get_object_or_404(Authority.all_objects.exclude(schema_name="public"), slug=slug)


@operator_required
@require_POST
def operator_export_request(request, slug: str):
    authority = _authority(slug)
    _request(request, authority, by_operator=True)
    return redirect("operator:authority_detail", slug=authority.slug)


@operator_required
@require_GET
def operator_export_row(request, slug: str, pk: int):
    return render(request, "tenants/offboarding/_export_row.html", {
        "export": _export_of(_authority(slug), pk), "operator": True,
    })


@operator_required
@require_GET
def operator_export_download(request, slug: str, pk: int):
    return _download(request, _export_of(_authority(slug), pk), by_operator=True)


@operator_required
@require_POST
def operator_delete_data(request, slug: str):
    """Drop the schema and media of a closed authority that has an export (typed slug)."""
    authority = _authority(slug)
    try:
        delete_authority_data(authority, actor=request.user,
                              confirmation=request.POST.get("confirmation", ""))
    except DeletionError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The authority's data is deleted. Its exports and "
                                    "anonymised statistics remain."))
    return redirect("operator:authority_detail", slug=authority.slug)
