"""`make bench`: generate data of realistic size in a database of its own, time the
pages, print one table and write var/bench/latest.json.

Each later capability adds a module here and its figures to the table.
"""

from __future__ import annotations

import os
import sys
import time

from tests.scratch_databases import create_database

# BENCH_DB lets parallel runs (several developers on one server) keep apart.
BENCH_DB = os.environ.get("BENCH_DB", "collectivrecup_bench")


def _use_bench_database() -> str:
    """Point DATABASE_URL at a fresh bench database on the same server."""
    url = create_database(os.environ["DATABASE_URL"], BENCH_DB)
    os.environ["DATABASE_URL"] = url
    return url


# In the order they run; `python -m tests.bench NAME…` runs only those named.
# Provisioning runs last: it brings the database to 1,000 authorities with schemas, which
# the others (the release step above all, which visits every schema) must not see.
MODULES = ["accounts", "feed", "migrations", "sharing", "stats", "partners", "itassets",
           "provisioning"]


USAGE = f"""usage: python -m tests.bench [MODULE ...]

Runs every benchmark module, or only those named, in a fresh database ($BENCH_DB,
default collectivrecup_bench); prints a table and writes var/bench/latest.json
($BENCH_OUTPUT). Modules, in the order they run: {", ".join(MODULES)}.
Sizes: BENCH_AUTHORITIES (release, default 500), BENCH_RELEASE_FULL=1 (the stock
command with nothing pending too), BENCH_PROVISIONING_AUTHORITIES (default 1000),
BENCH_SMOKE=1 (tiny sizes, checks only)."""


def main(argv: list[str]) -> int:
    """Run every module, or only those named: `python -m tests.bench feed migrations`."""
    if {"-h", "--help"} & set(argv):
        print(USAGE)
        return 0
    unknown = [name for name in argv if name not in MODULES]
    if unknown:
        print(f"unknown module(s): {', '.join(unknown)}\n\n{USAGE}", file=sys.stderr)
        return 2
    started = time.monotonic()
    _use_bench_database()
    os.environ["DJANGO_SETTINGS_MODULE"] = "collectivrecup.settings.local"
    os.environ.setdefault("DEBUG", "0")
    # Tasks queued after commit (the spare schemas' refill, e-mails…) stay in this
    # process's memory: a bench leaves no work behind for `make run`'s worker.
    os.environ["CELERY_BROKER_URL"] = "memory://"
    import django

    django.setup()
    import logging

    logging.getLogger("collectivrecup.requests").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate_schemas", verbosity=0)

    import importlib

    from tests.bench.harness import report

    modules = [importlib.import_module(f"tests.bench.bench_{name}")
               for name in MODULES if not argv or name in argv]
    from django.db import connection

    data = []
    for module in modules:
        connection.set_schema_to_public()  # whatever the previous module left
        data.append(module.generate())
    setup_seconds = time.monotonic() - started
    results = []
    for module, d in zip(modules, data, strict=True):
        connection.set_schema_to_public()
        for result in module.run(d):
            result.module = module.__name__.rsplit(".", 1)[-1].removeprefix("bench_")
            results.append(result)
    report(results, setup_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
