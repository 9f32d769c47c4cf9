"""Migrate many authority schemas: skip those with nothing to apply, replay rendered
SQL where the migrations allow it, migrate the others in parallel with bounded memory,
report per authority.

1. `plan()` reads, in one round trip, which migrations of the code's graph each
   authority schema lacks: a UNION ALL over every schema's `django_migrations`, built
   in the database from the public tenants table. A schema is pending when it lacks a
   migration of a tenant app.
2. `execute()` groups the pending schemas by the exact set of records they lack (a
   group shares one plan). For each group, `tenants.migration_replay.render` renders the
   plan's SQL once in a pilot schema; when every migration of the plan may be replayed
   (the rule is in that module), the SQL is replayed in each schema of the group, one
   transaction per schema, by `processes` threads (one database connection each).
3. The other schemas are migrated with django-tenants (`migrate_schemas --tenant
   --schema=…`), one schema per task, in a pool of `processes` forked workers that are
   replaced every `tasks_per_child` tasks (memory returned to the system);
   `processes=1` runs in this process.
A failure is reported for its schema (left as it was) and the others go on.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader

from tenants import migration_replay, provisioning
from tenants.models import Authority

Key = tuple[str, str]  # (app label, migration name)


@dataclass(frozen=True)
class SchemaPlan:
    slug: str
    schema_name: str
    missing: tuple[str, ...]  # "app.name" of the graph's tenant migrations not applied
    # "app.name" of every graph migration (any app, squashed ones and what they replace)
    # without a record: schemas with the same set share one plan.
    unrecorded: tuple[str, ...] = ()
    has_table: bool = True  # the schema has its django_migrations table

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
    how: str = "executor"  # or "replayed"

    def line(self) -> str:
        if self.error:
            return f"{self.slug}: FAILED: {self.error}"
        if not self.migrations:
            return f"{self.slug}: up to date"
        return (f"{self.slug}: migrated {self.migrations} migrations in {self.seconds:.2f} s "
                f"({self.how})")


def tenant_app_labels() -> set[str]:
    """Labels of the apps listed in TENANT_APPS (entries are module paths)."""
    entries = set(settings.TENANT_APPS)
    return {config.label for config in apps.get_app_configs()
            if config.name in entries or any(e.startswith(config.name + ".apps.")
                                             for e in entries)}


def graph_migrations() -> dict[Key, tuple[Key, ...]]:
    """Every migration of the graph, each with the migrations it replaces (a squashed
    migration counts as applied when all of those are)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {key: tuple(loader.replacements[key].replaces) if key in loader.replacements else ()
            for key in loader.graph.nodes}


def expected_migrations() -> dict[Key, tuple[Key, ...]]:
    """The graph's migrations of tenant apps, with what they replace."""
    labels = tenant_app_labels()
    return {key: replaces for key, replaces in graph_migrations().items()
            if key[0] in labels}


def _dotted(key: Key) -> str:
    return f"{key[0]}.{key[1]}"


