"""One-click outcome links of the outcome reminder: a confirmation page on GET, the
outcome recorded on POST as the poster, single use through the listing's state, and
signed tokens bound to their authority."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django_tenants.utils import tenant_context

from exchange.listings import reminders
from exchange.listings.models import (
    Category,
    ClosureReason,
    Listing,
    ListingStatus,
    ModerationAction,
    Transfer,
)
from exchange.listings.recipients import Recipient
from exchange.listings.reminders import OutcomeAction
from exchange.listings.services.closure import close_listing
from exchange.listings.services.contact import contact_poster
from exchange.listings.services.moderation import approve_listing
from exchange.listings.services.posting import create_listing
from tests.accounts.factories import ServiceFactory, SiteFactory, agent, moderator
from tests.conftest import client_for, host_of
from tests.exchange.listings.factories import ContactRequestFactory

pytestmark = pytest.mark.django_db

VALUE = Decimal("4321.00")


def make_world(authority, domain):
    schools = ServiceFactory(name="Direction des écoles")
    sports = ServiceFactory(name="Direction des sports")
    world = {
        "authority": authority,
        "poster": agent(email=f"camille@{domain}", service=schools),
        "other": agent(email=f"julien@{domain}", first_name="Julien", last_name="Roux",
                       service=sports),
        "moderator": moderator(email=f"nadia@{domain}"),
        "sports": sports,
    }
    listing = create_listing(
        poster=world["poster"], submit=True, title="Chaises empilables en hêtre",
        category=Category.objects.get(name="Chaise visiteur / empilable"), quantity=10,
        condition="good", estimated_value=VALUE, site=SiteFactory(name="Centre technique"))
    world["listing"] = approve_listing(listing=listing, actor=world["moderator"])
    world["contact"] = contact_poster(listing=world["listing"],
                                      sender=world["other"])
    return world


@pytest.fixture
def world(chatellerault):
    with tenant_context(chatellerault):
        yield make_world(chatellerault, "chatellerault.example")


def link(world, action, contact=None) -> str:
    """The path of an outcome link, signed in the world's authority."""
    with tenant_context(world["authority"]):
        token = reminders.outcome_token(world["listing"], action, contact)
    return reverse("exchange:outcome_confirm", args=[token])


def given_link(world) -> str:
    return link(world, OutcomeAction.GIVEN, world["contact"])


def anonymous(authority) -> Client:
    return client_for(authority)


def state(world):
    """What the database says about the world's listing."""
    with tenant_context(world["authority"]):
        listing = Listing.objects.get(pk=world["listing"].pk)
        return (listing.status, list(Transfer.objects.filter(listing=listing)),
                list(listing.events.values_list("action", flat=True)), listing)


# --- GET never acts ------------------------------------------------------------------------

@pytest.mark.parametrize("action", ["given", "available", "withdrawn"])
def test_opening_a_link_only_shows_what_will_happen(world, action):
    before = state(world)
    path = link(world, action, world["contact"] if action == "given" else None)
    for method in ("get", "head"):
        response = getattr(anonymous(world["authority"]), method)(path)
        assert response.status_code == 200
    response = anonymous(world["authority"]).get(path)
    html = response.content.decode()
    assert f'data-action="{action}"' in html
    assert '<form method="post"' in html
    assert "Chaises empilables en hêtre" in html
    assert "4321" not in html and "4 321" not in html and "4\u202f321" not in html
    if action == "given":
        assert "Julien Roux" in html and "Direction des sports" in html
    after = state(world)
    assert after[:3] == before[:3]
    assert after[3].outcome_reminder_sent_at == before[3].outcome_reminder_sent_at


# --- POST acts, as the poster ------------------------------------------------------------------

