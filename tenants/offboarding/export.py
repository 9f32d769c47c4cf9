"""The complete export of one authority, as a ZIP (format: README.md inside, and
docs/operations.md "Offboarding").

    README.md                      the format, in French and English
    manifest.json                  tables, columns and types, row counts, sequences,
                                   media, and the size and sha256 of every other file
    tables/<table>.csv|.json       every table of the authority's schema, except the
                                   credentials (withheld.py)
    public/<table>.csv|.json       its rows in the public schema (authority, domains,
                                   statistics facts, …: every table with a foreign key
                                   to the authority), credentials emptied
    media/<path>                   its media files, with their storage paths

Tables are found in pg_catalog (catalog.py), so tables added later are exported too.
Credentials never are: sessions, API tokens, password hashes (the column is exported
empty), lockout records, key hashes and secrets are withheld by the one list in
withheld.py, and the manifest says what was withheld and why.
`services.request_export` records the request and queues `build_export` (the task
`tenants.build_authority_export`, tasks.py) after commit; the task stores its progress on
the AuthorityExport row as it goes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone

from tenants.crossing import PlatformWork, in_authority, in_public
from tenants.models import Authority, AuthorityExport, ExportStatus, OperatorAction
from tenants.offboarding import catalog, withheld

log = logging.getLogger(__name__)

FORMAT = "collectivrecup-authority-export"
# 2: credentials withheld (withheld.py), `withheld` section in the manifest.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
CHUNK = 1024 * 1024


# --- Writing the ZIP --------------------------------------------------------------------

class _HashingWriter:
    """Writes one ZIP member while counting its bytes and hashing them."""

    def __init__(self, stream):
        self.stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data) -> None:
        data = bytes(data)
        self.digest.update(data)
        self.size += len(data)
        self.stream.write(data)


@dataclass
class _Archive:
    zip: zipfile.ZipFile
    files: dict[str, dict] = field(default_factory=dict)

    def member(self, name: str, chunks: Iterator[bytes]) -> None:
        with self.zip.open(name, "w", force_zip64=True) as stream:
            writer = _HashingWriter(stream)
            for chunk in chunks:
                writer.write(chunk)
        self.files[name] = {"size": writer.size, "sha256": writer.digest.hexdigest()}


def _copy_csv(sql: str) -> Iterator[bytes]:
    """COPY … TO STDOUT as CSV with a header line (NULL = empty unquoted field)."""
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')"
    ) as copy:
        yield from copy


def _json_rows(sql: str) -> Iterator[bytes]:
    """The rows as one JSON array of objects (row_to_json), streamed."""
    yield b"["
    first = True
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY (SELECT row_to_json(t)::text FROM ({sql}) AS t) TO STDOUT") as copy:  # noqa: S608
        copy.set_types(["text"])
        for (row,) in copy.rows():
            yield (b"\n" if first else b",\n") + row.encode()
            first = False
    yield b"\n]\n"


def _count(table: catalog.Table, where: str = "") -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table.qualified} {where}")  # noqa: S608
        return cursor.fetchone()[0]


def _describe(table: catalog.Table) -> list[dict]:
    return [{"name": c.name, "type": c.type, "generated": c.generated}
            for c in table.columns]


def _media_files(path: str = "") -> Iterator[str]:
    """Every file of the current schema's media, recursively (storage paths)."""
    directories, files = default_storage.listdir(path)
    for name in sorted(files):
        yield f"{path}/{name}" if path else name
    for directory in sorted(directories):
        yield from _media_files(f"{path}/{directory}" if path else directory)


def _read(stream) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


