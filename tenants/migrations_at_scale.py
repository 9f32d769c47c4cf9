"""Migrate many authority schemas: skip those with nothing to apply, migrate the
others in parallel with bounded memory, report per authority.

1. `plan()` reads, in one round trip, which tenant-app migrations of the code's
   graph each authority schema lacks: a UNION ALL over every schema's
   `django_migrations`, built in the database from the public tenants table.
2. `execute()` migrates the pending schemas with django-tenants
   (`migrate_schemas --tenant --schema=…`), one schema per task, in a pool of
   `processes` forked workers that are replaced every `tasks_per_child` tasks
   (memory returned to the system); `processes=1` runs in this process.
A failure is reported for its schema and the others go on.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader

from tenants.models import Authority
from tenants.provisioning import prepare_template

Key = tuple[str, str]  # (app label, migration name)


@dataclass(frozen=True)
class SchemaPlan:
    slug: str
    schema_name: str
    missing: tuple[str, ...]  # "app.name" of the graph's tenant migrations not applied

    @property
    def pending(self) -> bool:
        return bool(self.missing)


@dataclass(frozen=True)
class SchemaResult:
    slug: str
    schema_name: str
    migrations: int
    seconds: float
    error: str | None = None  # "ErrorClass: message"

    def line(self) -> str:
        if self.error:
            return f"{self.slug}: FAILED: {self.error}"
        if not self.migrations:
            return f"{self.slug}: up to date"
        return f"{self.slug}: migrated {self.migrations} migrations in {self.seconds:.2f} s"


def tenant_app_labels() -> set[str]:
    """Labels of the apps listed in TENANT_APPS (entries are module paths)."""
    entries = set(settings.TENANT_APPS)
    return {config.label for config in apps.get_app_configs()
            if config.name in entries or any(e.startswith(config.name + ".apps.")
                                             for e in entries)}


def expected_migrations() -> dict[Key, tuple[Key, ...]]:
    """The graph's migrations of tenant apps, each with the migrations it replaces
    (a squashed migration counts as applied when all of those are)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    labels = tenant_app_labels()
    return {key: tuple(loader.replacements[key].replaces) if key in loader.replacements else ()
            for key in loader.graph.nodes if key[0] in labels}


def _dotted(key: Key) -> str:
    return f"{key[0]}.{key[1]}"


# One round trip: a temporary function (pg_temp, gone with the session) builds the
# UNION ALL over every authority schema's django_migrations from the tenants table and
# returns, per authority, the relevant migrations its schema lacks; the same message
# calls it. (query_to_xml would avoid the function but needs a server built with libxml.)
_PLAN_SQL = """
CREATE OR REPLACE FUNCTION pg_temp.collectivrecup_pending(relevant text[], public_name text)
RETURNS TABLE (slug text, schema_name text, missing text) LANGUAGE plpgsql AS $plan$
DECLARE
    applied_sql text;
BEGIN
    SELECT string_agg(format(
               'SELECT %%L::text AS s, app || ''.'' || name AS k FROM %%I.django_migrations',
               a.schema_name, a.schema_name), ' UNION ALL ')
      INTO applied_sql
      FROM {table} AS a
     WHERE a.schema_name <> public_name
       AND to_regclass(format('%%I.django_migrations', a.schema_name)) IS NOT NULL;
    RETURN QUERY EXECUTE format($q$
        WITH authority AS (
            SELECT a.slug::text AS slug, a.schema_name::text AS s
              FROM {table} AS a WHERE a.schema_name <> $2),
        applied AS (%%s),
        missing AS (
            SELECT authority.s, r.k FROM authority CROSS JOIN unnest($1) AS r(k)
            EXCEPT
            SELECT applied.s, applied.k FROM applied WHERE applied.k = ANY($1))
        SELECT authority.slug, authority.s,
               coalesce(string_agg(missing.k, ' ' ORDER BY missing.k), '')
          FROM authority LEFT JOIN missing ON missing.s = authority.s
         GROUP BY authority.slug, authority.s
         ORDER BY authority.slug$q$,
        coalesce(applied_sql, 'SELECT NULL::text AS s, NULL::text AS k WHERE false'))
    USING relevant, public_name;
END
$plan$;
SELECT * FROM pg_temp.collectivrecup_pending(%s::text[], %s);
"""