def test_given_closes_the_listing_for_the_asking_agents_service(world):
    with tenant_context(world["authority"]):  # 3 chairs already went elsewhere
        close_listing(listing=world["listing"], actor=world["poster"],
                      reason=ClosureReason.GIVEN_TO_PARTNER, quantity=3,
                      recipient=Recipient.named("Emmaüs"))

    response = anonymous(world["authority"]).post(given_link(world))

    assert response.status_code == 200
    assert 'class="notice outcome outcome-done"' in response.content.decode()
    status, transfers, events, listing = state(world)
    assert status == ListingStatus.CLOSED and listing.closed_at
    last = transfers[-1]
    assert (last.reason, last.quantity, last.recipient_service_id, last.actor_id) == (
        ClosureReason.EXCHANGED_INTERNAL, 7, world["sports"].pk, world["poster"].pk)
    assert events[-1] == ModerationAction.CLOSED


def test_withdrawn_closes_the_listing_as_withdrawn(world):
    response = anonymous(world["authority"]).post(link(world, OutcomeAction.WITHDRAWN))
    assert response.status_code == 200
    status, [transfer], _, _ = state(world)
    assert status == ListingStatus.CLOSED
    assert (transfer.reason, transfer.quantity, transfer.recipient_service_id) == (
        ClosureReason.WITHDRAWN, 10, None)


def test_still_available_only_restarts_the_reminder_clock(world):
    before = state(world)
    response = anonymous(world["authority"]).post(link(world, OutcomeAction.AVAILABLE))
    assert response.status_code == 200
    status, transfers, events, listing = state(world)
    assert (status, transfers, events) == before[:3]  # nothing recorded
    assert listing.outcome_reminder_sent_at is not None
    assert listing.updated_at == before[3].updated_at
    # Still open: the link may be used again, and the other links still work.
    assert anonymous(world["authority"]).post(
        link(world, OutcomeAction.AVAILABLE)).status_code == 200
    assert anonymous(world["authority"]).get(given_link(world)).status_code == 200


def test_links_are_single_use_through_the_listing_state(world):
    client = anonymous(world["authority"])
    assert client.post(given_link(world)).status_code == 200
    for path in (given_link(world), link(world, OutcomeAction.WITHDRAWN),
                 link(world, OutcomeAction.AVAILABLE)):
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 200
            assert 'class="notice outcome outcome-already"' in response.content.decode()
    _, transfers, _, _ = state(world)
    assert len(transfers) == 1


def test_an_expired_listing_shows_already_done(world):
    with tenant_context(world["authority"]):
        Listing.objects.filter(pk=world["listing"].pk).update(status=ListingStatus.EXPIRED)
    response = anonymous(world["authority"]).post(given_link(world))
    assert response.status_code == 200
    assert 'data-status="expired"' in response.content.decode()


def test_the_confirmation_works_with_csrf_checks_for_someone_not_signed_in(world):
    client = Client(HTTP_HOST=host_of(world["authority"]), enforce_csrf_checks=True)
    path = link(world, OutcomeAction.WITHDRAWN)
    assert client.post(path).status_code == 403  # a forged cross-site POST
    page = client.get(path).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert client.post(path, {"csrfmiddlewaretoken": token}).status_code == 200
    assert state(world)[0] == ListingStatus.CLOSED


# --- Who may use a link --------------------------------------------------------------------

def test_the_link_stands_for_the_poster_whoever_clicks(world):
    """Anyone holding the link acts as the poster: another agent, signed in, too."""
    client = client_for(world["authority"], world["other"])
    assert client.get(given_link(world)).status_code == 200
    assert client.post(given_link(world)).status_code == 200
    _, [transfer], _, _ = state(world)
    assert transfer.actor_id == world["poster"].pk


def test_a_user_of_another_authority_is_anonymous_here_and_the_link_still_works(
        world, grand_chatellerault):
    with tenant_context(grand_chatellerault):
        stranger = agent(email="paul@grand-chatellerault.example")
    client = client_for(grand_chatellerault, stranger)
    response = client.get(given_link(world), HTTP_HOST=host_of(world["authority"]))
    assert response.status_code == 200
    assert response.wsgi_request.user.is_anonymous


def test_a_closed_poster_account_disables_the_links(world):
    with tenant_context(world["authority"]):
        world["poster"].is_active = False
        world["poster"].save()
    response = anonymous(world["authority"]).post(link(world, OutcomeAction.WITHDRAWN))
    assert response.status_code == 400
    assert state(world)[0] == ListingStatus.PUBLISHED


