"""Migrations at scale: one round trip finds the schemas with something to apply, the
others are skipped, failures are reported per authority and the others go on. Pending
migrations are rendered once and replayed where the rule allows it (and the result
equals the executor's, catalog against catalog), the executor takes the others.

A pool's workers cannot see the test's uncommitted schemas: the pool path is covered
end to end by a subprocess on a database of its own (slow, last test); the rest runs
in this process (`processes=1`) inside the test's transaction.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.postgres.fields import ArrayField
from django.core.management import CommandError, call_command
from django.db import connection, migrations, models
from django.db.migrations.executor import MigrationExecutor
from django.db.models.signals import post_migrate
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tenants import migration_replay as replay
from tenants import migrations_at_scale as scale
from tenants.models import Authority
from tenants.services import create_authority
from tests.bench.harness import siren_for
from tests.conftest import in_authority
from tests.scratch_databases import create_database, drop_database
from tests.tenants.catalog import catalog_snapshot

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# A leaf migration of a tenant app whose operations change no table (AlterModelOptions
# of a proxy model): deleting its record makes it pending, re-applying it is harmless.
NOOP = ("authtoken", "0004_alter_tokenproxy_options")
# A leaf migration of a tenant app with DDL (CreateModel: a primary key, an index and
# its pattern-ops twin): dropping its table and its record makes it pending again.
# Django's own, so that no later migration of ours ever depends on it (a migration of
# accounts would: every new role adds one after the access journal's).
JOURNAL = ("sessions", "0001_initial")
# A migration of a tenant app that runs Python: never replayed. The schema is migrated
# back to the migration before it (BEFORE_PYTHON), which undoes it and every migration
# that came after it, DDL included (python_and_after()); `migrate` applies them again.
PYTHON = ("exchange", "0006_exchange_settings_row")
BEFORE_PYTHON = ("exchange", "0005_listing_outlier_confirmation")


def python_and_after() -> list[tuple[str, str]]:
    """PYTHON and every migration that depends on it, directly or not (the graph of the
    code): what migrating back to BEFORE_PYTHON unapplies."""
    from django.db.migrations.loader import MigrationLoader

    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    return sorted(graph.backwards_plan(PYTHON))  # the node and what depends on it


def _unapply_python(schema_name: str) -> int:
    """Migrate `schema_name` back to BEFORE_PYTHON; how many migrations are then pending."""
    with in_authority(Authority.objects.get(schema_name=schema_name)):
        MigrationExecutor(connection).migrate([BEFORE_PYTHON])
    return len(python_and_after())


def _forget(schema: str, app: str = NOOP[0], name: str = NOOP[1]) -> None:
    with connection.cursor() as cursor:
        # schema: a constant of the test
        cursor.execute(f'DELETE FROM "{schema}".django_migrations '  # noqa: S608
                       "WHERE app = %s AND name = %s", [app, name])


def _recorded(schema: str, key: tuple[str, str] = NOOP) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{schema}".django_migrations '  # noqa: S608
                       "WHERE app = %s AND name = %s", key)
        return cursor.fetchone()[0] == 1


def _undo_journal(schema: str) -> None:
    """Make JOURNAL pending in `schema`: its table dropped, its record deleted."""
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE "{schema}".django_session CASCADE')
    _forget(schema, *JOURNAL)


def _records_in_order(schema: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations '  # noqa: S608
                       "ORDER BY id")
        return [tuple(row) for row in cursor.fetchall()]


def _search_path() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        return cursor.fetchone()[0]


@pytest.fixture
def two_more(db) -> list[Authority]:
    """Two authorities more than the session's, rolled back with the test."""
    return [create_authority(name=f"Commune {i}", kind="commune", slug=f"migr-{i}",
                             siren=siren_for("bench-authorities", 90_000 + i), status="active")
            for i in range(2)]


def test_expected_set_is_the_tenant_apps_migrations():
    labels = {app for app, _name in scale.expected_migrations()}
    # otp_totp: authority administrators' break-glass TOTP devices (accounts.two_factor).
    assert {"exchange", "accounts", "authtoken", "auth", "sessions", "otp_totp"} <= labels
    assert not labels & {"tenants", "analytics", "collectivrecup"}


