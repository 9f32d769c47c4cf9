"""The demo's lending catalogue: marquees, barriers, tables… with bookings, once."""

import pytest

from exchange.loans import selectors
from exchange.loans.demo import seed_demo_loans
from exchange.loans.models import Booking, BookingStatus, LendableItem
from tests.accounts.factories import ServiceFactory, SiteFactory, agent
from tests.conftest import in_authority

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"


def test_the_demo_lends_marquees_barriers_and_tables_with_bookings(chatellerault):
    with in_authority(chatellerault):
        LendableItem.objects.all().delete()
        SiteFactory()
        agent(email="agent@chatellerault.example", service=ServiceFactory(name="Sports"))
        agent(email="agent2@chatellerault.example", service=ServiceFactory(name="Écoles"))
        assert seed_demo_loans("chatellerault") == 8
        assert seed_demo_loans("chatellerault") == 0  # once
        titles = set(LendableItem.objects.values_list("title", flat=True))
        assert {"Barnum 3 x 3 m", "Barrières Vauban", "Tables pliantes de collectivité",
                "Panneaux d'exposition", "Sono portable"} == titles
        assert LendableItem.objects.get(title="Barnum 3 x 3 m").photos.count() == 1
        statuses = sorted(Booking.objects.values_list("status", flat=True))
        assert statuses == sorted([BookingStatus.APPROVED, BookingStatus.REQUESTED,
                                   BookingStatus.RETURNED])
        barriers = Booking.objects.get(item__title="Barrières Vauban")
        assert barriers.quantity == 20 and barriers.start.weekday() == 5
        returned = Booking.objects.get(status=BookingStatus.RETURNED)
        figures = selectors.loan_figures(returned.start, returned.end)
        assert figures.unit_days == 2 * 3
