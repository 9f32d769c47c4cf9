"""Offboarding requests, audited: an export asked for (its build queued after commit)
and an export downloaded. The archive itself is export.py's, built by the task in
tasks.py; deletion.py and restore.py are the other writes."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.audit import record_action
from tenants.crossing import in_public
from tenants.models import Authority, AuthorityExport, ExportStatus
from tenants.offboarding.tasks import build_authority_export

# An export still pending or running after this long died with its worker: it no longer
# blocks a new request.
STALE_AFTER = timedelta(hours=6)


class ExportError(RuntimeError):
    """The export cannot be made or requested; the message is meant for the user."""


def request_export(authority: Authority, *, user, by_operator: bool) -> AuthorityExport:
    """Record an export request (audited) and queue its build after commit.

    `user` asked: an operator (public-schema user, the audit line's actor) or one of
    the authority's administrators (recorded by account id and role: no personal data
    in the audit log; the export row keeps the requester's e-mail for the page).
    Raises ExportError for the platform's row or an authority whose data is deleted,
    or while another export of the authority is being built.
    """
    if authority.is_public or authority.data_deleted_at:
        raise ExportError(_("This authority has no data to export."))
    with in_public(purpose="record an export request"), transaction.atomic():
        Authority.all_objects.select_for_update().get(pk=authority.pk)
        if authority.exports.filter(
                status__in=[ExportStatus.PENDING, ExportStatus.RUNNING],
                created_at__gte=timezone.now() - STALE_AFTER).exists():
            raise ExportError(_("An export of this authority is already being prepared."))
        export = AuthorityExport.objects.create(authority=authority, requested_by=user.email,
                                                by_operator=by_operator)
        actor, who = _audited_by(user, by_operator)
        record_action(actor, "export_requested", authority, export=export.pk, **who)
        transaction.on_commit(lambda: build_authority_export.delay(export.pk))
    return export


def _audited_by(user, by_operator: bool) -> tuple[object, dict]:
    """(actor, details) naming who acted: the operator as the log's actor; an
    authority's administrator by its account id in the authority's schema and its role
    (no e-mail or name in the public audit log)."""
    if by_operator:
        return user, {"by": "operator"}
    return None, {"by": "authority_admin", "user_id": getattr(user, "pk", None)}


def open_export(export: AuthorityExport, *, user, by_operator: bool):
    """The export's file opened for reading, and the download written to the audit
    log (who, which export, its checksum; the log line's date says when)."""
    if export.status != ExportStatus.DONE or not export.file_name:
        raise ExportError(_("This export is not ready."))
    actor, who = _audited_by(user, by_operator)
    with in_public(purpose="download an export"):
        try:
            stream = default_storage.open(export.file_name, "rb")
        except FileNotFoundError as error:
            raise ExportError(_("This export's file is missing.")) from error
        record_action(actor, "export_downloaded", export.authority, export=export.pk,
                      sha256=export.sha256, **who)
    return stream