def test_nothing_pending_after_setup(two_more):
    plans = scale.plan()
    slugs = {p.slug for p in plans}
    assert {"chatellerault", "grand-chatellerault", "migr-0", "migr-1"} <= slugs
    assert "public" not in {p.schema_name for p in plans}
    assert [p.slug for p in plans if p.pending] == []


def test_only_the_schema_missing_a_record_is_planned(two_more):
    _forget("migr_1")
    pending = [p for p in scale.plan() if p.pending]
    assert [(p.slug, p.missing) for p in pending] == [("migr-1", (".".join(NOOP),))]


def test_a_schema_without_migration_table_lacks_everything(two_more):
    with connection.cursor() as cursor:
        cursor.execute('DROP TABLE "migr_0".django_migrations')
    plans = {p.slug: p for p in scale.plan()}
    assert len(plans["migr-0"].missing) == len(scale.expected_migrations())
    assert not plans["migr-1"].pending


def test_planning_is_one_query(two_more):
    _forget("migr_0")
    with CaptureQueriesContext(connection) as queries:
        scale.plan()
    assert len(queries.captured_queries) == 1


def test_in_process_run_migrates_only_the_pending_schema(two_more):
    _forget("migr_0")
    out = StringIO()
    call_command("migrate_authorities", processes=1, stdout=out)
    lines = out.getvalue().splitlines()
    assert "migr-1: up to date" in lines
    assert "chatellerault: up to date" in lines
    assert [line for line in lines if line.startswith("migr-0: migrated 1 migrations in")]
    assert "0 failed" in lines[-1]
    assert _recorded("migr_0")
    assert not [p for p in scale.plan() if p.pending]


def test_deleted_authorities_are_not_planned(two_more):
    """An authority whose data were deleted has no schema left: nothing to migrate."""
    with connection.cursor() as cursor:  # the fixture's rows checked first, as at commit
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute('DROP SCHEMA "migr_1" CASCADE')
    Authority.all_objects.filter(slug="migr-1").update(data_deleted_at=timezone.now())
    assert "migr-1" not in {p.slug for p in scale.plan()}
    out = StringIO()
    call_command("migrate_authorities", processes=1, stdout=out)
    assert "migr-1" not in out.getvalue()
    assert "0 failed" in out.getvalue().splitlines()[-1]


def test_dry_run_changes_nothing(two_more):
    _forget("migr_0")
    out = StringIO()
    call_command("migrate_authorities", dry_run=True, stdout=out)
    assert f"migr-0: would migrate 1 migrations ({'.'.join(NOOP)})" in out.getvalue()
    assert "migr-1: up to date" in out.getvalue()
    assert not _recorded("migr_0")


def test_dry_run_says_which_path_each_schema_would_take(two_more):
    _unapply_python("migr_0")
    _forget("migr_1")
    out = StringIO()
    call_command("migrate_authorities", dry_run=True, stdout=out)
    lines = out.getvalue().splitlines()
    assert (f"would use the executor for 1 authorities (migr-0): {'.'.join(PYTHON)}: "
            "RunPython") in lines
    assert "would replay rendered SQL in 1 authorities (migr-1)" in lines
    assert not _recorded("migr_0", PYTHON) and not _recorded("migr_1")


def test_a_failure_is_reported_and_the_others_go_on(two_more, monkeypatch):
    """The executor's path (`--no-replay`; the replay's: the next test)."""
    _forget("migr_0")
    _forget("migr_1")
    real = scale.call_command

    def failing(name, *args, **options):
        if options.get("schema_name") == "migr_0":
            raise RuntimeError("disk full")
        return real(name, *args, **options)

    monkeypatch.setattr(scale, "call_command", failing)
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("migrate_authorities", processes=1, no_replay=True, stdout=out)
    assert raised.value.returncode == 1
    lines = out.getvalue().splitlines()
    assert "migr-0: FAILED: RuntimeError: disk full" in lines
    assert [line for line in lines if line.startswith("migr-1: migrated 1 migrations")]
    assert _recorded("migr_1") and not _recorded("migr_0")


