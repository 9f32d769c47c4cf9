"""The IT register's yearly figures (issue 19): every item counts in the year it was
retired, its exit with it; the décret n° 2023-266 share from the register, the
hand-typed stock only as a fallback; weight and CO2e from the reference factors; a
bounded number of queries whatever the number of items."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics import agec
from analytics.it_reuse import it_figures, year_bounds
from exchange.itassets import batches
from exchange.itassets.models import ErasureMethod, ErasureResult, ITExit
from tests.accounts.factories import SiteFactory, it_staff
from tests.analytics.factories import RetiredITStockFactory
from tests.conftest import in_authority
from tests.exchange.itassets.batch_world import laptops
from tests.exchange.itassets.factories import asset
from tests.exchange.listings.factories import item_type
from tests.exchange.partners.factories import grant, partner

pytestmark = pytest.mark.django_db


def erase(batch, items, staff, on):
    batches.record_erasure(batch=batch, items=items, actor=staff,
                           method=ErasureMethod.OVERWRITE, operator_name="Léa Martin",
                           erased_on=on, result=ErasureResult.OK)


@pytest.fixture
def association(chatellerault):
    who = partner(legal_name="Association Numérique Solidaire")
    grant(chatellerault, who, agreement_reference="CONV-NUM-01")
    return who


def ten_laptops_of_2025(staff, association, prefix="LAP"):
    """Ten laptops retired in December 2025: 6 to a school in January 2026 (second
    life), 3 donated, 1 recycled."""
    batch = batches.create_batch(actor=staff)
    items = batches.retire_assets(batch=batch, actor=staff, assets=laptops(10, staff, prefix),
                                  retired_on=date(2025, 12, 10))
    erase(batch, items, staff, date(2025, 12, 12))
    batches.give_second_life(batch=batch, items=items[:6], actor=staff,
                             site=SiteFactory(),
                             exited_on=date(2026, 1, 5))
    batches.donate(batch=batch, items=items[6:9], actor=staff, partner_id=association.pk,
                   unit_value=Decimal("120"), exited_on=date(2025, 12, 20))
    batches.send_to_recycling(batch=batch, items=items[9:], actor=staff,
                              recycler_name="Envie Auvergne", recycler_kind="insertion",
                              exited_on=date(2025, 12, 20))
    return batch


def test_a_year_counts_the_items_retired_in_it(chatellerault, association):
    with in_authority(chatellerault):
        staff = it_staff()
        ten_laptops_of_2025(staff, association)
        # 2026: a screen listed, a laptop already in its second life donated (it starts
        # its third), a phone still in the batch.
        batch = batches.create_batch(actor=staff)
        screen = asset(staff, serial_number="SCR1", kind="screen")
        second = asset(staff, serial_number="OLD1", life=2)
        phone = asset(staff, serial_number="PH1", kind="phone")
        items = batches.retire_assets(batch=batch, actor=staff, assets=[screen, second, phone],
                                      retired_on=date(2026, 2, 1))
        erase(batch, items, staff, date(2026, 2, 2))
        batches.record_reconditioning(batch=batch, items=items[:1], actor=staff,
                                      reconditioned_on=date(2026, 2, 3),
                                      operating_system="Linux Mint 22")
        by_serial = {item.asset.serial_number: item for item in items}
        batches.offer_on_exchange(batch=batch, items=[by_serial["SCR1"]], actor=staff,
                                  title="Écran", category=item_type("Écran"),
                                  unit_value=Decimal("30"), site=SiteFactory())
        batches.donate(batch=batch, items=[by_serial["OLD1"]], actor=staff,
                       partner_id=association.pk, unit_value=Decimal("50"),
                       exited_on=date(2026, 3, 1))

        last_year = it_figures(chatellerault, *year_bounds(2025))
        this_year = it_figures(chatellerault, *year_bounds(2026))

    # The six laptops given in January 2026 count in 2025, the year they were retired.
    assert (last_year.retired, last_year.second_life, last_year.donated, last_year.recycled,
            last_year.listed, last_year.awaiting_exit) == (10, 6, 3, 1, 0, 0)
    assert (last_year.reused, last_year.share) == (9, Decimal("90.0"))
    assert (last_year.started_second_life, last_year.started_third_life) == (9, 0)
    [laptop] = last_year.by_kind
    assert (laptop.kind, laptop.label, laptop.retired, laptop.reused) == (
        "computer", "Ordinateur", 10, 9)
    # Reference factors of « ordinateur-portable »: 1.7 kg and 182 kg CO2e per item.
    assert laptop.weight_avoided_kg == Decimal("15.300")
    assert laptop.co2e_avoided_kg == Decimal("1638.000")
    assert last_year.recycled_weight_kg == Decimal("1.700")
    assert last_year.co2e_avoided_kg == Decimal("1638.000")

    assert (this_year.retired, this_year.listed, this_year.donated, this_year.awaiting_exit,
            this_year.reconditioned) == (3, 1, 1, 1, 1)
    assert (this_year.started_second_life, this_year.started_third_life) == (1, 1)
    assert this_year.share == Decimal("66.7")
    assert [row.kind for row in this_year.by_kind] == ["computer", "screen", "phone"]
    screen_row = this_year.by_kind[1]
    assert (screen_row.reused, screen_row.weight_avoided_kg, screen_row.co2e_avoided_kg) == (
        1, Decimal("5.700"), Decimal("66.000"))
    assert this_year.by_kind[2].weight_avoided_kg == Decimal("0.000")  # not reused yet
    # Exits of both years, in the register, not in the statistics facts.
    with in_authority(chatellerault):
        assert ITExit.objects.count() == 12


def test_share_from_the_register_else_the_typed_stock(chatellerault, association):
    RetiredITStockFactory(authority=chatellerault, year=2025, items_in_stock=40)
    RetiredITStockFactory(authority=chatellerault, year=2024, items_in_stock=8)
    with in_authority(chatellerault):
        ten_laptops_of_2025(it_staff(), association)
    share = agec.it_reuse_share(chatellerault, 2025)
    # The register replaces the 40 typed in: 9 of the 10 retired went to reuse.
    assert (share.source, share.retired, share.sent_to_reuse, share.base, share.share) == (
        agec.ITShareSource.REGISTER, 10, 9, 10, Decimal("90.0"))
    fallback = agec.it_reuse_share(chatellerault, 2024)
    assert (fallback.source, fallback.stock, fallback.share) == (
        agec.ITShareSource.STOCK, 8, Decimal("0.0"))
    # Read from inside the schema (a request) or from outside (a command): the same.
    with in_authority(chatellerault):
        assert agec.it_reuse_share(chatellerault, 2025).share == Decimal("90.0")


def test_another_authority_sees_none_of_it(chatellerault, grand_chatellerault, association):
    with in_authority(chatellerault):
        ten_laptops_of_2025(it_staff(), association)
    theirs = it_figures(grand_chatellerault, *year_bounds(2025))
    assert (theirs.retired, theirs.reused, theirs.by_kind) == (0, 0, [])
    assert agec.it_reuse_share(grand_chatellerault, 2025).source == agec.ITShareSource.STOCK


def test_queries_do_not_grow_with_the_items(chatellerault, association):
    counts = []
    with in_authority(chatellerault):
        staff = it_staff()
        for batch_count, prefixes in ((10, ["A-"]), (30, ["B-", "C-"])):
            for prefix in prefixes:
                ten_laptops_of_2025(staff, association, prefix=prefix)
            with CaptureQueriesContext(connection) as queries:
                assert it_figures(chatellerault, *year_bounds(2025)).retired == batch_count
            counts.append(len(queries))
    # One on the register, two for the reference factors and the authority's overrides.
    assert counts == [3, 3]