def write_export(authority: Authority, target,
                 progress: Callable[[int], None] = lambda percent: None) -> dict:
    """Write the export of `authority` as a ZIP into the binary file `target`.

    Returns the manifest. `progress` receives a percentage now and then.
    """
    schema = authority.schema_name
    ground = PlatformWork("export")
    all_tables = catalog.tables(schema)
    schema_tables = [t for t in all_tables if not withheld.is_withheld_table(t.name)]
    references = [(name, columns) for name, columns
                  in catalog.authority_references(Authority._meta.db_table)
                  if not withheld.is_withheld_table(name)]
    with in_authority(authority, ground=ground):
        media = list(_media_files())
    steps = max(1, len(schema_tables) + len(references) + 1 + len(media))
    done = 0

    def step(count: int = 1) -> None:
        nonlocal done
        done += count
        progress(min(99, done * 100 // steps))

    manifest = {
        "format": FORMAT, "version": FORMAT_VERSION,
        "created_at": timezone.now().isoformat(),
        "authority": {"slug": authority.slug, "name": authority.name, "schema": schema},
        "tables": [], "public": [], "sequences": [], "media": [],
        "withheld": withheld.manifest_section(
            {t.name for t in all_tables} | {name for name, _columns in references}),
    }
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive_zip:
        archive = _Archive(archive_zip)
        for table in schema_tables:
            csv_name, json_name = f"tables/{table.name}.csv", f"tables/{table.name}.json"
            emptied = withheld.withheld_columns(table.name)
            archive.member(csv_name, _copy_csv(table.select(table.stored_columns,
                                                            replace=emptied)))
            archive.member(json_name, _json_rows(table.select(replace=emptied)))
            manifest["tables"].append({
                "name": table.name, "rows": _count(table), "columns": _describe(table),
                "primary_key": list(table.primary_key), "csv": csv_name, "json": json_name,
            })
            step()
        manifest["sequences"] = [
            {"table": s.table, "column": s.column, "last_value": s.last_value,
             "is_called": s.is_called} for s in catalog.sequences(schema)
            if not withheld.is_withheld_table(s.table)]

        public_tables = {t.name: t for t in catalog.tables("public")}
        selections = [(Authority._meta.db_table, ("id",)), *references]
        for name, columns in selections:
            table = public_tables[name]
            where = "WHERE " + " OR ".join(f"{catalog.quote(c)} = {int(authority.pk)}"
                                           for c in columns)
            csv_name, json_name = f"public/{name}.csv", f"public/{name}.json"
            emptied = withheld.withheld_columns(name)
            archive.member(csv_name, _copy_csv(table.select(table.stored_columns, where,
                                                            replace=emptied)))
            archive.member(json_name, _json_rows(table.select(where=where, replace=emptied)))
            manifest["public"].append({
                "name": name, "rows": _count(table, where), "columns": _describe(table),
                "filter": " OR ".join(f"{c} = {authority.pk}" for c in columns),
                "csv": csv_name, "json": json_name,
            })
            step()

        with in_authority(authority, ground=ground):
            for path in media:
                with default_storage.open(path, "rb") as stream:
                    archive.member(f"media/{path}", _read(stream))
                manifest["media"].append({"path": path, "file": f"media/{path}"})
                step()

        readme = render_to_string("tenants/offboarding/README.md", {
            "manifest": manifest, "authority": authority,
        }).encode()
        archive.member("README.md", iter([readme]))
        manifest["files"] = archive.files
        archive_zip.writestr("manifest.json",
                             json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


# --- The task body, and reads -----------------------------------------------------------

def _set(export_id: int, **fields) -> None:
    AuthorityExport.objects.filter(pk=export_id).update(**fields)


def build_export(export_id: int) -> AuthorityExport:
    """Build export `export_id` (the Celery task's body), in the public schema.

    The ZIP is written to a temporary file, then saved in the default storage as
    `exports/<schema>/<schema>-<date>-<random>.zip` under the public schema's media.
    A failure marks the export failed (the error's type only: no data in messages).
    """
    with in_public(purpose="build an export"):
        export = AuthorityExport.objects.select_related("authority").get(pk=export_id)
        if export.status != ExportStatus.PENDING:
            return export  # delivered twice (acks_late): the first delivery owns it
        _set(export_id, status=ExportStatus.RUNNING, progress=0)
        authority = export.authority
        try:
            with tempfile.TemporaryFile(dir=getattr(settings, "EXPORT_TMP_DIR", None)) as tmp:
                write_export(authority, tmp,
                             progress=lambda percent: _set(export_id, progress=percent))
                connection.set_schema_to_public()
                tmp.seek(0)
                digest = hashlib.sha256()
                for chunk in _read(tmp):
                    digest.update(chunk)
                size = tmp.tell()
                tmp.seek(0)
                stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
                name = default_storage.save(
                    f"exports/{authority.schema_name}/{authority.schema_name}-{stamp}-"
                    f"{secrets.token_hex(8)}.zip", File(tmp))
        except Exception as error:
            connection.set_schema_to_public()
            log.exception("export %s of authority %s failed", export_id, authority.slug)
            _set(export_id, status=ExportStatus.FAILED, error=type(error).__name__,
                 finished_at=timezone.now())
            raise
        _set(export_id, status=ExportStatus.DONE, progress=100, file_name=name, size=size,
             sha256=digest.hexdigest(), finished_at=timezone.now())
        export.refresh_from_db()
        return export


def exports_of(authority: Authority):
    """The authority's exports, newest first (public schema)."""
    with in_public(purpose="list an authority's exports"):
        return list(AuthorityExport.objects.filter(authority=authority)
                    .select_related("authority")[:20])


@dataclass(frozen=True)
class Download:
    """One audited download of one of an authority's exports."""

    at: object  # datetime
    export_id: int
    by_operator: bool
    user_id: int | None  # the administrator's account in the authority's schema


def downloads_of(authority: Authority, limit: int = 20) -> list[Download]:
    """The latest downloads of `authority`'s exports, newest first, from the audit log
    (so that its administrators see who took their data, and when)."""
    with in_public(purpose="list an authority's export downloads"):
        lines = (OperatorAction.objects.filter(authority=authority, action="export_downloaded")
                 .values_list("created_at", "details")[:limit])
        return [Download(at=at, export_id=details.get("export"),
                         by_operator=details.get("by") == "operator",
                         user_id=details.get("user_id")) for at, details in lines]


def latest_done_export(authority: Authority) -> AuthorityExport | None:
    with in_public(purpose="find an authority's latest export"):
        return (AuthorityExport.objects.filter(authority=authority, status=ExportStatus.DONE)
                .order_by("-finished_at").first())
