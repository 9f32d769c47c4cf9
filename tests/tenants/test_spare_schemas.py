"""Spare schemas: ready, fully migrated schemas that provisioning renames
(tenants/provisioning.py). A renamed spare equals a migrated schema; provisioning takes
one and queues the refill; without one it builds the schema from the template; two
provisionings never take the same spare; the release step renews the spares; nothing
else sees them (not authorities, no domain, no host, offboarding leaves them alone)."""

from __future__ import annotations

import threading

import pytest
from celery import current_app
from django.db import connection, transaction
from django.test import Client

from exchange.listings.models import Category
from tenants import migrations_at_scale as scale
from tenants import provisioning, services
from tenants.crossing import for_each_live_authority
from tenants.lifecycle import change_status
from tenants.models import Authority, AuthorityStatus, Domain, ExportStatus, SpareSchema
from tenants.offboarding.deletion import delete_authority_data
from tenants.tasks import refill_spare_schemas
from tests.accounts.factories import operator
from tests.conftest import in_authority
from tests.tenants.catalog import catalog_snapshot
from tests.tenants.factories import AuthorityExportFactory

pytestmark = pytest.mark.django_db

NAINTRE = {"name": "Ville de Naintré", "kind": "commune", "siren": "218601698",
           "slug": "naintre", "admin_email": "dgs@naintre.example"}


def schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def spares() -> set[str]:
    return set(SpareSchema.objects.values_list("schema_name", flat=True))


def empty_the_pool() -> None:
    """Every spare dropped (in the test's transaction: rolled back afterwards)."""
    for spare_id in SpareSchema.objects.values_list("id", flat=True):
        assert provisioning._drop_spare(spare_id)
    assert not spares()


def forget_a_migration(schema: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{schema}".django_migrations '  # noqa: S608 (test's)
                       "WHERE app = 'authtoken' AND name = '0004_alter_tokenproxy_options'")


def test_a_renamed_spare_equals_a_migrated_schema():
    empty_the_pool()
    assert provisioning.refill_spares(1) == 1
    (spare,) = spares()
    assert spare.startswith(provisioning.SPARE_PREFIX) and schema_exists(spare)
    assert provisioning.take_spare("sparepath") == spare
    assert not schema_exists(spare) and not spares()
    slow = Authority(name="Migrée", kind="commune", siren="200070688", slug="slowpath",
                     schema_name="slowpath")
    slow.save(verbosity=0)  # django-tenants: CREATE SCHEMA + every migration
    connection.set_schema_to_public()

    slow_snapshot, spare_snapshot = catalog_snapshot("slowpath"), catalog_snapshot("sparepath")
    assert slow_snapshot["tables"] and slow_snapshot["indexes"] and slow_snapshot["migrations"]
    assert slow_snapshot["sequences"] and slow_snapshot["sequence_owners"]
    for part, rows in slow_snapshot.items():
        assert spare_snapshot[part] == rows, part


def test_provisioning_takes_a_spare_and_the_refill_tops_the_pool_up(
        monkeypatch, settings, django_capture_on_commit_callbacks):
    settings.SPARE_SCHEMAS = 2
    empty_the_pool()
    assert provisioning.refill_spares() == 2
    before = spares()

    def no_template(*args, **kwargs):
        raise AssertionError("the template's DDL was replayed")

    monkeypatch.setattr(provisioning, "create_schema_from_template", no_template)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        authority = services.provision_authority(**NAINTRE).authority
    assert schema_exists("naintre")
    taken = before - spares()
    assert len(taken) == 1 and not schema_exists(taken.pop())
    with in_authority(authority):
        assert Category.objects.exists()  # the provisioning steps ran in the renamed spare
    monkeypatch.undo()
    for callback in callbacks:  # the invitation, and the refill (Celery eager in tests)
        callback()
    assert len(spares()) == 2 and before & spares()
    assert all(provisioning._holds_every_leaf(name) for name in spares())


