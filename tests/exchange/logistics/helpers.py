"""Builders of the logistics tests: a taken listing (reserved, or given to a service),
a team, a request with sensible defaults. Build inside `in_authority(...)`."""

from datetime import time, timedelta

from django.utils import timezone

from exchange.listings.models import ClosureReason, Listing
from exchange.listings.recipients import Recipient
from exchange.listings.services.closure import close_listing
from exchange.listings.services.reservation import set_reservation
from exchange.logistics import services
from exchange.logistics.models import Team
from tests.accounts.factories import ServiceFactory, SiteFactory, agent
from tests.exchange.listings.factories import published_listing


def reserved_listing(poster=None, quantity=10, **data):
    poster = poster or agent()
    listing = published_listing(poster=poster, quantity=quantity, **data)
    set_reservation(listing=listing, actor=poster, reserved_for="Direction des sports")
    # Loaded with its relations, so tests may read them outside `in_authority`.
    return Listing.objects.select_related("poster__service", "site").get(pk=listing.pk)


def given_listing(poster=None, to_service=None, quantity=4, listing_quantity=10):
    """A listing of which `quantity` items went to `to_service`: (listing, transfer)."""
    poster = poster or agent()
    listing = published_listing(poster=poster, quantity=listing_quantity)
    transfer = close_listing(listing=listing, actor=poster,
                             reason=ClosureReason.EXCHANGED_INTERNAL, quantity=quantity,
                             recipient=Recipient.service(to_service or ServiceFactory()))
    return (Listing.objects.select_related("poster__service", "site").get(pk=listing.pk),
            transfer)


def place(site=None, **kwargs):
    kwargs.setdefault("contact", "Marc, 05 49 00 00 00")
    if site is None and "address" not in kwargs:
        site = SiteFactory()
    return services.Place(site=site, **kwargs)


def ask(listing, actor, **kwargs):
    today = timezone.localdate()
    kwargs.setdefault("pickup", place())
    kwargs.setdefault("delivery", place())
    kwargs.setdefault("quantity", 2)
    kwargs.setdefault("wished_from", today + timedelta(days=1))
    kwargs.setdefault("wished_until", today + timedelta(days=5))
    return services.request_transport(listing=listing, actor=actor, **kwargs)


def team(name="Équipe logistique 1"):
    return Team.objects.create(name=name, vehicle="Camion 20 m³")


def plan(planner, transports, the_team=None, day=None):
    return services.plan_round(
        actor=planner, team=the_team or team(), day=day or timezone.localdate(),
        starts_at=time(8, 0), ends_at=time(12, 0), transports=list(transports))
