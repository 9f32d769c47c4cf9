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
  every authority schema and the template schema before each run, so every schema
  really has one migration to apply; only its DDL is empty;
- one new migration in every schema, with DDL: `accounts.0002_access_change_journal`
  (CreateModel with two foreign keys, three indexes, two arrays) has its table dropped
  and its record deleted in every authority schema and the template before each run,
  so both commands really create the table, its constraints and indexes everywhere.
The preparation (a statement per schema) is not timed.

Sizes: `make bench` migrates 100 authorities, 3 runs a case. `BENCH_AUTHORITIES=500
python -m tests.bench migrations` is the release at scale of the issue (a quarter of an
hour on a busy 2-core machine, nearly all of it creating the authorities and the stock
command's runs); above 100 authorities each case runs once.
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
AUTHORITIES = int(os.environ.get("BENCH_AUTHORITIES", scaled(100, 2)))
RUNS = scaled(3 if AUTHORITIES <= 100 else 1, 1)
PROCESSES = 2
NOOP = ("authtoken", "0004_alter_tokenproxy_options")
JOURNAL = ("accounts", "0002_access_change_journal")


def generate() -> dict:
    ensure_bench_authorities(AUTHORITIES)
    return {}


def _in_every_authority(statement: str) -> None:
    """Run `statement` (`{schema}`: the quoted schema name) in every authority schema and
    the template schema, a transaction each (one for all would exhaust the lock table
    beyond ~500 schemas). The template too: a real release migrates it (ours does, by
    the executor, at the end; the stock command leaves it to the first provisioning)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT schema_name FROM public.tenants_authority "
                       "WHERE schema_name <> 'public' AND data_deleted_at IS NULL "
                       "UNION ALL SELECT nspname FROM pg_namespace WHERE nspname = %s",
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
    _in_every_authority("DROP TABLE IF EXISTS {schema}.accounts_accesschange CASCADE; "
                        "DELETE FROM {schema}.django_migrations WHERE app = 'accounts' "
                        "AND name = '0002_access_change_journal'")


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
    from tenants.models import Authority

    replayed = []

    def ours():
        summary = migrate_authorities(processes=PROCESSES, write=lambda line: None)
        assert not summary.failed
        replayed.append(summary.replayed)

    def stock():
        call_command("migrate_schemas", tenant=True, executor="multiprocessing",
                     interactive=False, verbosity=0)

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    stock()  # everything applied before the first measure
    count = Authority.objects.exclude(schema_name="public").count()
    extra = {"authorities": count, "processes": PROCESSES}
    results = [
        _time("release, nothing pending (migrate_authorities)", ours, before=None, **extra),
        _time("release, nothing pending (migrate_schemas)", stock, before=None, **extra),
    ]
    for label, before in (("1 migration everywhere, no DDL", _forget_noop),
                          ("1 migration everywhere, CreateModel", _undo_journal)):
        replayed.clear()
        results.append(_time(f"release, {label} (migrate_authorities)", ours,
                             before=before, **extra))
        # Every pending schema went through the replay, none through the executor.
        assert replayed == [count] * RUNS, (replayed, count)
        results.append(_time(f"release, {label} (migrate_schemas)", stock, before=before,
                             **extra))
    assert not [p for p in plan() if p.pending]
    keep_template_migrated()  # the stock runs left it behind; provisioning runs later
    return results