def test_without_a_spare_the_schema_is_built_from_the_template(settings):
    settings.SPARE_SCHEMAS = 0
    empty_the_pool()
    authority = Authority(name="Repli", kind="commune", siren="200070688", slug="repli",
                          schema_name="repli")
    authority.auto_create_schema = False
    authority.save()
    assert provisioning.take_spare("repli") is None
    assert provisioning.create_schema(authority) == "fast"
    assert catalog_snapshot("repli") == catalog_snapshot(provisioning.TEMPLATE_SCHEMA)
    authority = services.provision_authority(**NAINTRE).authority
    assert schema_exists("naintre") and not spares()
    with in_authority(authority):
        assert Category.objects.exists()


def test_a_spare_for_other_migrations_or_lacking_a_record_is_never_taken_but_renewed():
    empty_the_pool()
    assert provisioning.refill_spares(2) == 2
    old, current = sorted(spares())
    SpareSchema.objects.filter(schema_name=old).update(migrations_key="older-migrations")
    assert provisioning.take_spare("naintre") == current  # the old one is skipped
    assert provisioning.take_spare("naintre2") is None
    assert provisioning.refill_spares(2) == 2  # the old one dropped, two built
    assert old not in spares() and not schema_exists(old)
    # A spare whose records lack a leaf (touched by hand): the refill reads the schema's
    # records, not only the row's key.
    suspect = sorted(spares())[0]
    forget_a_migration(suspect)
    assert provisioning.refill_spares(2) == 1
    assert suspect not in spares() and not schema_exists(suspect)
    assert len(spares()) == 2
    assert all(provisioning._holds_every_leaf(name) for name in spares())


def test_the_release_step_renews_the_spares(settings):
    settings.SPARE_SCHEMAS = 2
    empty_the_pool()
    assert provisioning.refill_spares() == 2
    kept, stale = sorted(spares())
    forget_a_migration(stale)  # as if a migration came after it was built
    lines = []
    summary = scale.migrate_authorities(processes=1, shared=False, write=lines.append)
    assert not summary.failed
    assert kept in spares() and stale not in spares() and not schema_exists(stale)
    assert len(spares()) == 2
    assert all(provisioning._holds_every_leaf(name) for name in spares())
    assert "spare schemas: 1 built from the template" in lines
    # The release step itself lists authorities only.
    assert not {p.schema_name for p in scale.plan()} & spares()


def test_spares_are_no_authority_have_no_host_and_offboarding_leaves_them(
        chatellerault, django_capture_on_commit_callbacks, settings, tmp_path):
    empty_the_pool()
    assert provisioning.refill_spares(2) == 2
    pool = spares()
    assert not Authority.all_objects.filter(schema_name__in=pool).exists()
    assert not Domain.objects.filter(tenant__schema_name__in=pool).exists()
    for name in pool:
        assert Client(HTTP_HOST=f"{name}.localhost").get("/").status_code == 404
    seen = [a.schema_name for a in for_each_live_authority(purpose="test")]
    assert seen and not set(seen) & pool

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
    who = operator()
    change_status(chatellerault, AuthorityStatus.CLOSED, who)
    AuthorityExportFactory(authority=chatellerault, status=ExportStatus.DONE)
    with django_capture_on_commit_callbacks(execute=True):
        delete_authority_data(chatellerault, actor=who, confirmation="chatellerault")
    assert not schema_exists("chatellerault")
    assert spares() == pool and all(schema_exists(name) for name in pool)


