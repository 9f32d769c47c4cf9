"""Plans by population bracket, billed yearly (settings.BILLING_PLANS).

Each plan's Stripe price is found by its lookup key (`collectivrecup_<code>_yearly`),
set on the price in the Stripe dashboard: prices change there, not in the code.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Plan:
    code: str
    label: str  # lazy translation
    max_population: int | None  # None: no upper bound
    yearly_eur: int

    @property
    def lookup_key(self) -> str:
        return f"collectivrecup_{self.code}_yearly"


def plans() -> list[Plan]:
    return [Plan(**plan) for plan in settings.BILLING_PLANS]


def plan_for(population: int | None) -> Plan | None:
    """The plan of an authority of `population` inhabitants (None when unknown)."""
    if population is None:
        return None
    for plan in plans():
        if plan.max_population is None or population <= plan.max_population:
            return plan
    return None


def plan_by_code(code: str) -> Plan | None:
    return next((plan for plan in plans() if plan.code == code), None)