# One round trip: a temporary function (pg_temp, gone with the session) builds the
# UNION ALL over every authority schema's django_migrations from the tenants table and
# returns, per authority, the relevant migrations its schema lacks; the same message
# calls it. (query_to_xml would avoid the function but needs a server built with libxml.)
_PLAN_SQL = """
CREATE OR REPLACE FUNCTION pg_temp.collectivrecup_pending(relevant text[], public_name text)
RETURNS TABLE (slug text, schema_name text, missing text, has_table boolean)
LANGUAGE plpgsql AS $plan$
DECLARE
    applied_sql text;
BEGIN
    SELECT string_agg(format(
               'SELECT %%L::text AS s, app || ''.'' || name AS k FROM %%I.django_migrations',
               a.schema_name, a.schema_name), ' UNION ALL ')
      INTO applied_sql
      FROM {table} AS a
     WHERE a.schema_name <> public_name AND a.data_deleted_at IS NULL
       AND to_regclass(format('%%I.django_migrations', a.schema_name)) IS NOT NULL;
    RETURN QUERY EXECUTE format($q$
        WITH authority AS (
            SELECT a.slug::text AS slug, a.schema_name::text AS s
              FROM {table} AS a WHERE a.schema_name <> $2 AND a.data_deleted_at IS NULL),
        applied AS (%%s),
        missing AS (
            SELECT authority.s, r.k FROM authority CROSS JOIN unnest($1) AS r(k)
            EXCEPT
            SELECT applied.s, applied.k FROM applied WHERE applied.k = ANY($1))
        SELECT authority.slug, authority.s,
               coalesce(string_agg(missing.k, ' ' ORDER BY missing.k), ''),
               to_regclass(format('%%%%I.django_migrations', authority.s)) IS NOT NULL
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
    """Every authority (data not deleted) with the migrations its schema lacks: one
    round trip."""
    graph = graph_migrations()
    labels = tenant_app_labels()
    expected = {key: replaces for key, replaces in graph.items() if key[0] in labels}
    relevant = sorted({_dotted(k) for k in graph}
                      | {_dotted(r) for replaced in graph.values() for r in replaced})
    table = "public." + connection.ops.quote_name(Authority._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_PLAN_SQL.format(table=table),
                       [relevant, settings.PUBLIC_SCHEMA_NAME])
        while cursor.description is None and cursor.nextset():
            pass
        rows = cursor.fetchall()
    plans = []
    for slug, schema_name, missing_text, has_table in rows:
        absent = set(missing_text.split())
        missing = sorted(
            _dotted(key) for key, replaces in expected.items()
            if _dotted(key) in absent
            and (not replaces or any(_dotted(r) in absent for r in replaces)))
        plans.append(SchemaPlan(slug, schema_name, tuple(missing), tuple(sorted(absent)),
                                has_table))
    return plans


def migrate_shared() -> None:
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    connection.set_schema_to_public()


def _one_line(exc: Exception) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def _migrate_one(item: SchemaPlan) -> SchemaResult:
    """Migrate one schema (in a pool worker or in this process); never raises."""
    started = time.monotonic()
    try:
        call_command("migrate_schemas", schema_name=item.schema_name, tenant=True,
                     interactive=False, verbosity=0)
        error = None
    except Exception as exc:  # reported per schema; the others go on
        error = _one_line(exc)
    try:
        connection.set_schema_to_public()
    except Exception:  # a broken connection: the next task opens a new one
        connection.close()
    return SchemaResult(item.slug, item.schema_name, len(item.missing),
                        time.monotonic() - started, error)


# --- Replayed SQL --------------------------------------------------------------------------

def _replay_one(rendered: migration_replay.Rendered, item: SchemaPlan) -> SchemaResult:
    """Replay in one schema on this thread's connection; never raises."""
    started = time.monotonic()
    try:
        migration_replay.replay(rendered, item.schema_name)
        error = None
    except Exception as exc:  # reported per schema (rolled back); the others go on
        error = _one_line(exc)
        if not connection.in_atomic_block and not connection.is_usable():
            connection.close()  # the next schema opens a new one
    return SchemaResult(item.slug, item.schema_name, len(item.missing),
                        time.monotonic() - started, error, how="replayed")


def replay_all(rendered: migration_replay.Rendered, items: list[SchemaPlan], *,
               threads: int = 2) -> Iterator[SchemaResult]:
    """Replay `rendered` in every schema of `items` with at most `threads` connections
    (1: this thread and its connection), yielding results in completion order."""
    if threads <= 1 or len(items) == 1:
        for item in items:
            yield _replay_one(rendered, item)
        return
    todo: queue.SimpleQueue[SchemaPlan] = queue.SimpleQueue()
    for item in items:
        todo.put(item)
    done: queue.SimpleQueue[SchemaResult] = queue.SimpleQueue()

    def work() -> None:
        try:
            while True:
                try:
                    item = todo.get_nowait()
                except queue.Empty:
                    return
                done.put(_replay_one(rendered, item))
        finally:
            connection.close()  # this thread's own connection

    workers = [threading.Thread(target=work, name=f"replay-{n}", daemon=True)
               for n in range(min(threads, len(items)))]
    for worker in workers:
        worker.start()
    for _ in items:
        yield done.get()
    for worker in workers:
        worker.join()


def _render_group(members: list[SchemaPlan], labels: set[str]
                  ) -> tuple[migration_replay.Rendered | None, str]:
    """The group's plan rendered in one of its first schemas, or (None, why not)."""
    names = [item.schema_name for item in members[:migration_replay.PILOT_ATTEMPTS]]
    pilots = {a.schema_name: a for a in Authority.objects.filter(schema_name__in=names)}
    why = "no pilot schema"
    for name in names:
        try:
            return migration_replay.render(pilots[name], labels), ""
        except migration_replay.NotReplayable as reason:
            return None, str(reason)  # the migrations' nature: the same in every schema
        except Exception as exc:  # this pilot's data or state: try the next one
            why = f"rendering in {name} failed: {_one_line(exc)}"
        finally:
            connection.set_schema_to_public()
    return None, why