def test_two_provisionings_never_take_the_same_spare():
    """Two transactions on two connections (threads): the first holds the spare it took
    (its row locked, deleted, schema renamed, not committed); the second skips it and
    takes another; with the first one's rolled back, nothing changed. The spares are
    committed by a third connection first (the test's own transaction is invisible to
    the others) and removed at the end."""
    key = provisioning.migrations_key()
    names = [f"{provisioning.SPARE_PREFIX}race_{n}" for n in range(2)]

    def in_thread(function):
        outcome = {}

        def run():
            try:
                outcome["value"] = function()
            except BaseException as error:  # re-raised in the test
                outcome["error"] = error
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        return thread, outcome

    def setup():
        """The two spares committed; the pool's other spares, if any, put aside (their
        key changed) so that only these two may be taken."""
        with transaction.atomic(), connection.cursor() as cursor:
            for name in names:
                cursor.execute(f'CREATE SCHEMA "{name}"')
            aside = dict(SpareSchema.objects.values_list("id", "migrations_key"))
            SpareSchema.objects.filter(id__in=aside).update(migrations_key="put-aside")
            SpareSchema.objects.bulk_create(
                [SpareSchema(schema_name=name, migrations_key=key) for name in names])
        return aside

    def teardown(aside):
        with transaction.atomic(), connection.cursor() as cursor:
            for spare_id, spare_key in aside.items():
                SpareSchema.objects.filter(id=spare_id).update(migrations_key=spare_key)
            SpareSchema.objects.filter(schema_name__in=names).delete()
            for name in names:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')

    thread, outcome = in_thread(setup)
    thread.join()
    assert "error" not in outcome
    aside = outcome["value"]
    try:
        took, release = threading.Event(), threading.Event()

        def first():
            with transaction.atomic():
                name = provisioning.take_spare("race_first")
                took.set()
                release.wait(timeout=30)
                transaction.set_rollback(True)
            return name

        def second():
            with transaction.atomic():
                name = provisioning.take_spare("race_second")
                third = provisioning.take_spare("race_third")  # none left, none waited for
                transaction.set_rollback(True)
            return name, third

        holder, first_outcome = in_thread(first)
        assert took.wait(timeout=30)
        other, second_outcome = in_thread(second)
        other.join(timeout=30)
        release.set()
        holder.join(timeout=30)
        assert "error" not in first_outcome and "error" not in second_outcome
        name_second, third = second_outcome["value"]
        assert {first_outcome["value"], name_second} == set(names)
        assert third is None
        # Both rolled back: the pool is as it was.
        check, check_outcome = in_thread(lambda: sorted(
            SpareSchema.objects.filter(schema_name__in=names)
            .values_list("schema_name", flat=True)))
        check.join()
        assert check_outcome["value"] == names
    finally:
        thread, outcome = in_thread(lambda: teardown(aside))
        thread.join()
        assert "error" not in outcome


def test_the_refill_task_is_scheduled_and_tops_the_pool_up(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["tenants-refill-spare-schemas"]
    assert entry["task"] == refill_spare_schemas.name and entry["task"] in current_app.tasks
    settings.SPARE_SCHEMAS = 2
    empty_the_pool()
    assert refill_spare_schemas() == 2
    assert refill_spare_schemas() == 0  # full and current: nothing built
    assert len(spares()) == 2


def test_one_refill_at_a_time(monkeypatch):
    """While another connection holds the refill's advisory lock, a refill builds nothing
    (and waits for nothing); the template's own unavailability is a warning, not a crash."""
    empty_the_pool()
    held, release = threading.Event(), threading.Event()

    def hold():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [provisioning._SPARES_LOCK_KEY])
                held.set()
                release.wait(timeout=30)
                cursor.execute("SELECT pg_advisory_unlock(%s)",
                               [provisioning._SPARES_LOCK_KEY])
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(timeout=30)
        assert provisioning.refill_spares(2) == 0
        assert not spares()
    finally:
        release.set()
        holder.join(timeout=30)
    assert provisioning.refill_spares(1) == 1

    def unavailable():
        raise provisioning.ProvisioningError("no pg_dump")

    empty_the_pool()
    monkeypatch.setattr(provisioning, "template_ddl", unavailable)
    assert refill_spare_schemas() == 0 and not spares()
