"""Deleting an authority's data once it has left: its schema and its media.

Only the anonymised statistics facts (analytics.TransferFact: no person, no free text)
and the authority's own row stay in the public schema, with its exports (files under
`exports/<schema>/` of the public media) so that the data can still be handed back.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from ..audit import record_action
from ..models import Authority, AuthorityStatus, ExportStatus
from . import catalog
from .export import _media_files

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
    with schema_context(schema):
        paths = list(_media_files())
        for path in paths:
            default_storage.delete(path)
        location = getattr(default_storage, "location", None)
        if location and Path(location).name == schema and Path(location).is_dir():
            shutil.rmtree(location, ignore_errors=True)  # the emptied folders
    return len(paths)


def delete_authority_data(authority: Authority, *, actor, confirmation: str) -> int:
    """Drop the authority's schema and delete its media, after checks; audited.

    Returns the number of media files deleted. The schema is dropped in a transaction
    (all or nothing); media go after commit, so a failure never leaves rows without
    their files.
    """
    with schema_context(settings.PUBLIC_SCHEMA_NAME), transaction.atomic():
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
        record_action(actor, "data_deleted", authority, schema=schema)
    deleted = _delete_media(schema)
    log.info("Authority %s: schema and %s media files deleted", authority.slug, deleted)
    return deleted
