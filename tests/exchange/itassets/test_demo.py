"""The demo's IT register: twenty assets with their history, once."""

import pytest

from exchange.itassets.demo import DEMO_ASSETS, seed_demo_itassets
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

pytestmark = pytest.mark.django_db


def test_the_demo_fills_the_register_once(chatellerault):
    with in_authority(chatellerault):
        ServiceFactory(), ServiceFactory(), SiteFactory(), SiteFactory(), agent()
        staff = it_staff(email="informatique@chatellerault.example")
        assert seed_demo_itassets(staff.email, "chatellerault") == len(DEMO_ASSETS) == 20
        assert seed_demo_itassets(staff.email, "chatellerault") == 0  # once
        assert ITAsset.objects.count() == 20
        assert set(ITAsset.objects.values_list("kind", flat=True)) == {
            "computer", "screen", "phone", "tablet", "printer"}
        assert ITAssetEvent.objects.filter(kind=EventKind.CREATED).count() == 20
        assert ITAssetEvent.objects.filter(kind=EventKind.MOVED).count() == 1
        # One batch in progress: three retired, the two computers erased.
        [batch] = RetirementBatch.objects.all()
        assert batch.state == BatchState.OPEN and batch.items.count() == 3
        assert ErasureRecord.objects.filter(item__batch=batch, result="ok").count() == 2
        assert not ITExit.objects.exists()
    response = client_for(chatellerault, staff).get("/it/")
    assert response.context["page"].paginator.count == 20
