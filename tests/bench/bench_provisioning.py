"""Provisioning a new authority with EXISTING_AUTHORITIES already there: the template
schema's pre-rendered DDL (tenants/provisioning.py) next to django-tenants' path,
which migrates each new schema from zero (row + schema only, no categories or admin).
"schema only" isolates the DDL replay of the fast path."""

from __future__ import annotations

import itertools
import os

from django.db import connection
from django.db.migrations.loader import MigrationLoader

from tests.bench.harness import Result, ensure_bench_authorities, measure, scaled, siren_for

# BENCH_AUTHORITIES=500 measures at scale (shared with bench_migrations: same slugs).
EXISTING_AUTHORITIES = int(os.environ.get("BENCH_AUTHORITIES", scaled(50, 2)))
RUNS = scaled(5, 1)


def generate() -> dict:
    ensure_bench_authorities(EXISTING_AUTHORITIES)
    return {}


def run(data: dict) -> list[Result]:
    from tenants.models import Authority
    from tenants.provisioning import create_schema_from_template
    from tenants.services import provision_authority

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
    existing = Authority.objects.exclude(schema_name="public").count()
    extra = {"existing_authorities": existing, "migrations": migrations}
    return [
        measure("provision authority (template DDL)", fast, n=RUNS, warmup=1, **extra),
        measure("provision authority (migrate schema)", migrate, n=RUNS, warmup=1, **extra),
        measure("schema only (template DDL)", schema_only, n=RUNS, warmup=1, **extra),
    ]
