"""Writes of the statistics settings of an authority (public schema): factor
overrides, public impact opt-in and SIRET, retired IT stock. Weight campaigns have
their own module (analytics.campaigns)."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from analytics.facts import rebuild_facts
from analytics.models import FactorOverride, ReferenceItem, RetiredITStock, StatsSettings
from tenants.identity import save_siret
from tenants.models import Authority

log = logging.getLogger(__name__)


class StatsError(Exception):
    """A refused write; the message is for the user."""


def stats_settings(authority: Authority) -> StatsSettings:
    """The authority's statistics settings (a read: never writes). The row is created
    at provisioning (`ensure_stats_settings`; a data migration for older authorities);
    should it be missing all the same, the defaults are returned unsaved."""
    return (StatsSettings.objects.filter(authority=authority).first()
            or StatsSettings(authority=authority))


def ensure_stats_settings(authority: Authority) -> StatsSettings:
    """Create the authority's statistics settings with their defaults when missing
    (a write, for provisioning only)."""
    return StatsSettings.objects.get_or_create(authority=authority)[0]


def save_stats_settings(authority: Authority, *, public_impact: bool, siret: str) -> None:
    """Save the public impact opt-in and the authority's SIRET (its one home,
    `Authority.siret`, which invoices show too); ValidationError changes nothing."""
    with transaction.atomic():
        save_siret(authority, siret)
        StatsSettings.objects.update_or_create(
            authority=authority, defaults={"public_impact": public_impact})


def record_it_stock(authority: Authority, *, year: int, items_in_stock: int) -> None:
    RetiredITStock.objects.update_or_create(authority=authority, year=year,
                                            defaults={"items_in_stock": items_in_stock})


def _refresh_facts(authority: Authority) -> None:
    try:
        counts = rebuild_facts(authority)
        log.info("Facts of %s rebuilt after a factor change: %s", authority.slug, counts)
    except Exception:  # `manage.py rebuild_facts` repairs it
        log.exception("Could not rebuild the facts of %s", authority.slug)


def save_override(authority: Authority, *, reference_code: str, weight_kg: Decimal | None,
                  co2e_kg_per_item: Decimal | None, source: str) -> None:
    """Set (or, with both figures empty, remove) the authority's override of one
    reference item type, then recompute its facts after commit (figures of validated
    semesters move through adjustments)."""
    if not ReferenceItem.objects.filter(code=reference_code).exists():
        raise StatsError(_("Unknown reference item type."))
    with transaction.atomic():
        if weight_kg is None and co2e_kg_per_item is None:
            FactorOverride.objects.filter(authority=authority,
                                          reference_code=reference_code).delete()
        else:
            FactorOverride.objects.update_or_create(
                authority=authority, reference_code=reference_code,
                defaults={"weight_kg": weight_kg, "co2e_kg_per_item": co2e_kg_per_item,
                          "source": source.strip()})
        transaction.on_commit(lambda: _refresh_facts(authority))
