"""Replay, in many authority schemas, the SQL of pending migrations rendered once.

Most tenant migrations are plain DDL. Instead of running Django's executor in every
schema (graph load, state rendering, post-migrate handlers: about 0.4 s a schema), the
release renders the pending migrations' SQL once and replays it in each schema, each in
its own transaction, with the same `django_migrations` rows the executor writes.

**Rendering** (`render`): in a *pilot* schema (the first pending authority of a group
whose records are identical), Django's executor computes the plan exactly as `migrate`
would there, and each migration is applied by Django (`Migration.apply`, the executor's
own call) with a schema editor that also records every statement it executes, already
composed with its parameters, as `collect_sql` (`sqlmigrate`) would have written it; the
transaction is then rolled back. Executing while recording, rather than only collecting:
an operation introspects the schema (the name of the unique constraint or index to drop
on an altered column, the sequence of an identity column), and collected-only SQL would
answer that from a schema where the earlier operations of the same plan never ran. What
is replayed elsewhere is therefore exactly what ran here. Django's schema editor writes
unqualified names, so the statements resolve through `search_path`; a statement naming
the pilot's schema, or touching `search_path`, makes the plan not replayable.

**Replaying** (`replay`): one transaction per schema: `SET LOCAL search_path` to the
schema then `public` (django-tenants' own path when it migrates), the statements, and
the migration rows (`record_migration`, then `check_replacements`: a squashed migration
records what it replaces, and is recorded itself once all of those are). A failure rolls
that schema back to where it was.

**The rule** (`not_replayable`): a migration is replayed only when its result cannot
depend on where or when it runs. The executor keeps:
- a non-atomic migration (replay runs each schema in one transaction);
- an operation that is not one of Django's own operation classes (exact class: a custom
  subclass may do anything in `database_forwards`), looking inside
  `SeparateDatabaseAndState`'s database operations;
- in a tenant app: `RunPython` (code), `RunSQL` (hand-written SQL may set the session,
  name a schema or depend on data), `RenameModel` (contenttypes adds a Python step to
  rename the content type), and `AddField`/`AlterField` whose default is computed in
  Python when the migration runs (a callable such as `uuid4` or `timezone.now`,
  `auto_now`/`auto_now_add`): rendered once, every schema would get the same value.
In an app outside `TENANT_APPS` every Django operation is a no-op in an authority schema
(django-tenants' router refuses it; the executor then only writes the record), so its
migrations are replayed as records, `RunPython` included.

What the replay does not do: send `pre_migrate`/`post_migrate`. Their receivers here
create content types and permissions when missing (the product reads neither, and
`ContentType.objects.get_for_model` creates its row on first use; a schema provisioned
from the template has none either). A receiver of another kind makes nothing replayable
(`unknown_receivers`).
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.migrations import operations as ops
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.migration import Migration
from django.db.migrations.state import ProjectState
from django.db.models import NOT_PROVIDED
from django.db.models.signals import post_migrate, pre_migrate

from tenants.crossing import PlatformWork, in_authority

Key = tuple[str, str]  # (app label, migration name)

# Django's operations whose database effect is DDL computed from the model states.
SCHEMA_OPERATIONS = frozenset({
    ops.CreateModel, ops.DeleteModel, ops.AlterModelTable, ops.AlterModelTableComment,
    ops.AlterUniqueTogether, ops.AlterIndexTogether, ops.AlterOrderWithRespectTo,
    ops.AlterModelOptions, ops.AlterModelManagers, ops.AddField, ops.RemoveField,
    ops.AlterField, ops.RenameField, ops.AddIndex, ops.RemoveIndex, ops.RenameIndex,
    ops.AddConstraint, ops.RemoveConstraint, ops.AlterConstraint,
})
# Django's operations that the rule above refuses in a tenant app.
EXECUTOR_OPERATIONS = frozenset({ops.RunPython, ops.RunSQL, ops.RenameModel})
DJANGO_OPERATIONS = SCHEMA_OPERATIONS | EXECUTOR_OPERATIONS | {ops.SeparateDatabaseAndState}

# The migrate signals' receivers the replay may skip (see the module docstring).
KNOWN_RECEIVERS = frozenset({
    "django.contrib.contenttypes.management.inject_rename_contenttypes_operations",
    "django.contrib.contenttypes.management.create_contenttypes",
    "django.contrib.auth.management.create_permissions",
})
PILOT_ATTEMPTS = 3  # pilots tried in a group before the executor takes it over


class NotReplayable(Exception):
    """The plan must go through the executor; the message says why."""


@dataclass(frozen=True)
class Rendered:
    """A plan's SQL, rendered once, and the rows recording it."""

    migrations: tuple[Key, ...]  # the plan, in the order applied
    statements: tuple[str, ...]  # DDL relative to search_path
    records: tuple[Key, ...]  # django_migrations rows, in the executor's order
    pilot: str  # schema where it was rendered and rehearsed


