"""The demo's IT register: a few hundred assets with their history, one batch in
progress and last year's figures, once."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics import agec
from analytics.it_reuse import it_figures, year_bounds
from exchange.itassets import demo
from exchange.itassets.demo import (
    DEMO_ASSETS,
    FLEET_SIZE,
    seed_demo_it_last_year,
    seed_demo_itassets,
)
from exchange.itassets.models import (
    BatchState,
    ErasureRecord,
    EventKind,
    ITAsset,
    ITAssetEvent,
    ITExit,
    RetirementBatch,
)
from tests.accounts.factories import ServiceFactory, SiteFactory, agent, it_staff
from tests.conftest import client_for, in_authority
from tests.exchange.listings.factories import item_type
from tests.exchange.partners.factories import grant, partner

pytestmark = pytest.mark.django_db


def test_the_demo_fills_the_register_once(chatellerault):
    with in_authority(chatellerault):
        ServiceFactory(), ServiceFactory(), SiteFactory(), SiteFactory(), agent()
        staff = it_staff(email="informatique@chatellerault.example")
        assert seed_demo_itassets(staff.email, "chatellerault") == FLEET_SIZE == 300
        assert seed_demo_itassets(staff.email, "chatellerault") == 0  # once
        assert ITAsset.objects.count() == 300
        assert set(ITAsset.objects.values_list("kind", flat=True)) == {
            "computer", "screen", "phone", "tablet", "printer"}
        assert ITAssetEvent.objects.filter(kind=EventKind.CREATED).count() == 300
        assert ITAssetEvent.objects.filter(kind=EventKind.MOVED).count() == 1
        # One batch in progress: three retired in December of last year, two erased.
        [batch] = RetirementBatch.objects.all()
        assert batch.state == BatchState.OPEN and batch.items.count() == 3
        assert {item.retired_on for item in batch.items.all()} == {
            date(timezone.localdate().year - 1, 12, 15)}
        assert ErasureRecord.objects.filter(item__batch=batch, result="ok").count() == 2
        assert not ITExit.objects.exists()
    response = client_for(chatellerault, staff).get("/it/")
    assert response.context["page"].paginator.count == 300


def test_the_fleet_is_inserted_in_a_few_queries(chatellerault, monkeypatch):
    with in_authority(chatellerault):
        staff = it_staff(email="informatique@chatellerault.example")
        counts = []
        for size in (60, 300):
            ITAssetEvent.objects.all().delete()
            ITAsset.objects.all().delete()
            monkeypatch.setattr(demo, "FLEET_SIZE", size)
            with CaptureQueriesContext(connection) as queries:
                demo._seed_fleet(staff, "CHA", [], [], [])
            counts.append(len(queries))
            assert ITAsset.objects.count() == size - len(DEMO_ASSETS)
    assert counts[0] == counts[1]


def test_last_years_figures(chatellerault):
    ressourcerie = partner(legal_name="Ressourcerie Le Grenier de la Vienne")
    grant(chatellerault, ressourcerie, agreement_reference="CONV-DEMO-2026")
    last_year = timezone.localdate().year - 1
    with in_authority(chatellerault):
        ServiceFactory(), SiteFactory(), agent()
        assert item_type("Ordinateur portable").reference_code == "ordinateur-portable"
        staff = it_staff(email="informatique@chatellerault.example")
        seed_demo_itassets(staff.email, "chatellerault")
        assert seed_demo_it_last_year(staff.email, ressourcerie.pk) == 24
        assert seed_demo_it_last_year(staff.email, ressourcerie.pk) == 0  # once
        closed = RetirementBatch.objects.get(state=BatchState.CLOSED)
        assert closed.reference == f"LOT-{last_year}-001"
        assert closed.closed_at.year == last_year
        assert set(ITExit.objects.values_list("exited_on__year", flat=True)) == {last_year}
    figures = it_figures(chatellerault, *year_bounds(last_year))
    # The batch in progress (retired in December) counts too: 3 still in a batch.
    assert (figures.retired, figures.second_life, figures.listed, figures.donated,
            figures.recycled, figures.awaiting_exit) == (27, 12, 4, 5, 3, 3)
    assert figures.co2e_avoided_kg > Decimal("0")
    share = agec.it_reuse_share(chatellerault, last_year)
    assert share.from_register and share.share == Decimal("77.8")  # 21 / 27
    this_year = it_figures(chatellerault, *year_bounds(last_year + 1))
    assert this_year.retired == 0
