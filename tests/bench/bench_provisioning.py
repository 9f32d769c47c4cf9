"""Provisioning a new authority with 1,000 authorities already there
(tenants/provisioning.py), each path timed:

- "spare schema": what provisioning does when the pool has a spare (the usual case): one
  renamed (`ALTER SCHEMA … RENAME TO`), then the rows (authority, domain, categories and
  settings, first administrator, audit, invitation and refill queued after commit). The
  pool is topped up before each run, untimed: the refill task's work, in a worker;
- "template DDL, no spare": the fallback when the pool is empty (a burst larger than the
  pool, or the spares not renewed yet after a release): the template schema's DDL
  replayed;
- "migrate schema": django-tenants' path, which migrates each new schema from zero (row
  and schema only, no categories or admin);
- the schema alone by both fast paths, and the refill of one spare (the background
  task's cost per provisioning).

This module runs last (`tests/bench/__main__.py`): `run` first brings the database to
EXISTING_AUTHORITIES authorities with schemas (the migrations module's bench-… slugs,
continued; real `create_authority` calls, two at a time), which no other module should
see. `BENCH_PROVISIONING_AUTHORITIES` changes the number (the smoke run: 3)."""

from __future__ import annotations

import itertools
import os
import time

from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader

from tests.bench.harness import Result, ensure_bench_authorities, measure, scaled, siren_for

EXISTING_AUTHORITIES = int(os.environ.get("BENCH_PROVISIONING_AUTHORITIES",
                                          scaled(1000, 3)))
RUNS = scaled(5, 1)  # the migrate path: seconds each
FAST_RUNS = scaled(21, 1)


def generate() -> dict:
    return {}  # the authorities are added in run(), after the other modules ran


def _existing() -> int:
    from tenants.models import Authority

    return Authority.objects.exclude(schema_name="public").count()


def run(data: dict) -> list[Result]:
    from tenants.models import Authority, SpareSchema
    from tenants.provisioning import (
        _drop_spare,
        create_schema_from_template,
        refill_spares,
        take_spare,
    )
    from tenants.services import provision_authority

    started = time.monotonic()
    others = _existing() - Authority.objects.filter(slug__startswith="bench-").count()
    ensure_bench_authorities(max(0, EXISTING_AUTHORITIES - others))
    existing = _existing()
    print(f"bench_provisioning: {existing} authorities in "
          f"{time.monotonic() - started:.1f} s")

    counter = itertools.count()
    pool = max(1, settings.SPARE_SCHEMAS)

    def next_spec(prefix: str) -> dict:
        index = next(counter)
        return {"name": f"Nouvelle {index}", "kind": "commune", "slug": f"{prefix}-{index}",
                "siren": siren_for("provisioning", index)}

    built = []

    def top_up():  # the refill task's work, between two provisionings
        connection.set_schema_to_public()
        built.append(refill_spares(pool))

    def empty_pool():
        for spare_id in SpareSchema.objects.values_list("id", flat=True):
            _drop_spare(spare_id)

    def take_one():  # as if a provisioning took one: the refill builds one
        connection.set_schema_to_public()
        refill_spares(pool)
        with transaction.atomic():
            take_spare(f"taken_{next(counter)}")

    def provision(prefix: str):
        def action():
            provision_authority(**next_spec(prefix), admin_email="dgs@example.org")
            connection.set_schema_to_public()
        return action

    def migrate():
        spec = next_spec("slow")
        Authority(**spec, schema_name=spec["slug"].replace("-", "_")).save(verbosity=0)
        connection.set_schema_to_public()

    def schema_from_template():
        create_schema_from_template(f"ddl_{next(counter)}")

    def schema_from_spare():
        with transaction.atomic():
            assert take_spare(f"renamed_{next(counter)}")

    migrations = len(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    extra = {"existing_authorities": existing, "migrations": migrations}
    label = f"{existing:,} existing"
    results = [measure(f"provision authority, {label} (spare schema)", provision("spare"),
                       n=FAST_RUNS, warmup=1, before=top_up, spares=pool, **extra)]
    # Each timed provisioning took a spare: every top-up after the first built one.
    assert built[1:] == [1] * (len(built) - 1), built
    # The fallback: no spare, and none queued for (SPARE_SCHEMAS 0 meanwhile).
    configured, settings.SPARE_SCHEMAS = settings.SPARE_SCHEMAS, 0
    try:
        results.append(measure(f"provision authority, {label} (template DDL, no spare)",
                               provision("fast"), n=FAST_RUNS, warmup=1, before=empty_pool,
                               **extra))
    finally:
        settings.SPARE_SCHEMAS = configured
    results += [
        measure(f"provision authority, {label} (migrate schema)", migrate, n=RUNS,
                warmup=1, **extra),
        measure("schema only (spare renamed)", schema_from_spare, n=FAST_RUNS, warmup=1,
                before=top_up, **extra),
        measure("schema only (template DDL)", schema_from_template, n=FAST_RUNS, warmup=1,
                **extra),
        measure("refill one spare (background task)", lambda: refill_spares(pool),
                n=FAST_RUNS, warmup=1, before=take_one, **extra),
    ]
    return results
