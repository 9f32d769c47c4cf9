"""Factories and helpers of the statistics tests (analytics, public schema: build the
rows outside `in_authority(...)`): a small authority that gives chairs away, and the
reference figures read straight from the CSV (not through the code under test)."""

from __future__ import annotations

import csv
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import factory

from analytics.models import (
    REFERENCE_FACTORS_VERSION,
    FactorOverride,
    RetiredITStock,
    TransferFact,
)
from exchange.listings.models import Category, Transfer
from exchange.listings.recipients import Recipient
from exchange.listings.services.closure import close_listing
from tests.accounts.factories import ServiceFactory, SiteFactory, agent, moderator
from tests.exchange.listings.factories import published_listing

REFERENCE_CSV = Path(__file__).resolve().parents[2] / "analytics" / "data" / "reference_items.csv"
PARIS = ZoneInfo("Europe/Paris")


class TransferFactFactory(factory.django.DjangoModelFactory):
    """A statistics fact written directly (not projected from a transfer): by default
    one 50 € desk given within its own authority on 5 January 2026, reference factors.
    Pass `authority`; facts live in the public schema."""

    class Meta:
        model = TransferFact

    transfer_id = factory.Sequence(lambda n: 900_000 + n)
    listing_id = 1
    date = factory.LazyFunction(lambda: datetime(2026, 1, 5).date())
    category = "Bureau"
    reference_code = "bureau-droit"
    destination = "same_authority"
    quantity = 1
    value_eur = Decimal("50.00")
    weight_kg = Decimal("35")
    weight_avoided_kg = Decimal("35.000")
    co2e_avoided_kg = Decimal("45.000")
    factors_version = REFERENCE_FACTORS_VERSION


class FactorOverrideFactory(factory.django.DjangoModelFactory):
    """An authority's own figures for the visitor chairs. Pass `authority` and the
    figure(s) it overrides (`weight_kg`, `co2e_kg_per_item`): the one left empty keeps
    the reference figure, as in the product."""

    class Meta:
        model = FactorOverride

    reference_code = "chaise-visiteur"
    source = "Pesée du centre technique"


class RetiredITStockFactory(factory.django.DjangoModelFactory):
    """Retired IT items in stock on 1 January 2025 (décret n° 2023-266). Pass `authority`."""

    class Meta:
        model = RetiredITStock

    year = 2025
    items_in_stock = 12


def reference_figures(code: str) -> tuple[Decimal, Decimal]:
    """(typical weight kg, kg CO2e per item) of `code`, as the CSV says."""
    with REFERENCE_CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["code"] == code:
                return Decimal(row["typical_weight_kg"]), Decimal(row["co2e_kg_per_item"])
    raise LookupError(code)


def make_town() -> dict:
    """Build inside `in_authority(...)`: a poster of the schools service, a recipient of
    the sports service, a moderator, and the chairs item type."""
    schools = ServiceFactory(name="Direction des écoles")
    sports = ServiceFactory(name="Direction des sports")
    return {
        "schools": schools,
        "sports": sports,
        "poster": agent(email="camille.martin@example.org", first_name="Camille",
                        last_name="Martin", service=schools),
        "recipient": agent(email="julien.bernard@example.org", first_name="Julien",
                           last_name="Bernard", service=sports),
        "moderator": moderator(email="nadia.moreau@example.org", first_name="Nadia",
                               last_name="Moreau"),
        "chairs": Category.objects.get(name="Chaise visiteur / empilable"),
        "site": SiteFactory(name="Centre technique"),
    }


def chairs_listing(town: dict, *, quantity: int = 10, value: str = "300.00", **data):
    """A published listing of visitor chairs posted by the town's poster."""
    return published_listing(poster=town["poster"], approver=town["moderator"],
                             category=town["chairs"], quantity=quantity,
                             estimated_value=Decimal(value), site=town["site"], **data)


def give(town: dict, listing, quantity: int, **data) -> Transfer:
    """The poster gives `quantity` items of `listing` to the sports service."""
    data.setdefault("reason", "exchanged_internal")
    if data["reason"] == "exchanged_internal":
        data.setdefault("recipient", Recipient.service(town["sports"]))
    return close_listing(listing=listing, actor=town["poster"], quantity=quantity,
                         **data)


def date_transfer(transfer: Transfer, year: int, month: int, day: int, hour: int = 12) -> None:
    """Move a transfer to a Paris date (tests of periods)."""
    Transfer.objects.filter(pk=transfer.pk).update(
        created_at=datetime(year, month, day, hour, tzinfo=PARIS))
