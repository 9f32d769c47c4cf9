"""The release step over many authorities: `migrate_authorities` (one query finds the
schemas with something to apply, only those are migrated) next to the previous
release path, django-tenants' `migrate_schemas --tenant --executor=multiprocessing`
(every schema visited), both with 2 processes.

Two situations:
- nothing pending;
- one new migration in every schema. Simulated honestly with a real migration:
  the record of `authtoken.0004_alter_tokenproxy_options` (the last migration of a
  tenant app; its only operation, AlterModelOptions on a proxy model, changes no
  table) is deleted from every authority schema before each run, so every schema
  really has one migration to apply through Django's executor, graph, state
  rendering and post-migrate handlers; only its DDL is empty. A migration that
  rewrites tables costs its own time on top, the same for both paths.
The record deletion (one statement) is not timed.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

from django.core.management import call_command
from django.db import connection

from tests.bench.harness import Result, ensure_bench_authorities, scaled

# Created by this module (others may exist: reported in the results). BENCH_AUTHORITIES=500
# measures at scale; bench_provisioning creates the same slugs, so they are shared.
AUTHORITIES = int(os.environ.get("BENCH_AUTHORITIES", scaled(100, 2)))
RUNS = scaled(3, 1)
PROCESSES = 2
NOOP = ("authtoken", "0004_alter_tokenproxy_options")


def generate() -> dict:
    ensure_bench_authorities(AUTHORITIES)
    return {}


def _forget_everywhere() -> None:
    """Delete the NOOP record in every authority schema (one DO block)."""
    with connection.cursor() as cursor:
        cursor.execute("""
            DO $$
            DECLARE s text;
            BEGIN
                FOR s IN SELECT schema_name FROM public.tenants_authority
                          WHERE schema_name <> 'public' LOOP
                    EXECUTE format('DELETE FROM %I.django_migrations
                                    WHERE app = ''authtoken''
                                      AND name = ''0004_alter_tokenproxy_options''', s);
                END LOOP;
            END $$""")


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
    from tenants.migrations_at_scale import migrate_authorities, plan
    from tenants.models import Authority

    def ours():
        summary = migrate_authorities(processes=PROCESSES, write=lambda line: None)
        assert not summary.failed

    def stock():
        call_command("migrate_schemas", tenant=True, executor="multiprocessing",
                     interactive=False, verbosity=0)

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    stock()  # everything applied before the first measure
    extra = {"authorities": Authority.objects.exclude(schema_name="public").count(),
             "processes": PROCESSES}
    results = [
        _time("release, nothing pending (migrate_authorities)", ours, before=None, **extra),
        _time("release, nothing pending (migrate_schemas)", stock, before=None, **extra),
        _time("release, 1 migration everywhere (migrate_authorities)", ours,
              before=_forget_everywhere, **extra),
        _time("release, 1 migration everywhere (migrate_schemas)", stock,
              before=_forget_everywhere, **extra),
    ]
    assert not [p for p in plan() if p.pending]
    return results