# --- Bad tokens --------------------------------------------------------------------------------

def test_a_tampered_token_is_a_400_page(world):
    path = given_link(world)
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    for bad in (forged, "nonsense", token.replace(":", ":x", 1)):
        url = reverse("exchange:outcome_confirm", args=[bad])
        response = anonymous(world["authority"]).post(url)
        assert response.status_code == 400
        assert 'class="notice outcome outcome-invalid"' in response.content.decode()
    assert state(world)[0] == ListingStatus.PUBLISHED


def test_a_token_signed_for_something_else_is_refused(world):
    payload = {"s": "chatellerault", "l": world["listing"].pk, "a": "withdrawn",
               "p": world["poster"].pk}
    unsalted = signing.dumps(payload, compress=True)  # e.g. a token of another feature
    other_poster = signing.dumps({**payload, "p": world["other"].pk},
                                 salt=reminders.OUTCOME_LINK_SALT, compress=True)
    given_without_contact = signing.dumps({**payload, "a": "given"},
                                          salt=reminders.OUTCOME_LINK_SALT, compress=True)
    for token in (unsalted, other_poster, given_without_contact):
        url = reverse("exchange:outcome_confirm", args=[token])
        assert anonymous(world["authority"]).post(url).status_code == 400
    assert state(world)[0] == ListingStatus.PUBLISHED


def test_a_contact_of_another_listing_is_refused(world):
    with tenant_context(world["authority"]):
        other_listing = approve_listing(
            listing=create_listing(
                poster=world["poster"], submit=True, title="Armoire haute",
                category=world["listing"].category, quantity=1, condition="used",
                estimated_value=Decimal("50"), site=world["listing"].site),
            actor=world["moderator"])
        stray = ContactRequestFactory(listing=other_listing, sender=world["other"])
    path = link(world, OutcomeAction.GIVEN, stray)
    assert anonymous(world["authority"]).post(path).status_code == 400
    assert state(world)[0] == ListingStatus.PUBLISHED


def test_a_link_older_than_30_days_has_expired(world, monkeypatch):
    now = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now - timedelta(days=31).total_seconds())
    path = link(world, OutcomeAction.WITHDRAWN)
    monkeypatch.undo()
    response = anonymous(world["authority"]).post(path)
    assert response.status_code == 400
    assert state(world)[0] == ListingStatus.PUBLISHED

    monkeypatch.setattr(signing.time, "time", lambda: now - timedelta(days=29).total_seconds())
    recent = link(world, OutcomeAction.WITHDRAWN)
    monkeypatch.undo()
    assert anonymous(world["authority"]).get(recent).status_code == 200


# --- Across authorities --------------------------------------------------------------------------

def test_a_link_of_another_authority_is_a_404(world, grand_chatellerault):
    with tenant_context(grand_chatellerault):
        there = make_world(grand_chatellerault, "grand-chatellerault.example")
    foreign = link(there, OutcomeAction.WITHDRAWN)
    response = anonymous(world["authority"]).post(foreign)
    assert response.status_code == 404
    # Even naming a listing and a poster that exist here, a token signed for another
    # authority's schema finds nothing.
    lookalike = signing.dumps({"s": grand_chatellerault.schema_name, "l": world["listing"].pk,
                               "a": "withdrawn", "p": world["poster"].pk},
                              salt=reminders.OUTCOME_LINK_SALT, compress=True)
    response = anonymous(world["authority"]).post(
        reverse("exchange:outcome_confirm", args=[lookalike]))
    assert response.status_code == 404
    assert state(world)[0] == ListingStatus.PUBLISHED
    assert state(there)[0] == ListingStatus.PUBLISHED
    # On its own host the same link works.
    assert anonymous(grand_chatellerault).post(foreign).status_code == 200
    assert state(there)[0] == ListingStatus.CLOSED


def test_a_listing_that_no_longer_exists_is_a_404(world):
    path = link(world, OutcomeAction.WITHDRAWN)
    with tenant_context(world["authority"]):
        world["listing"].delete()
    assert anonymous(world["authority"]).get(path).status_code == 404