# --- The rule ----------------------------------------------------------------------------

def _database_operations(operations):
    for operation in operations:
        if type(operation) is ops.SeparateDatabaseAndState:
            yield from _database_operations(operation.database_operations)
        else:
            yield operation


def _python_default(field) -> bool:
    return ((field.default is not NOT_PROVIDED and callable(field.default))
            or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def not_replayable(migration: Migration, tenant_labels: set[str]) -> str | None:
    """Why `migration` must be applied by the executor, or None when its rendered SQL
    may be replayed in any authority schema."""
    if not migration.atomic:
        return "non-atomic migration"
    in_tenant_app = migration.app_label in tenant_labels
    for operation in _database_operations(migration.operations):
        kind = type(operation)
        if kind not in DJANGO_OPERATIONS:
            return f"{kind.__module__}.{kind.__qualname__} is not one of Django's operations"
        if not in_tenant_app:
            continue  # refused by the router in an authority schema: a record only
        if kind in EXECUTOR_OPERATIONS:
            return f"{kind.__name__}"
        if kind in (ops.AddField, ops.AlterField) and _python_default(operation.field):
            return f"{kind.__name__} {operation.name}: default computed in Python"
    return None


def unknown_receivers() -> list[str]:
    """The pre/post_migrate receivers the replay would skip without knowing them."""
    names = []
    for signal in (pre_migrate, post_migrate):
        for entry in signal.receivers:  # (lookup key, receiver or weak reference, …)
            receiver = entry[1]() if isinstance(entry[1], weakref.ref) else entry[1]
            if receiver is None:
                continue  # garbage-collected
            name = f"{receiver.__module__}.{receiver.__qualname__}"
            if name not in KNOWN_RECEIVERS:
                names.append(name)
    return names


# --- Rendering ----------------------------------------------------------------------------

def _recording_editor(conn, *, atomic: bool):
    """The connection's schema editor, executing as usual and keeping, in `recorded`,
    each statement as executed (parameters composed client-side, as PostgreSQL's
    editor itself does before executing)."""
    base = conn.SchemaEditorClass

    class RecordingEditor(base):
        def execute(self, sql, params=()):
            text = str(sql) if params is None else self.connection.ops.compose_sql(
                str(sql), params)
            super().execute(text, None)
            self.recorded.append(text if text.rstrip().endswith(";") else text + ";")

    editor = RecordingEditor(conn, atomic=atomic)
    editor.recorded = []
    return editor


def _records(executor: MigrationExecutor, plan: list[Migration]) -> tuple[Key, ...]:
    """The rows the executor writes: `record_migration` per migration (a squashed one
    records what it replaces), then `check_replacements`."""
    records: list[Key] = []
    for migration in plan:
        records.extend(migration.replaces or [(migration.app_label, migration.name)])
    applied = set(executor.recorder.applied_migrations()) | set(records)
    for key, migration in executor.loader.replacements.items():
        if key not in applied and all(m in applied for m in migration.replaces):
            records.append(key)
            applied.add(key)
    return tuple(records)


def _names_schema(statement: str, schema: str) -> bool:
    return bool(re.search(rf'(?<![\w"])"?{re.escape(schema)}"?\.', statement)
                or "search_path" in statement.lower())


def _replayable_plan(executor: MigrationExecutor, tenant_labels: set[str],
                     plan: list[Migration] | None) -> list[Migration]:
    """The plan `migrate` would apply in the executor's schema (or `plan`), once checked
    against the rule; raise NotReplayable. Executes nothing."""
    unknown = unknown_receivers()
    if unknown:
        raise NotReplayable(f"migrate signal receivers: {', '.join(unknown)}")
    loader = executor.loader
    if not executor.recorder.has_table():
        raise NotReplayable("no django_migrations table")
    loader.check_consistent_history(executor.connection)
    if plan is None:
        if loader.detect_conflicts():
            raise NotReplayable("conflicting migrations")
        plan = [migration for migration, backwards in
                executor.migration_plan(loader.graph.leaf_nodes()) if not backwards]
    for migration in plan:
        why = not_replayable(migration, tenant_labels)
        if why:
            raise NotReplayable(f"{migration.app_label}.{migration.name}: {why}")
    return plan


def why_not(pilot, tenant_labels: set[str]) -> str | None:
    """For a dry run: why the plan `migrate` would apply in `pilot` would go to the
    executor, or None when it would be replayed (the rule only; nothing is rendered)."""
    with in_authority(pilot, ground=PlatformWork("release: plan the pending migrations")):
        try:
            _replayable_plan(MigrationExecutor(connection), tenant_labels, None)
        except NotReplayable as reason:
            return str(reason)
    return None


def render(pilot, tenant_labels: set[str], plan: list[Migration] | None = None) -> Rendered:
    """Render in `pilot` (an Authority) the plan `migrate` would apply there (or `plan`,
    migrations applied after the schema's current state); raise NotReplayable."""
    with in_authority(pilot, ground=PlatformWork("release: render the pending migrations")):
        executor = MigrationExecutor(connection)
        loader = executor.loader
        plan = _replayable_plan(executor, tenant_labels, plan)
        applied = [key for key in loader.applied_migrations if key in loader.graph.nodes]
        statements: list[str] = []
        with transaction.atomic():
            state = (loader.project_state(applied, at_end=True) if applied
                     else ProjectState(real_apps=loader.unmigrated_apps))
            for migration in plan:
                with _recording_editor(connection, atomic=migration.atomic) as editor:
                    state = migration.apply(state, editor)
                if editor.recorded and migration.app_label not in tenant_labels:
                    raise NotReplayable(f"{migration.app_label}.{migration.name}: "
                                        "SQL from an app outside TENANT_APPS")
                statements.extend(editor.recorded)
            transaction.set_rollback(True)  # the pilot is replayed like the others
        records = _records(executor, plan)
    for statement in statements:
        if _names_schema(statement, pilot.schema_name):
            raise NotReplayable(f"rendered SQL depends on the schema: {statement[:200]}")
    return Rendered(migrations=tuple((m.app_label, m.name) for m in plan),
                    statements=tuple(statements), records=records,
                    pilot=pilot.schema_name)


# --- Replaying ----------------------------------------------------------------------------

def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def search_path(schema_name: str) -> str:
    """The path django-tenants sets when it migrates a tenant schema."""
    names = [schema_name, settings.PUBLIC_SCHEMA_NAME,
             *getattr(settings, "PG_EXTRA_SEARCH_PATHS", [])]
    return ", ".join(_quote(name) for name in names)


def replay(rendered: Rendered, schema_name: str, using: str = "default") -> None:
    """Apply `rendered` to `schema_name` in one transaction (a savepoint when one is
    open) on this thread's connection `using`; raise on failure, nothing applied."""
    quoted = _quote(schema_name)
    apps, names = (zip(*rendered.records, strict=True) if rendered.records else ((), ()))
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_catalog.current_setting('search_path')")
        previous = cursor.fetchone()[0]
        # One round trip for the DDL; the schema name is quoted, the statements rendered.
        cursor.execute("\n".join([f"SET LOCAL search_path = {search_path(schema_name)};",
                                  *rendered.statements]))
        cursor.execute(
            f'INSERT INTO {quoted}."django_migrations" ("app", "name", "applied") '  # noqa: S608
            "SELECT r.app, r.name, now() FROM unnest(%s::text[], %s::text[]) "
            "WITH ORDINALITY AS r(app, name, n) ORDER BY r.n", [list(apps), list(names)])
        # SET LOCAL outlives a released savepoint: give the enclosing transaction its path.
        cursor.execute("SELECT pg_catalog.set_config('search_path', %s, true)", [previous])