# --- Replayed SQL ----------------------------------------------------------------------

def test_a_replayed_migration_equals_the_executors(two_more):
    """JOURNAL pending in two schemas: django-tenants' migrate applies it in one, the
    release replays it in the other; the two schemas are then the same, catalog
    against catalog (columns, types, defaults, constraints, indexes, sequences,
    migration rows) and the rows in the same order."""
    path_before = _search_path()
    for schema in ("migr_0", "migr_1"):
        _undo_journal(schema)
    call_command("migrate_schemas", tenant=True, schema_name="migr_1", interactive=False,
                 verbosity=0)
    connection.set_schema_to_public()
    out = StringIO()
    call_command("migrate_authorities", processes=1, stdout=out)
    lines = out.getvalue().splitlines()
    assert [line for line in lines
            if line.startswith("migr-0: migrated 1 migrations") and line.endswith("(replayed)")]
    assert "(1 replayed, 0 by the executor)" in lines[-1]

    replayed, executed = catalog_snapshot("migr_0"), catalog_snapshot("migr_1")
    assert "django_session" in {row[0] for row in replayed["tables"]}
    for part, rows in executed.items():
        assert replayed[part] == rows, part
    assert _records_in_order("migr_0")[-1] == JOURNAL
    assert _records_in_order("migr_0") == _records_in_order("migr_1")
    assert _search_path() == path_before


def _probe() -> list[migrations.Migration]:
    """Two migrations of a tenant app touching much of what DDL can. The second alters
    fields the first added, so its SQL depends on what introspection finds after the
    first ran (the index and LIKE index to drop): rendered SQL must see it."""
    first = migrations.Migration("9998_replay_probe", "exchange")
    first.operations = [
        migrations.AddField("listing", "replay_label",
                            models.CharField(max_length=40, default="n/a", db_index=True)),
        migrations.AddField("listing", "replay_count", models.PositiveIntegerField(null=True)),
        migrations.CreateModel("ReplayProbe", [
            ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
            ("listing", models.ForeignKey("exchange.listing", models.CASCADE,
                                          related_name="+")),
            ("code", models.CharField(max_length=12)),
            ("weight", models.DecimalField(max_digits=6, decimal_places=2,
                                           db_default=Decimal("1.00"))),
            ("tags", ArrayField(models.CharField(max_length=10), null=True)),
        ], options={"unique_together": {("listing", "code")}}),
    ]
    second = migrations.Migration("9999_replay_probe", "exchange")
    second.operations = [
        migrations.AlterField("listing", "replay_label",
                              models.CharField(max_length=60, default="n/a", unique=True)),
        migrations.AlterField("listing", "replay_count",
                              models.PositiveIntegerField(default=0)),
        migrations.RenameField("listing", "replay_count", "replay_total"),
        migrations.AddIndex("replayprobe",
                            models.Index(fields=["code", "weight"], name="exchange_probe_cw")),
        migrations.AddConstraint("replayprobe", models.CheckConstraint(
            condition=models.Q(weight__gte=0), name="exchange_probe_weight_gte_0")),
        migrations.AlterUniqueTogether("replayprobe", set()),
        migrations.RemoveField("listing", "replay_total"),
    ]
    return [first, second]


def test_replay_equals_the_executor_on_migrations_of_many_operations(two_more):
    """The schema comparison on `_probe`: rendered (and rehearsed) in migr_0 then
    replayed there, applied in migr_1 by Django's executor."""
    path_before = _search_path()
    migr_0 = Authority.objects.get(slug="migr-0")
    before = catalog_snapshot("migr_0")
    rendered = replay.render(migr_0, scale.tenant_app_labels(), plan=_probe())
    assert catalog_snapshot("migr_0") == before  # the rehearsal was rolled back
    assert rendered.records == (("exchange", "9998_replay_probe"),
                                ("exchange", "9999_replay_probe"))
    assert [s for s in rendered.statements if s.startswith("DROP INDEX")]  # introspected
    replay.replay(rendered, "migr_0")
    assert _search_path() == path_before

    with in_authority(Authority.objects.get(slug="migr-1")):
        executor = MigrationExecutor(connection)
        state = executor._create_project_state(with_applied_migrations=True)
        for migration in _probe():
            state = executor.apply_migration(state, migration)
    connection.set_schema_to_public()

    replayed, executed = catalog_snapshot("migr_0"), catalog_snapshot("migr_1")
    assert replayed != before
    assert "exchange_replayprobe" in {row[0] for row in replayed["tables"]}
    for part, rows in executed.items():
        assert replayed[part] == rows, part
    assert _records_in_order("migr_0") == _records_in_order("migr_1")


