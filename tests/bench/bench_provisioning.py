"""Provisioning a new authority with 1,000 authorities already there: the template
schema's pre-rendered DDL (tenants/provisioning.py) next to django-tenants' path,
which migrates each new schema from zero (row + schema only, no categories or admin).
"schema only" isolates the DDL replay of the fast path.

This module runs last (`tests/bench/__main__.py`): `run` first brings the database to
EXISTING_AUTHORITIES authorities with schemas (the migrations module's bench-… slugs,
continued; real `create_authority` calls, two at a time), which no other module should
see. `BENCH_PROVISIONING_AUTHORITIES` changes the number (the smoke run: 3)."""

from __future__ import annotations

import itertools
import os
import time

from django.db import connection
from django.db.migrations.loader import MigrationLoader

from tests.bench.harness import Result, ensure_bench_authorities, measure, scaled, siren_for

EXISTING_AUTHORITIES = int(os.environ.get("BENCH_PROVISIONING_AUTHORITIES",
                                          scaled(1000, 3)))
RUNS = scaled(5, 1)  # the migrate path: about a second each
FAST_RUNS = scaled(21, 1)


def generate() -> dict:
    return {}  # the authorities are added in run(), after the other modules ran


def _existing() -> int:
    from tenants.models import Authority

    return Authority.objects.exclude(schema_name="public").count()


def run(data: dict) -> list[Result]:
    from tenants.models import Authority
    from tenants.provisioning import create_schema_from_template
    from tenants.services import provision_authority

    started = time.monotonic()
    others = _existing() - Authority.objects.filter(slug__startswith="bench-").count()
    ensure_bench_authorities(max(0, EXISTING_AUTHORITIES - others))
    print(f"bench_provisioning: {_existing()} authorities in "
          f"{time.monotonic() - started:.1f} s")

    counter = itertools.count()

    def next_spec(prefix: str) -> dict:
        index = next(counter)
        return {"name": f"Nouvelle {index}", "kind": "commune", "slug": f"{prefix}-{index}",
                "siren": siren_for("provisioning", index)}

    def fast():
        provision_authority(**next_spec("fast"), admin_email="dgs@example.org")
        connection.set_schema_to_public()

    def migrate():
        spec = next_spec("slow")
        Authority(**spec, schema_name=spec["slug"].replace("-", "_")).save(verbosity=0)
        connection.set_schema_to_public()

    def schema_only():
        create_schema_from_template(f"ddl_{next(counter)}")

    migrations = len(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    extra = {"existing_authorities": _existing(), "migrations": migrations}
    return [
        measure("provision authority (template DDL)", fast, n=FAST_RUNS, warmup=1, **extra),
        measure("provision authority (migrate schema)", migrate, n=RUNS, warmup=1, **extra),
        measure("schema only (template DDL)", schema_only, n=FAST_RUNS, warmup=1, **extra),
    ]
