"""The way back: restore an export (export.py) into a NEW authority.

`manage.py import_authority <zip> --slug … [--name …] [--siren …]`:
1. checks the archive: format, version, the sha256 of every file in the manifest, and
   that it was made with the same migrations as this release (tables and columns must
   match; import an older export with the release that made it, then migrate);
2. creates the authority like onboarding does (schema from the template, domain), then
   empties its tables and loads every table's CSV with COPY (foreign keys are checked at
   commit: Django creates them DEFERRABLE INITIALLY DEFERRED), sets every sequence to
   its exported state, and writes the media files back under the new schema;
3. restores the authority's factor overrides and rebuilds its statistics facts from
   its transfers (facts are derived data), all in one transaction.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from ..audit import record_action
from ..models import Authority, AuthorityStatus
from . import catalog
from .export import CHUNK, FORMAT, FORMAT_VERSION


class RestoreError(ValidationError):
    """The archive cannot be imported; the message says why, in the user's language."""


def _manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError) as error:
        raise RestoreError(_("This file is not an authority export (no manifest).")) from error
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise RestoreError(_("Unknown export format or version."))
    return manifest


def verify(archive: zipfile.ZipFile, manifest: dict) -> None:
    """Every file listed in the manifest is present with its size and sha256."""
    for name, expected in manifest["files"].items():
        digest, size = hashlib.sha256(), 0
        try:
            with archive.open(name) as stream:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        except KeyError as error:
            raise RestoreError(_("The archive lacks %(file)s.") % {"file": name}) from error
        if size != expected["size"] or digest.hexdigest() != expected["sha256"]:
            raise RestoreError(_("%(file)s is damaged (its checksum differs).")
                               % {"file": name})


def _rows(archive: zipfile.ZipFile, name: str) -> list[dict]:
    with archive.open(name) as stream:
        return json.load(stream)


def _exported_migrations(archive: zipfile.ZipFile) -> set[tuple[str, str]]:
    with archive.open("tables/django_migrations.csv") as stream:
        reader = csv.DictReader(io.TextIOWrapper(stream, encoding="utf-8"))
        return {(row["app"], row["name"]) for row in reader}


def _check_schema_matches(manifest: dict, archive: zipfile.ZipFile, schema: str) -> None:
    """Same migrations, same tables, same columns: rows can be loaded as they are."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT app, name FROM {catalog.quote(schema)}.django_migrations")  # noqa: S608
        current = {tuple(row) for row in cursor.fetchall()}
    exported = _exported_migrations(archive)
    if exported != current:
        raise RestoreError(_(
            "This export was made with other migrations than this release (%(missing)s "
            "missing, %(extra)s unknown). Import it with the release that made it, then "
            "migrate.") % {"missing": len(current - exported), "extra": len(exported - current)})
    here = {t.name: t for t in catalog.tables(schema)}
    for entry in manifest["tables"]:
        table = here.get(entry["name"])
        columns = [(c["name"], c["type"]) for c in entry["columns"]]
        if table is None or [(c.name, c.type) for c in table.columns] != columns:
            raise RestoreError(_("Table %(table)s differs from this release's.")
                               % {"table": entry["name"]})


def _load_table(archive: zipfile.ZipFile, schema: str, entry: dict) -> None:
    columns = ", ".join(catalog.quote(c["name"]) for c in entry["columns"]
                        if not c["generated"])
    target = f"{catalog.quote(schema)}.{catalog.quote(entry['name'])}"
    sql = f"COPY {target} ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')"
    with (connection.cursor() as cursor, archive.open(entry["csv"]) as stream,
          cursor.cursor.copy(sql) as copy):
        while chunk := stream.read(CHUNK):
            copy.write(chunk)


def _restore_sequences(schema: str, sequences: list[dict]) -> None:
    with connection.cursor() as cursor:
        for sequence in sequences:
            table = f"{catalog.quote(schema)}.{catalog.quote(sequence['table'])}"
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, %s), %s, %s)",
                           [table, sequence["column"], sequence["last_value"],
                            sequence["is_called"]])


def _restore_media(archive: zipfile.ZipFile, schema: str, media: list[dict]) -> None:
    with schema_context(schema):
        for item in media:
            with archive.open(item["file"]) as stream:
                saved = default_storage.save(item["path"], File(stream, name=item["path"]))
            if saved != item["path"]:
                raise RestoreError(_("A media file already exists at %(path)s.")
                                   % {"path": item["path"]})


def _restore_public(archive: zipfile.ZipFile, manifest: dict, authority: Authority) -> None:
    """Factor overrides back under the new authority; facts rebuilt from the transfers."""
    from analytics.facts import rebuild_facts
    from analytics.models import FactorOverride

    names = {entry["name"]: entry for entry in manifest["public"]}
    override_table = FactorOverride._meta.db_table
    if override_table in names:
        for row in _rows(archive, names[override_table]["json"]):
            FactorOverride.objects.create(
                authority=authority, reference_code=row["reference_code"],
                weight_kg=row["weight_kg"], co2e_kg_per_item=row["co2e_kg_per_item"],
                source=row["source"])
    rebuild_facts(authority)


def import_authority(path: str | Path, *, slug: str, name: str = "", siren: str = "",
                     status: str = AuthorityStatus.TRIAL, actor=None) -> Authority:
    """Restore the export at `path` into a new authority `slug`; returns it.

    `name` and `siren` default to the exported authority's (a SIREN can belong to one
    authority only: give another one while the original still exists). Raises
    RestoreError (or the onboarding ValidationError) before anything is kept.
    """
    from ..provisioning import prepare_template
    from ..services import create_authority

    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise RestoreError(_("This file is not a ZIP archive.")) from error
    with archive:
        manifest = _manifest(archive)
        verify(archive, manifest)
        names = {entry["name"]: entry for entry in manifest["public"]}
        original = _rows(archive, names[Authority._meta.db_table]["json"])[0]
        prepare_template()
        with schema_context(settings.PUBLIC_SCHEMA_NAME), transaction.atomic():
            authority = create_authority(
                name=name or original["name"], kind=original["kind"],
                siren=siren or original["siren"], slug=slug,
                email_domains=original["allowed_email_domains"], status=status,
                departement=original.get("departement") or "",
                population=original.get("population"))
            schema = authority.schema_name
            _check_schema_matches(manifest, archive, schema)
            tables = ", ".join(f"{catalog.quote(schema)}.{catalog.quote(t.name)}"
                               for t in catalog.tables(schema))
            with connection.cursor() as cursor:
                # Onboarding seeded categories: check their keys now, then empty every
                # table and load with the foreign-key checks deferred to the end.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
                for entry in manifest["tables"]:
                    _load_table(archive, schema, entry)
                _restore_sequences(schema, manifest["sequences"])
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # fail here, not at commit
            _restore_media(archive, schema, manifest["media"])
            _restore_public(archive, manifest, authority)
            record_action(actor, "authority_imported", authority,
                          source=manifest["authority"]["slug"],
                          exported_at=manifest["created_at"])
    return authority