def test_a_replay_failure_is_reported_and_leaves_the_schema_as_it_was(two_more):
    path_before = _search_path()
    for schema in ("migr_0", "migr_1"):
        _undo_journal(schema)
    with connection.cursor() as cursor:  # in the way of the CREATE TABLE, in migr_1 only
        cursor.execute('CREATE TABLE "migr_1".django_session (id integer)')
    before = catalog_snapshot("migr_1")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("migrate_authorities", processes=1, stdout=out)
    lines = out.getvalue().splitlines()
    assert [line for line in lines if line.startswith(
        'migr-1: FAILED: ProgrammingError: relation "django_session" already exists')]
    assert [line for line in lines if line.startswith("migr-0: migrated 1 migrations")]
    assert "1 migrated, 1 failed" in lines[-1]
    assert catalog_snapshot("migr_1") == before
    assert _recorded("migr_0", JOURNAL) and not _recorded("migr_1", JOURNAL)
    assert _search_path() == path_before


def test_python_migrations_go_to_the_executor(two_more):
    """Two groups: the schema lacking a RunPython migration is migrated by the
    executor, the one lacking a DDL-only migration is replayed."""
    forgotten = _unapply_python("migr_0")
    _forget("migr_1")
    out = StringIO()
    call_command("migrate_authorities", processes=1, stdout=out)
    lines = out.getvalue().splitlines()
    assert f"executor for 1 authorities: {'.'.join(PYTHON)}: RunPython" in lines
    assert [line for line in lines
            if line.startswith(f"migr-0: migrated {forgotten} migrations")
            and line.endswith("(executor)")]
    assert [line for line in lines
            if line.startswith("migr-1: migrated 1 migrations") and line.endswith("(replayed)")]
    assert "(1 replayed, 1 by the executor)" in lines[-1]
    assert _recorded("migr_0", PYTHON) and _recorded("migr_1")


def test_an_unknown_migrate_receiver_turns_the_replay_off(two_more):
    def side_effect(**kwargs):
        pass

    _forget("migr_0")
    post_migrate.connect(side_effect, dispatch_uid="test-unknown-receiver")
    try:
        out = StringIO()
        call_command("migrate_authorities", processes=1, stdout=out)
    finally:
        post_migrate.disconnect(dispatch_uid="test-unknown-receiver")
    assert "executor for 1 authorities: migrate signal receivers: " in out.getvalue()
    assert _recorded("migr_0")


def _field_op(field):
    return migrations.AddField("listing", "x", field)


@pytest.mark.parametrize(("app", "operations", "atomic", "reason"), [
    ("exchange", [_field_op(models.IntegerField(default=0))], True, None),
    ("exchange", [migrations.AlterModelOptions("listing", {})], True, None),
    ("exchange", [migrations.SeparateDatabaseAndState(
        database_operations=[_field_op(models.IntegerField(null=True))])], True, None),
    ("exchange", [_field_op(models.IntegerField(null=True))], False, "non-atomic migration"),
    ("exchange", [migrations.RunPython(migrations.RunPython.noop)], True, "RunPython"),
    ("exchange", [migrations.RunSQL("SELECT 1")], True, "RunSQL"),
    ("exchange", [migrations.SeparateDatabaseAndState(
        database_operations=[migrations.RunSQL("SELECT 1")])], True, "RunSQL"),
    ("exchange", [migrations.RenameModel("listing", "offer")], True, "RenameModel"),
    ("exchange", [_field_op(models.UUIDField(default=uuid.uuid4))], True,
     "AddField x: default computed in Python"),
    ("exchange", [_field_op(models.DateTimeField(auto_now_add=True))], True,
     "AddField x: default computed in Python"),
    # Outside TENANT_APPS the router refuses every operation in an authority schema.
    ("tenants", [migrations.RunPython(migrations.RunPython.noop)], True, None),
])
def test_the_replay_rule(app, operations, atomic, reason):
    migration = migrations.Migration("0099_x", app)
    migration.operations = operations
    migration.atomic = atomic
    assert replay.not_replayable(migration, scale.tenant_app_labels()) == reason


