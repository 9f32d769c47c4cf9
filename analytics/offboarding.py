"""What statistics keep about an authority in the public schema, for offboarding
(tenants/offboarding/public_data.py; declared in apps.py).

Its anonymised facts (TransferFact: no person, no free text) stay when its data is
deleted; its consent to be named on the public impact page does not. An imported
authority gets its factor overrides back (its own figures are data, not derived); its
facts are rebuilt from the imported transfers by the listings app's declaration.

The finance team's AGEC figures (purchases, donations received elsewhere, their history)
are the authority's own data too: exported with its public rows and restored. When its
data is deleted, the figures stay (like the facts: no person, no free text about one)
but the e-mails naming who entered them are blanked.
"""

from __future__ import annotations

import json

from analytics.models import (
    AgecFigureChange,
    AgecPurchase,
    ExternalDonation,
    FactorOverride,
    StatsSettings,
)
from tenants.models import Authority
from tenants.offboarding.public_data import ExportedRows, Withdrawal


def withdraw(authority: Authority, withdrawal: Withdrawal) -> dict[str, int]:
    """Withdraw the authority's consent to appear on the public impact page; forget who
    entered its AGEC figures."""
    return {
        "public_impact": StatsSettings.objects.filter(authority=authority,
                                                      public_impact=True)
        .update(public_impact=False),
        "agec_purchase_authors": AgecPurchase.objects.filter(authority=authority)
        .exclude(updated_by_label="").update(updated_by_label=""),
        "external_donation_authors": ExternalDonation.objects.filter(authority=authority)
        .exclude(created_by_label="").update(created_by_label=""),
        "agec_change_authors": AgecFigureChange.objects.filter(authority=authority)
        .exclude(actor_label="").update(actor_label=""),
    }


def _json(value) -> dict:
    return json.loads(value) if isinstance(value, str) else (value or {})


def restore(authority: Authority, rows: ExportedRows) -> None:
    """The exported factor overrides, under the new authority."""
    for row in rows(FactorOverride._meta.db_table):
        FactorOverride.objects.create(
            authority=authority, reference_code=row["reference_code"],
            weight_kg=row["weight_kg"], co2e_kg_per_item=row["co2e_kg_per_item"],
            source=row["source"])
    AgecPurchase.objects.bulk_create(AgecPurchase(
        authority=authority, year=row["year"], category=row["category"],
        total_eur=row["total_eur"], reuse_eur=row["reuse_eur"],
        recycled_eur=row["recycled_eur"], updated_by_label=row["updated_by_label"])
        for row in rows(AgecPurchase._meta.db_table))
    ExternalDonation.objects.bulk_create(ExternalDonation(
        authority=authority, year=row["year"], category=row["category"],
        amount_eur=row["amount_eur"], source=row["source"], description=row["description"],
        received_on=row["received_on"], created_at=row["created_at"],
        created_by_label=row["created_by_label"])
        for row in rows(ExternalDonation._meta.db_table))
    AgecFigureChange.objects.bulk_create(AgecFigureChange(
        authority=authority, year=row["year"], category=row["category"], what=row["what"],
        actor_label=row["actor_label"], at=row["at"], before=_json(row["before"]),
        after=_json(row["after"]), channel=row["channel"])
        for row in rows(AgecFigureChange._meta.db_table))
