"""The release step over many authorities: `migrate_authorities` (one query finds the
schemas with something to apply; plain-DDL migrations are rendered once and their SQL
replayed in each schema, tenants/migration_replay.py) next to the previous release
path, django-tenants' `migrate_schemas --tenant --executor=multiprocessing` (every
schema visited, each migrated by Django's executor), both with 2 workers, in the same
run on the same schemas.

Three situations:
- nothing pending;
- one new migration in every schema, without DDL: the record of
  `authtoken.0004_alter_tokenproxy_options` (the last migration of a tenant app; its
  only operation, AlterModelOptions on a proxy model, changes no table) is deleted from
  every authority schema, the template schema and the spare schemas before each run, so
  every schema really has one migration to apply; only its DDL is empty;
- one new migration in every schema, with DDL: `sessions.0001_initial` (CreateModel:
  a primary key, an index and its pattern-ops twin; Django's own, so no later
  migration of ours ever depends on it, as every new role's does on the access
  journal's migration of accounts) has its table dropped
  and its record deleted in every authority, template and spare schema before each run,
  so both commands really create the table, its constraints and indexes everywhere.
The preparation (a statement per schema) is not timed. Ours also renews the spare
schemas (tenants/provisioning.py) at the end, as the release does: that is timed.

Sizes: `make bench` migrates 500 authorities (the issue's release at scale), one run a
case, and times the stock command on the two "one migration everywhere" cases only (its
"nothing pending" run, about three minutes at 500, with `BENCH_RELEASE_FULL=1`): about
fifteen minutes on a busy 2-core machine, nearly all of it the stock command.
`BENCH_AUTHORITIES=100` is the quicker run (median of 3 a case, every case both ways).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

from django.core.management import call_command
from django.db import connection

from tenants.provisioning import TEMPLATE_SCHEMA
from tests.bench.harness import Result, ensure_bench_authorities, scaled

# Created by this module (others may exist: reported in the results); the provisioning
# module, which runs last, adds to the same slugs.
AUTHORITIES = int(os.environ.get("BENCH_AUTHORITIES", scaled(500, 2)))
RUNS = scaled(3 if AUTHORITIES <= 100 else 1, 1)
# The stock command with nothing pending: always at 100 authorities or fewer.
STOCK_NOTHING_PENDING = AUTHORITIES <= 100 or os.environ.get("BENCH_RELEASE_FULL") == "1"
PROCESSES = 2
NOOP = ("authtoken", "0004_alter_tokenproxy_options")
JOURNAL = ("sessions", "0001_initial")


def generate() -> dict:
    ensure_bench_authorities(AUTHORITIES)
    return {}


def _in_every_authority(statement: str) -> None:
    """Run `statement` (`{schema}`: the quoted schema name) in every authority schema,
    the template schema and the spare schemas, a transaction each (one for all would
    exhaust the lock table beyond ~500 schemas). The template and the spares too: a real
    release finds them behind (ours migrates the template by the executor and renews the
    spares, at the end; the stock command leaves both to provisioning, which falls back
    to migrating the template and takes no spare built for other migrations)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT schema_name FROM public.tenants_authority "
                       "WHERE schema_name <> 'public' AND data_deleted_at IS NULL "
                       "UNION ALL SELECT nspname FROM pg_namespace WHERE nspname = %s "
                       "UNION ALL SELECT schema_name FROM public.tenants_spareschema",
                       [TEMPLATE_SCHEMA])
        schemas = [row[0] for row in cursor.fetchall()]
        for schema in schemas:
            quoted = '"' + schema.replace('"', '""') + '"'
            cursor.execute(statement.format(schema=quoted))


def _forget_noop() -> None:
    _in_every_authority("DELETE FROM {schema}.django_migrations WHERE app = 'authtoken' "
                        "AND name = '0004_alter_tokenproxy_options'")


def _undo_journal() -> None:
    # IF EXISTS: the stock command leaves the template as it was.
    _in_every_authority("DROP TABLE IF EXISTS {schema}.django_session CASCADE; "
                        "DELETE FROM {schema}.django_migrations WHERE app = 'sessions' "
                        "AND name = '0001_initial'")


def _time(name: str, action: Callable[[], object], *, before: Callable[[], object] | None,
          **extra) -> Result:
    samples = []
    for _ in range(RUNS):
        if before:
            before()
        connection.set_schema_to_public()
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
        connection.set_schema_to_public()
    samples.sort()
    return Result(name, RUNS, round(statistics.median(samples), 2), round(samples[-1], 2),
                  extra)


def run(data: dict) -> list[Result]:
    from tenants.migrations_at_scale import keep_template_migrated, migrate_authorities, plan
    from tenants.models import Authority, SpareSchema
    from tenants.provisioning import _holds_every_leaf, refill_spares

    replayed = []

    def ours():
        summary = migrate_authorities(processes=PROCESSES, write=lambda line: None)
        assert not summary.failed
        replayed.append(summary.replayed)
        # The spares were renewed: every one holds every migration (a few queries).
        names = SpareSchema.objects.values_list("schema_name", flat=True)
        assert names and all(_holds_every_leaf(name) for name in names)

    def stock():
        call_command("migrate_schemas", tenant=True, executor="multiprocessing",
                     interactive=False, verbosity=0)

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    # Everything applied before the first measure (the schemas came from the template:
    # nothing to do but check), the template current and the spare pool full.
    migrate_authorities(processes=PROCESSES, write=lambda line: None)
    refill_spares()
    count = Authority.objects.exclude(schema_name="public").count()
    extra = {"authorities": count, "processes": PROCESSES,
             "spares": SpareSchema.objects.count()}
    results = [
        _time("release, nothing pending (migrate_authorities)", ours, before=None, **extra)]
    if STOCK_NOTHING_PENDING:
        results.append(_time("release, nothing pending (migrate_schemas)", stock,
                             before=None, **extra))
    for label, before in (("1 migration everywhere, no DDL", _forget_noop),
                          ("1 migration everywhere, CreateModel", _undo_journal)):
        replayed.clear()
        label = f"{label}, {count} authorities"
        results.append(_time(f"release, {label} (migrate_authorities)", ours,
                             before=before, **extra))
        # Every pending schema went through the replay, none through the executor.
        assert replayed == [count] * RUNS, (replayed, count)
        results.append(_time(f"release, {label} (migrate_schemas)", stock, before=before,
                             **extra))
    assert not [p for p in plan() if p.pending]
    keep_template_migrated()  # the stock runs left it behind; provisioning runs later
    refill_spares()  # and the spares (those left behind are dropped and built again)
    return results