def test_a_custom_operation_is_not_replayed():
    class Custom(migrations.AddField):
        pass

    migration = migrations.Migration("0099_x", "tenants")
    migration.operations = [Custom("listing", "x", models.IntegerField(null=True))]
    reason = replay.not_replayable(migration, scale.tenant_app_labels())
    assert reason.endswith("Custom is not one of Django's operations")


def test_sql_naming_the_pilot_schema_is_refused():
    assert replay._names_schema('ALTER TABLE "migr_0"."exchange_listing" ADD x int;', "migr_0")
    assert replay._names_schema("SET search_path = x;", "migr_0")
    assert not replay._names_schema('ALTER TABLE "exchange_listing" ADD "migr_0" int;',
                                    "migr_0")


# --- End to end: the pool, in a database of its own -------------------------------------

def test_release_with_a_pool_end_to_end():
    """Committed schemas, so both kinds of workers run: two schemas replayed by two
    threads (a connection each), one migrated by a forked executor process."""
    import psycopg

    base_url = os.environ.get("DATABASE_URL")
    assert base_url, "needs DATABASE_URL (run the tests through `make test`)"
    db_name = f"collectivrecup_migrate_e2e_{os.getpid()}"
    url = create_database(base_url, db_name)
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0",
           "DJANGO_SETTINGS_MODULE": "collectivrecup.settings.local",
           "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}"}
    manage = [sys.executable, str(ROOT / "manage.py")]

    def run(*args, check=True):
        return subprocess.run([*manage, *args], env=env, cwd=ROOT, check=check,
                              capture_output=True, text=True, timeout=300)

    try:
        run("migrate_schemas", "-v0")
        for i in range(4):
            run("onboard_authority", "--name", f"Commune {i}", "--kind", "commune",
                "--siren", siren_for("bench-authorities", 95_000 + i), "--slug", f"e2e-{i}",
                "--admin-email", f"dgs@e2e-{i}.example")
        forget = "DELETE FROM {}.django_migrations WHERE app = %s AND name = %s"
        with psycopg.connect(url, autocommit=True) as conn:
            for schema, key in (("e2e_1", NOOP), ("e2e_2", NOOP)):
                conn.execute(forget.format(schema), key)
        run("migrate_schemas", "--schema", "e2e_3", *BEFORE_PYTHON, "-v0")
        python = python_and_after()
        done = run("migrate_authorities", "--processes", "2", check=False)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert "e2e-0: up to date" in lines
        for slug, count, how in (("e2e-1", 1, "replayed"), ("e2e-2", 1, "replayed"),
                                 ("e2e-3", len(python), "executor")):
            assert [line for line in lines
                    if line.startswith(f"{slug}: migrated {count} migrations")
                    and line.endswith(f"({how})")], (slug, lines)
        assert "4 authorities: 1 up to date, 3 migrated, 0 failed" in lines[-1]
        assert "(2 replayed, 1 by the executor)" in lines[-1]
        count = "SELECT count(*) FROM {}.django_migrations WHERE app = %s AND name = %s"
        with psycopg.connect(url) as conn:
            for schema, key in (("e2e_1", NOOP), ("e2e_2", NOOP),
                                *(("e2e_3", key) for key in python)):
                assert conn.execute(count.format(schema), key).fetchone()[0] == 1, schema
    finally:
        drop_database(base_url, db_name)
