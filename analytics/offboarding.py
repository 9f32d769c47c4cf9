"""What statistics keep about an authority in the public schema, for offboarding
(tenants/offboarding/public_data.py; declared in apps.py).

Its anonymised facts (TransferFact: no person, no free text) stay when its data is
deleted; its consent to be named on the public impact page does not. An imported
authority gets its factor overrides back (its own figures are data, not derived); its
facts are rebuilt from the imported transfers by the listings app's declaration.
"""

from __future__ import annotations

from analytics.models import FactorOverride, StatsSettings
from tenants.models import Authority
from tenants.offboarding.public_data import ExportedRows, Withdrawal


def withdraw(authority: Authority, withdrawal: Withdrawal) -> dict[str, int]:
    """Withdraw the authority's consent to appear on the public impact page."""
    return {"public_impact": StatsSettings.objects.filter(authority=authority,
                                                          public_impact=True)
            .update(public_impact=False)}


def restore(authority: Authority, rows: ExportedRows) -> None:
    """The exported factor overrides, under the new authority."""
    for row in rows(FactorOverride._meta.db_table):
        FactorOverride.objects.create(
            authority=authority, reference_code=row["reference_code"],
            weight_kg=row["weight_kg"], co2e_kg_per_item=row["co2e_kg_per_item"],
            source=row["source"])
