"""The way back: restore an export (export.py) into a NEW authority.

`manage.py import_authority <zip> --slug … [--name …] [--siren …]`:
1. checks the archive: format, version, the sha256 of every file in the manifest, and
   that it was made with the same migrations as this release (tables and columns must
   match; import an older export with the release that made it, then migrate);
2. creates the authority like onboarding does (schema from the template, domain), then
   empties its tables and loads every table's CSV with COPY (foreign keys are checked at
   commit: Django creates them DEFERRABLE INITIALLY DEFERRED), sets every sequence to
   its exported state, and writes the media files back under the new schema;
3. brings back what the apps keep about it in the public schema, as each declared
   (public_data.py: its factor overrides, then its statistics facts rebuilt from its
   transfers, facts being derived data), all in one transaction;
4. gives every account an unusable password (exports carry no password hashes, and an
   older archive's hashes are overwritten) and, after commit, e-mails each active user
   a one-time link to choose a new one on the new authority's host (Django's password
   reset token and confirmation page). Credential tables (withheld.py) stay empty.
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
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from accounts.models import User
from core.links import authority_host
from core.mail import after_commit_in_language
from tenants.audit import record_action
from tenants.crossing import PlatformWork, in_authority, in_public
from tenants.models import Authority, AuthorityStatus
from tenants.offboarding import catalog, withheld
from tenants.offboarding.export import CHUNK, FORMAT, READABLE_VERSIONS
from tenants.offboarding.public_data import restore_everywhere
from tenants.provisioning import prepare_template
from tenants.services import create_authority, invitation_url

GROUND = PlatformWork("import an export")


class RestoreError(ValidationError):
    """The archive cannot be imported; the message says why, in the user's language."""


def _manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError) as error:
        raise RestoreError(_("This file is not an authority export (no manifest).")) from error
    if manifest.get("format") != FORMAT or manifest.get("version") not in READABLE_VERSIONS:
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
    for entry in _loadable(manifest):
        table = here.get(entry["name"])
        columns = [(c["name"], c["type"]) for c in entry["columns"]]
        if table is None or [(c.name, c.type) for c in table.columns] != columns:
            raise RestoreError(_("Table %(table)s differs from this release's.")
                               % {"table": entry["name"]})


def _loadable(manifest: dict) -> list[dict]:
    """The manifest's tables that are loaded: never a credential table, even from an
    archive made before they were withheld (format version 1)."""
    return [entry for entry in manifest["tables"]
            if not withheld.is_withheld_table(entry["name"])]


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
            if withheld.is_withheld_table(sequence["table"]):
                continue
            table = f"{catalog.quote(schema)}.{catalog.quote(sequence['table'])}"
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, %s), %s, %s)",
                           [table, sequence["column"], sequence["last_value"],
                            sequence["is_called"]])


def _restore_media(archive: zipfile.ZipFile, authority: Authority, media: list[dict]) -> None:
    with in_authority(authority, ground=GROUND):
        for item in media:
            with archive.open(item["file"]) as stream:
                saved = default_storage.save(item["path"], File(stream, name=item["path"]))
            if saved != item["path"]:
                raise RestoreError(_("A media file already exists at %(path)s.")
                                   % {"path": item["path"]})


def _restore_public(archive: zipfile.ZipFile, manifest: dict, authority: Authority) -> None:
    """The apps' public rows that are data brought back under the new authority, then
    what they derive rebuilt (public_data.py: factor overrides copied, statistics facts
    rebuilt from the transfers)."""
    names = {entry["name"]: entry for entry in manifest["public"]}

    def rows(table: str) -> list[dict]:
        return _rows(archive, names[table]["json"]) if table in names else []

    restore_everywhere(authority, rows)


def _empty_withheld_columns(schema: str, loaded: list[str]) -> None:
    """Withheld columns hold their export value ('' for passwords) even when an older
    archive carried the real one."""
    with connection.cursor() as cursor:
        for table in loaded:
            emptied = withheld.withheld_columns(table)
            if emptied:
                assignments = ", ".join(f"{catalog.quote(column)} = {expression}"
                                        for column, expression in emptied.items())
                cursor.execute(f"UPDATE {catalog.quote(schema)}.{catalog.quote(table)} "  # noqa: S608
                               f"SET {assignments}")


def _lock_accounts(authority: Authority) -> list[tuple[str, str]]:
    """Every account gets an unusable password; returns (e-mail, one-time link to
    choose a new one) for each active user. Runs inside the import's transaction."""
    host = authority_host(authority.slug)
    with in_authority(authority, ground=GROUND):
        users = list(User.objects.order_by("pk"))
        for user in users:
            user.set_unusable_password()
        User.objects.bulk_update(users, ["password"], batch_size=500)
        return [(user.email, invitation_url(user, host)) for user in users if user.is_active]


def _send_password_links(links: list[tuple[str, str]], authority: Authority) -> None:
    """One e-mail per active user with its link (sent after commit, one connection)."""
    context = {"authority_name": authority.name, "host": authority_host(authority.slug)}
    subject = render_to_string("tenants/email/restored_account_subject.txt", context).strip()
    messages = [EmailMessage(subject=subject, to=[email],
                             body=render_to_string("tenants/email/restored_account_body.txt",
                                                   {**context, "link": link}))
                for email, link in links]
    with get_connection() as mail:
        mail.send_messages(messages)


def import_authority(path: str | Path, *, slug: str, name: str = "", siren: str = "",
                     status: str = AuthorityStatus.TRIAL, actor=None) -> Authority:
    """Restore the export at `path` into a new authority `slug`; returns it.

    `name` and `siren` default to the exported authority's (a SIREN can belong to one
    authority only: give another one while the original still exists). Raises
    RestoreError (or the onboarding ValidationError) before anything is kept.
    Restored accounts cannot sign in with their old password: each active user is
    e-mailed a link to choose a new one once the import is committed.
    """
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
        with in_public(purpose="import an export"), transaction.atomic():
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
                loaded = _loadable(manifest)
                for entry in loaded:
                    _load_table(archive, schema, entry)
                _empty_withheld_columns(schema, [entry["name"] for entry in loaded])
                _restore_sequences(schema, manifest["sequences"])
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # fail here, not at commit
            _restore_media(archive, authority, manifest["media"])
            _restore_public(archive, manifest, authority)
            links = _lock_accounts(authority)
            record_action(actor, "authority_imported", authority,
                          source=manifest["authority"]["slug"],
                          exported_at=manifest["created_at"], password_links=len(links))

            # The users' language, not the operator's shell's: French first.
            after_commit_in_language(_send_password_links, links, authority,
                                     language=settings.LANGUAGE_CODE)
    return authority