def _groups(items: list[SchemaPlan]) -> list[list[SchemaPlan]]:
    """Schemas lacking the same records, in the order of `items`."""
    groups: dict[tuple, list[SchemaPlan]] = {}
    for item in items:
        groups.setdefault((item.has_table, item.unrecorded), []).append(item)
    return list(groups.values())


def _dry_run_paths(items: list[SchemaPlan], write: Callable[[str], None]) -> None:
    """Which path each group would take (the rule, checked in its first schema)."""
    labels = tenant_app_labels()
    for members in _groups(items):
        slugs = (f"{len(members)} authorities ("
                 + ", ".join(item.slug for item in members[:3])
                 + (", …)" if len(members) > 3 else ")"))
        why = "no django_migrations table"
        if members[0].has_table:
            pilot = Authority.objects.get(schema_name=members[0].schema_name)
            why = migration_replay.why_not(pilot, labels)
            connection.set_schema_to_public()
        write(f"would replay rendered SQL in {slugs}" if why is None
              else f"would use the executor for {slugs}: {why}")


# --- Both paths --------------------------------------------------------------------------

def execute(items: list[SchemaPlan], *, processes: int = 2, tasks_per_child: int = 10,
            replay: bool = True,
            write: Callable[[str], None] = print) -> Iterator[SchemaResult]:
    """Migrate `items`, yielding each result as it comes (in completion order):
    replayed SQL first where the plan allows it, then the executor for the others."""
    if not items:
        return
    by_executor: list[SchemaPlan] = []
    labels = tenant_app_labels()
    for members in _groups(items) if replay else [items]:
        if not replay:
            rendered, why = None, "replay turned off"
        elif not members[0].has_table:
            rendered, why = None, "no django_migrations table"
        else:
            rendered, why = _render_group(members, labels)
        if rendered is None:
            write(f"executor for {len(members)} authorities: {why}")
            by_executor.extend(members)
            continue
        write(f"replaying {len(rendered.migrations)} migrations "
              f"({len(rendered.statements)} statements, rendered in {rendered.pilot}) "
              f"in {len(members)} authorities")
        yield from replay_all(rendered, members, threads=processes)
    yield from _execute_migrations(by_executor, processes=processes,
                                   tasks_per_child=tasks_per_child)


def _execute_migrations(items: list[SchemaPlan], *, processes: int,
                        tasks_per_child: int) -> Iterator[SchemaResult]:
    """django-tenants' migrate per schema, in a pool of forked processes."""
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
    """Migrate `_template` by the executor when it lacks a leaf migration (provisioning's
    own refresh: under its advisory lock, its DDL rendered again). Nothing when it is
    current: no `pg_dump` in a process that provisions nothing (about two seconds with
    1,000 schemas in the catalog)."""
    if not provisioning.template_is_current():
        provisioning.forget_template_ddl()  # whatever this process cached is stale
        provisioning.prepare_template()
    connection.set_schema_to_public()


@dataclass
class Summary:
    up_to_date: int = 0
    migrated: int = 0
    failed: int = 0
    seconds: float = 0.0
    replayed: int = 0  # of `migrated`, by replayed SQL (the others: the executor)

    def line(self) -> str:
        return (f"{self.up_to_date + self.migrated + self.failed} authorities: "
                f"{self.up_to_date} up to date, {self.migrated} migrated, "
                f"{self.failed} failed in {self.seconds:.1f} s "
                f"({self.replayed} replayed, {self.migrated - self.replayed} by the executor)")


def migrate_authorities(*, processes: int = 2, tasks_per_child: int = 10,
                        dry_run: bool = False, shared: bool = True,
                        template: bool = True, replay: bool = True,
                        write: Callable[[str], None] = print) -> Summary:
    """The release step: public schema, pending authorities, template, then the spare
    schemas renewed from the migrated template (tenants/provisioning.py). Lines go to
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
        _dry_run_paths(pending, write)
        summary.migrated = len(pending)
        summary.seconds = time.monotonic() - started
        write(f"dry run: {len(pending)} of {len(plans)} authorities would be migrated")
        return summary
    for result in execute(pending, processes=processes, tasks_per_child=tasks_per_child,
                          replay=replay, write=write):
        write(result.line())
        if result.error:
            summary.failed += 1
        else:
            summary.migrated += 1
            summary.replayed += result.how == "replayed"
    if template:
        keep_template_migrated()
        built = provisioning.renew_spares()
        if built:
            write(f"spare schemas: {built} built from the template")
    summary.seconds = time.monotonic() - started
    write(summary.line())
    return summary
