"""Migrations at scale: one round trip finds the schemas with something to apply, the
others are skipped, failures are reported per authority and the others go on.

A pool's workers cannot see the test's uncommitted schemas: the pool path is covered
end to end by a subprocess on a database of its own (slow, last test); the rest runs
in this process (`processes=1`) inside the test's transaction.
"""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants import migrations_at_scale as scale
from tenants.models import Authority
from tenants.services import create_authority
from tests.bench.harness import siren_for
from tests.scratch_databases import create_database, drop_database

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# A leaf migration of a tenant app whose operations change no table (AlterModelOptions
# of a proxy model): deleting its record makes it pending, re-applying it is harmless.
NOOP = ("authtoken", "0004_alter_tokenproxy_options")


def _forget(schema: str, app: str = NOOP[0], name: str = NOOP[1]) -> None:
    with connection.cursor() as cursor:
        # schema: a constant of the test
        cursor.execute(f'DELETE FROM "{schema}".django_migrations '  # noqa: S608
                       "WHERE app = %s AND name = %s", [app, name])


def _recorded(schema: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{schema}".django_migrations '  # noqa: S608
                       "WHERE app = %s AND name = %s", NOOP)
        return cursor.fetchone()[0] == 1


@pytest.fixture
def two_more(db) -> list[Authority]:
    """Two authorities more than the session's, rolled back with the test."""
    return [create_authority(name=f"Commune {i}", kind="commune", slug=f"migr-{i}",
                             siren=siren_for("bench-authorities", 90_000 + i), status="active")
            for i in range(2)]


def test_expected_set_is_the_tenant_apps_migrations():
    labels = {app for app, _name in scale.expected_migrations()}
    assert {"exchange", "accounts", "authtoken", "auth", "sessions"} <= labels
    assert not labels & {"tenants", "analytics", "django_otp", "collectivrecup"}


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


def test_dry_run_changes_nothing(two_more):
    _forget("migr_0")
    out = StringIO()
    call_command("migrate_authorities", dry_run=True, stdout=out)
    assert f"migr-0: would migrate 1 migrations ({'.'.join(NOOP)})" in out.getvalue()
    assert "migr-1: up to date" in out.getvalue()
    assert not _recorded("migr_0")


def test_a_failure_is_reported_and_the_others_go_on(two_more, monkeypatch):
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
        call_command("migrate_authorities", processes=1, stdout=out)
    assert raised.value.returncode == 1
    lines = out.getvalue().splitlines()
    assert "migr-0: FAILED: RuntimeError: disk full" in lines
    assert [line for line in lines if line.startswith("migr-1: migrated 1 migrations")]
    assert _recorded("migr_1") and not _recorded("migr_0")


# --- End to end: the pool, in a database of its own -------------------------------------

def test_release_with_a_pool_end_to_end():
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
        for i in range(3):
            run("onboard_authority", "--name", f"Commune {i}", "--kind", "commune",
                "--siren", siren_for("bench-authorities", 95_000 + i), "--slug", f"e2e-{i}",
                "--admin-email", f"dgs@e2e-{i}.example")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DELETE FROM e2e_1.django_migrations WHERE app = %s AND name = %s",
                         NOOP)
        done = run("migrate_authorities", "--processes", "2", check=False)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert "e2e-0: up to date" in lines and "e2e-2: up to date" in lines
        assert [line for line in lines if line.startswith("e2e-1: migrated 1 migrations")]
        assert "3 authorities: 2 up to date, 1 migrated, 0 failed" in lines[-1]
        with psycopg.connect(url) as conn:
            count = conn.execute("SELECT count(*) FROM e2e_1.django_migrations "
                                 "WHERE app = %s AND name = %s", NOOP).fetchone()[0]
        assert count == 1
    finally:
        drop_database(base_url, db_name)
