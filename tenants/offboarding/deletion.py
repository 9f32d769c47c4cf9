"""Deleting an authority's data once it has left: its schema, its media, and every
copy of its data in the public schema that would be served to others.

Removed from the public schema (`withdraw_from_shared_surfaces`), by what each app
declares it keeps about an authority (public_data.py, filled from the apps'
AppConfig.ready()): its catalogue entries (what other authorities and partners read,
including partner offers: exchange.catalogue), its webhook deliveries (payloads copied
from its listings, sent or waiting to be sent), its partners' waiting requests
(declined), its partner grants and the keys its admins created (revoked:
exchange.partners), its sharing agreements (ended) and network memberships (left:
exchange.sharing), and its consent to be named on the public impact page (analytics).

Only the anonymised statistics facts (analytics.TransferFact: no person, no free text)
and the authority's own row stay in the public schema, with its exports (files under
`exports/<schema>/` of the public media) so that the data can still be handed back.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.audit import record_action
from tenants.crossing import in_dropped_schema, in_public
from tenants.models import Authority, AuthorityStatus, ExportStatus
from tenants.offboarding import catalog
from tenants.offboarding.export import _media_files
from tenants.offboarding.public_data import Withdrawal, withdraw_everywhere

log = logging.getLogger(__name__)


class DeletionError(ValidationError):
    """The deletion is refused; the message is meant for the operator."""


def check_deletable(authority: Authority, confirmation: str) -> None:
    """Raise DeletionError unless the authority's data may be deleted now."""
    if authority.is_public:
        raise DeletionError(_("The platform itself cannot be deleted."))
    if authority.data_deleted_at:
        raise DeletionError(_("This authority's data is already deleted."))
    if authority.status != AuthorityStatus.CLOSED:
        raise DeletionError(_("Only a closed authority's data can be deleted."))
    if not authority.exports.filter(status=ExportStatus.DONE).exists():
        raise DeletionError(_("Make a complete export of the authority first."))
    if (confirmation or "").strip() != authority.slug:
        raise DeletionError(_("Type the authority's address (%(slug)s) to confirm.")
                            % {"slug": authority.slug})


def _delete_media(schema: str) -> int:
    """Delete every media file of `schema`; returns the number deleted."""
    with in_dropped_schema(schema, purpose="delete an authority's media"):
        paths = list(_media_files())
        for path in paths:
            default_storage.delete(path)
        location = getattr(default_storage, "location", None)
        if location and Path(location).name == schema and Path(location).is_dir():
            shutil.rmtree(location, ignore_errors=True)  # the emptied folders
    return len(paths)


def withdraw_from_shared_surfaces(authority: Authority) -> dict[str, int]:
    """Remove or close every public-schema row that serves `authority`'s data to
    others, as each app declared (public_data.py); returns how many rows of each kind
    changed (for the audit log). Anonymised statistics facts are kept."""
    return withdraw_everywhere(authority, Withdrawal(at=timezone.now()))


def delete_authority_data(authority: Authority, *, actor, confirmation: str) -> int:
    """Drop the authority's schema and delete its media, after checks; audited.

    Returns the number of media files deleted. The schema is dropped and the public
    copies of its data are withdrawn in one transaction (all or nothing); media go
    after commit, so a failure never leaves rows without their files.
    """
    with in_public(purpose="delete an authority's data"), transaction.atomic():
        authority = Authority.all_objects.select_for_update().get(pk=authority.pk)
        check_deletable(authority, confirmation)
        schema = authority.schema_name
        if catalog.schema_exists(schema):
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks left
                cursor.execute(f"DROP SCHEMA {catalog.quote(schema)} CASCADE")
        # Not save(): TenantMixin.save() would create the missing schema again.
        authority.data_deleted_at = timezone.now()
        Authority.all_objects.filter(pk=authority.pk).update(
            data_deleted_at=authority.data_deleted_at)
        withdrawn = withdraw_from_shared_surfaces(authority)
        record_action(actor, "data_deleted", authority, schema=schema, withdrawn=withdrawn)
    deleted = _delete_media(schema)
    log.info("Authority %s: schema and %s media files deleted", authority.slug, deleted)
    return deleted