def plan() -> list[SchemaPlan]:
    """Every authority with the tenant migrations its schema lacks: one round trip."""
    expected = expected_migrations()
    relevant = sorted({_dotted(k) for k in expected}
                      | {_dotted(r) for replaced in expected.values() for r in replaced})
    table = "public." + connection.ops.quote_name(Authority._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_PLAN_SQL.format(table=table),
                       [relevant, settings.PUBLIC_SCHEMA_NAME])
        while cursor.description is None and cursor.nextset():
            pass
        rows = cursor.fetchall()
    plans = []
    for slug, schema_name, missing_text in rows:
        absent = set(missing_text.split())
        missing = sorted(
            _dotted(key) for key, replaces in expected.items()
            if _dotted(key) in absent
            and (not replaces or any(_dotted(r) in absent for r in replaces)))
        plans.append(SchemaPlan(slug, schema_name, tuple(missing)))
    return plans


def migrate_shared() -> None:
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    connection.set_schema_to_public()


def _migrate_one(item: SchemaPlan) -> SchemaResult:
    """Migrate one schema (in a pool worker or in this process); never raises."""
    started = time.monotonic()
    try:
        call_command("migrate_schemas", schema_name=item.schema_name, tenant=True,
                     interactive=False, verbosity=0)
        error = None
    except Exception as exc:  # reported per schema; the others go on
        error = " ".join(f"{type(exc).__name__}: {exc}".split())  # one line
    try:
        connection.set_schema_to_public()
    except Exception:  # a broken connection: the next task opens a new one
        connection.close()
    return SchemaResult(item.slug, item.schema_name, len(item.missing),
                        time.monotonic() - started, error)


def execute(items: list[SchemaPlan], *, processes: int = 2,
            tasks_per_child: int = 10) -> Iterator[SchemaResult]:
    """Migrate `items`, yielding each result as it comes (in completion order)."""
    if not items:
        return
    if processes <= 1:
        for item in items:
            yield _migrate_one(item)
        return
    connections.close_all()  # no socket shared with the forked children
    context = multiprocessing.get_context("fork")
    with context.Pool(processes=min(processes, len(items)),
                      maxtasksperchild=max(1, tasks_per_child)) as pool:
        yield from pool.imap_unordered(_migrate_one, items)


def keep_template_migrated() -> None:
    prepare_template()  # migrates `_template` when it lacks a leaf migration
    connection.set_schema_to_public()


@dataclass
class Summary:
    up_to_date: int = 0
    migrated: int = 0
    failed: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        return (f"{self.up_to_date + self.migrated + self.failed} authorities: "
                f"{self.up_to_date} up to date, {self.migrated} migrated, "
                f"{self.failed} failed in {self.seconds:.1f} s")


def migrate_authorities(*, processes: int = 2, tasks_per_child: int = 10,
                        dry_run: bool = False, shared: bool = True,
                        template: bool = True,
                        write: Callable[[str], None] = print) -> Summary:
    """The release step: public schema, pending authorities, template. Lines go to
    `write`; the summary is returned (failed > 0 means exit code 1)."""
    started = time.monotonic()
    summary = Summary()
    if shared and not dry_run:
        migrate_shared()
    plans = plan()
    for item in plans:
        if not item.pending:
            summary.up_to_date += 1
            write(f"{item.slug}: up to date")
        elif dry_run:
            write(f"{item.slug}: would migrate {len(item.missing)} migrations "
                  f"({', '.join(item.missing)})")
    pending = [item for item in plans if item.pending]
    if dry_run:
        summary.migrated = len(pending)
        summary.seconds = time.monotonic() - started
        write(f"dry run: {len(pending)} of {len(plans)} authorities would be migrated")
        return summary
    for result in execute(pending, processes=processes, tasks_per_child=tasks_per_child):
        write(result.line())
        if result.error:
            summary.failed += 1
        else:
            summary.migrated += 1
    if template:
        keep_template_migrated()
    summary.seconds = time.monotonic() - started
    write(summary.line())
    return summary
