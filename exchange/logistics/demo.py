"""Demo transports (issue 18): the logistics team of the current schema's authority,
its van, transport requests for the demo's taken listings and a week of planned rounds,
one request left to plan. Run by seed_demo once the listings exist; idempotent (an
authority with a team is left alone)."""

from __future__ import annotations

from datetime import time, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Site, User
from accounts.permissions import can_plan_transport, can_request_transport
from exchange.listings.models import ClosureReason, Listing, ListingStatus, Transfer
from exchange.listings.services.closure import quantity_left
from exchange.logistics import services
from exchange.logistics.models import Team

SLOTS = [(time(8, 0), time(12, 0)), (time(13, 30), time(16, 30))]


def _next_working_days(count: int):
    day = timezone.localdate()
    while count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
            yield day


def _place(site: Site, contact: User) -> services.Place:
    return services.Place(site=site, contact=f"{contact.full_name} (accueil)", floor=0,
                          lift=False)


def seed_demo_transports(logistics_email: str) -> int:
    """Create the demo team, requests and rounds. Returns how many objects were made."""
    if Team.objects.exists():
        return 0
    planner = User.objects.filter(email=logistics_email).first()
    if planner is None or not can_plan_transport(planner):
        return 0
    sites = list(Site.objects.order_by("pk"))
    today = timezone.localdate()
    requests = []
    with transaction.atomic():
        team = services.create_team(actor=planner, name="Équipe logistique",
                                    vehicle="Fourgon 12 m³")
        given = (Transfer.objects.filter(reason=ClosureReason.EXCHANGED_INTERNAL,
                                         recipient_service__isnull=False)
                 .select_related("listing__poster", "listing__site", "recipient_service")
                 .order_by("pk")[:4])
        for index, transfer in enumerate(given):
            listing = transfer.listing
            if not can_request_transport(listing.poster, listing):
                continue
            delivery = sites[(index + 1) % len(sites)]
            if delivery == listing.site:
                delivery = sites[(index + 2) % len(sites)]
            requests.append(services.request_transport(
                listing=listing, actor=listing.poster, transfer=transfer,
                quantity=transfer.quantity, pickup=_place(listing.site, listing.poster),
                delivery=_place(delivery, listing.poster), wished_from=today,
                wished_until=today + timedelta(days=10),
                notes="Passer par le quai de livraison."))
        reserved = Listing.objects.filter(status=ListingStatus.PUBLISHED).exclude(
            reserved_for="").select_related("poster__service", "site").first()
        if reserved is not None and quantity_left(reserved) > 0:
            requests.append(services.request_transport(
                listing=reserved, actor=reserved.poster, quantity=quantity_left(reserved),
                pickup=_place(reserved.site, reserved.poster),
                delivery=services.Place(
                    address="Mairie annexe, 2 rue de la Paix, 86100 Châtellerault",
                    contact="Accueil de la mairie annexe, 05 49 00 00 00", floor=1,
                    lift=True),
                wished_from=today + timedelta(days=2), wished_until=today + timedelta(days=12)))
        # A week of rounds: the requests but the last go one per working day; the last
        # waits on the board.
        rounds = 0
        for transport, day, slot in zip(requests[:-1], _next_working_days(5),
                                        SLOTS * 3, strict=False):
            services.plan_round(actor=planner, team=team, day=day, starts_at=slot[0],
                                ends_at=slot[1], transports=[transport])
            rounds += 1
    return 1 + len(requests) + rounds
