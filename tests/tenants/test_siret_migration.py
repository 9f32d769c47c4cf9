"""tenants 0006 moves the SIRET from its two old homes (billing details, statistics
settings) to the authority's row, before billing 0004 and analytics 0006 drop them.
The migrations run back and forth inside the test's transaction (PostgreSQL rolls the
schema changes back with it)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tenants.models import Authority

BEFORE = [("tenants", "0005_authority_siret"), ("billing", "0003_invoice_event_order"),
          ("analytics", "0005_stats_settings_for_every_authority")]
AFTER = [("tenants", "0006_siret_from_billing_and_statistics"),
         ("billing", "0004_remove_siret_now_on_authority"),
         ("analytics", "0006_remove_siret_now_on_authority")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.parametrize(("billing", "stats", "moved"), [
    ("21860066600018", "", "21860066600018"),
    ("", "21860066600018", "21860066600018"),
    # Both set and different: billing's wins when it matches the SIREN…
    ("21860066600018", "21860066600026", "21860066600018"),
    # …the one that matches the SIREN wins otherwise…
    ("20007067000019", "21860066600018", "21860066600018"),
    # …and a value of another SIREN is kept rather than lost.
    ("20007067000019", "", "20007067000019"),
    ("", "", ""),
])
def test_the_siret_moves_to_the_authority(chatellerault, billing, stats, moved):
    old = _migrate(BEFORE)
    old.get_model("billing", "BillingProfile").objects.create(
        authority_id=chatellerault.pk, legal_name="Ville", siret=billing)
    old.get_model("analytics", "StatsSettings").objects.filter(
        authority_id=chatellerault.pk).update(siret=stats)
    with connection.cursor() as cursor:  # ALTER TABLE refuses pending deferred checks
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    _migrate(AFTER)
    # Only the column this migration writes: later migrations add columns to the row.
    assert Authority.objects.filter(pk=chatellerault.pk).values_list(
        "siret", flat=True).get() == moved
