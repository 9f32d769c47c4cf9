"""Sharing between authorities: agreements and networks (audited, admins only), the
"Autres collectivités" feed and its isolation, visibility and the cascade, contact
across authorities, closure naming the receiving authority."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.models import TransferFact
from exchange.catalogue.models import CatalogueEntry
from exchange.listings.errors import ExchangeError
from exchange.listings.models import ContactRequest, Listing, ListingStatus, Visibility
from exchange.listings.recipients import Recipient
from exchange.listings.selectors import exchange_settings
from exchange.listings.services.closure import close_listing
from exchange.listings.services.moderation import approve_listing
from exchange.listings.services.visibility import set_visibility, share_waiting_listings
from exchange.sharing import services as sharing
from exchange.sharing.invitations import missing_approvals
from exchange.sharing.models import (
    AgreementStatus,
    MembershipStatus,
    NetworkMembership,
    SharingAction,
    SharingEvent,
)
from exchange.sharing.selectors import sharing_partners_of
from tests.accounts.factories import agent, authority_admin, moderator
from tests.conftest import client_for, in_authority
from tests.exchange.listings.factories import image_upload, published_listing
from tests.exchange.sharing.sharing_world import (
    _outsider_schema,
    admin_of,
    confirm_receipts,
    naintre,
    share,
    shared_listing,
)

__all__ = ["_outsider_schema", "naintre"]  # fixtures used below
pytestmark = pytest.mark.django_db



# --- Agreements: propose, accept, decline, end; audited; admins only -------------------

def test_an_agreement_is_proposed_accepted_and_ended_by_admins_and_audited(
        chatellerault, grand_chatellerault):
    town_admin = admin_of(chatellerault, email="admin-ville@chatellerault.example")
    agglo_admin = admin_of(grand_chatellerault, email="admin@grand-chatellerault.example")
    with in_authority(chatellerault):
        agreement = sharing.propose_agreement(authority=chatellerault, actor=town_admin,
                                              other=grand_chatellerault)
    assert list(sharing_partners_of(chatellerault)) == []  # not before acceptance
    with in_authority(grand_chatellerault):
        sharing.accept_agreement(agreement=agreement, authority=grand_chatellerault,
                                 actor=agglo_admin)
    assert list(sharing_partners_of(chatellerault)) == [grand_chatellerault]
    assert list(sharing_partners_of(grand_chatellerault)) == [chatellerault]
    with in_authority(grand_chatellerault):
        ended = sharing.end_agreement(agreement=agreement, authority=grand_chatellerault,
                                      actor=agglo_admin)
    assert ended.status == AgreementStatus.ENDED
    assert ended.ended_by_authority == grand_chatellerault
    # The other authority reads these names: never an agent's e-mail address.
    assert (ended.proposed_by, ended.decided_by, ended.ended_by) == (
        town_admin.full_name, agglo_admin.full_name, agglo_admin.full_name)
    assert list(sharing_partners_of(chatellerault)) == []
    trail = list(SharingEvent.objects.filter(agreement=agreement).order_by("created_at", "id")
                 .values_list("action", "authority__slug", "actor_email"))
    assert trail == [
        (SharingAction.PROPOSED, "chatellerault", "admin-ville@chatellerault.example"),
        (SharingAction.ACCEPTED, "grand-chatellerault", "admin@grand-chatellerault.example"),
        (SharingAction.ENDED, "grand-chatellerault", "admin@grand-chatellerault.example")]


def test_only_authority_admins_act_and_only_the_invited_side_answers(chatellerault,
                                                                       grand_chatellerault):
    with in_authority(chatellerault):
        for actor in (agent(), moderator()):
            with pytest.raises(ExchangeError) as refused:
                sharing.propose_agreement(authority=chatellerault, actor=actor,
                                          other=grand_chatellerault)
            assert refused.value.code == "forbidden"
        town_admin = authority_admin()
        agreement = sharing.propose_agreement(authority=chatellerault, actor=town_admin,
                                              other=grand_chatellerault)
        with pytest.raises(ExchangeError) as own_answer:
            sharing.accept_agreement(agreement=agreement, authority=chatellerault,
                                     actor=town_admin)
        assert own_answer.value.code == "forbidden"
        with pytest.raises(ExchangeError) as twice:
            sharing.propose_agreement(authority=chatellerault, actor=town_admin,
                                      other=grand_chatellerault)
        assert twice.value.code == "exists"
    with in_authority(grand_chatellerault):
        declined = sharing.decline_agreement(agreement=agreement,
                                             authority=grand_chatellerault,
                                             actor=authority_admin())
    assert declined.status == AgreementStatus.DECLINED
    assert list(sharing_partners_of(chatellerault)) == []


def test_the_sharing_page_is_for_authority_admins(chatellerault, grand_chatellerault):
    with in_authority(chatellerault):
        users = {"agent": agent(), "moderator": moderator(), "admin": authority_admin()}
    for role, expected in (("agent", 403), ("moderator", 403), ("admin", 200)):
        response = client_for(chatellerault, users[role]).get("/listings/sharing/")
        assert response.status_code == expected, role
    admin = client_for(chatellerault, users["admin"])
    response = admin.post("/listings/sharing/propose/",
                          {"authority": grand_chatellerault.pk})
    assert response.status_code == 302
    assert "Grand Châtellerault" in admin.get("/listings/sharing/").content.decode()
    moderator_client = client_for(chatellerault, users["moderator"])
    assert moderator_client.post("/listings/sharing/propose/",
                                 {"authority": grand_chatellerault.pk}).status_code == 403
    # The invited side accepts from its own page.
    with in_authority(grand_chatellerault):
        agglo_admin = authority_admin()
    agreement_id = SharingEvent.objects.get(action="proposed").agreement_id
    agglo = client_for(grand_chatellerault, agglo_admin)
    assert agglo.post(f"/listings/sharing/agreements/{agreement_id}/accept/").status_code == 302
    assert list(sharing_partners_of(grand_chatellerault)) == [chatellerault]


def test_the_invited_side_cannot_be_reached_by_a_third_authority(chatellerault,
                                                                  grand_chatellerault,
                                                                  naintre):
    share(chatellerault, grand_chatellerault)
    agreement_id = SharingEvent.objects.get(action="accepted").agreement_id
    with in_authority(naintre):
        outsider_admin = authority_admin(email="admin@outsider.example")
    outsider = client_for(naintre, outsider_admin)
    assert outsider.post(f"/listings/sharing/agreements/{agreement_id}/end/").status_code == 404
    assert list(sharing_partners_of(chatellerault)) == [grand_chatellerault]


def test_networks_share_between_members_who_accepted(chatellerault, grand_chatellerault,
                                                     naintre):
    with in_authority(grand_chatellerault):
        agglo_admin = authority_admin()
        network = sharing.create_network(authority=grand_chatellerault, actor=agglo_admin,
                                         name="Agglomération et communes")
        sharing.invite_to_network(network=network, authority=grand_chatellerault,
                                  actor=agglo_admin, other=chatellerault)
        sharing.invite_to_network(network=network, authority=grand_chatellerault,
                                  actor=agglo_admin, other=naintre)
    assert list(sharing_partners_of(grand_chatellerault)) == []  # invited is not joined
    with in_authority(chatellerault):
        sharing.join_network(network=network, authority=chatellerault,
                             actor=authority_admin())
    with in_authority(naintre):
        sharing.decline_network(network=network, authority=naintre, actor=authority_admin())
    assert list(sharing_partners_of(grand_chatellerault)) == [chatellerault]
    assert list(sharing_partners_of(naintre)) == []
    with in_authority(chatellerault):
        sharing.leave_network(network=network, authority=chatellerault,
                              actor=authority_admin())
    assert list(sharing_partners_of(grand_chatellerault)) == []
    actions = set(SharingEvent.objects.filter(network=network).values_list("action", flat=True))
    assert actions == {"network_created", "network_invited", "network_joined",
                       "network_declined", "network_left"}


# --- The shared feed, and what a third authority sees: nothing --------------------------

def test_partners_see_shared_listings_without_value_nor_poster(chatellerault,
                                                               grand_chatellerault, capture):
    share(chatellerault, grand_chatellerault)
    listing = shared_listing(chatellerault, capture, title="Armoire métallique à rideaux",
                             estimated_value=987)
    with in_authority(chatellerault), capture(execute=True):
        published_listing(title="Armoire interne")  # internal: stays home
    with in_authority(grand_chatellerault):
        # Names of their own (random ones may appear elsewhere on the page, e.g. the
        # viewer's in the header).
        viewer = agent(email="julien@grand-chatellerault.example", last_name="Zyxwvut")
    with in_authority(chatellerault):
        type(listing.poster).objects.filter(pk=listing.poster.pk).update(last_name="Qwertzu")
        listing.poster.last_name = "Qwertzu"
    client = client_for(grand_chatellerault, viewer)
    page = client.get("/listings/shared/").content.decode()
    assert "Armoire métallique à rideaux" in page and "Armoire interne" not in page
    assert "Ville de Châtellerault" in page
    detail = client.get(f"/listings/shared/chatellerault/{listing.pk}/")
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "987" not in body and "€" not in body
    assert listing.poster.email not in body
    assert listing.poster.last_name not in body
    # French search without accents, as on the own feed.
    assert "Armoire métallique" in client.get("/listings/shared/?q=metallique").content.decode()
    assert "Armoire métallique" not in client.get(
        "/listings/shared/?q=bureau").content.decode()


def test_a_third_authority_sees_nothing_by_page_api_search_or_photo(
        chatellerault, grand_chatellerault, naintre, capture):
    share(chatellerault, grand_chatellerault)
    with in_authority(chatellerault), capture(execute=True):
        listing = published_listing(title="Projecteur Zébulon partagé")
        from exchange.listings.photos import add_photo

        photo = add_photo(listing=listing, actor=listing.poster, upload=image_upload())
        set_visibility(listing=listing, actor=listing.poster, visibility="shared")
    # Publishing under pre-moderation: a poster's photo sends it back; publish again.
    with in_authority(chatellerault), capture(execute=True):
        if Listing.objects.get(pk=listing.pk).status != ListingStatus.PUBLISHED:
            approve_listing(listing=listing, actor=moderator())
    assert CatalogueEntry.objects.get(listing_id=listing.pk).photo_ids == [photo.pk]
    urls = ["/listings/shared/", "/listings/shared/?q=zebulon",
            f"/listings/shared/chatellerault/{listing.pk}/",
            f"/listings/shared/chatellerault/{listing.pk}/photos/{photo.pk}/thumb/",
            "/api/v1/shared-listings/", "/api/v1/shared-listings/?q=zebulon",
            f"/api/v1/shared-listings/chatellerault/{listing.pk}/photos/{photo.pk}/thumb/"]
    with in_authority(grand_chatellerault):
        partner = agent(email="a@grand-chatellerault.example")
    with in_authority(naintre):
        outsider = agent(email="a@outsider.example")
    seen = client_for(grand_chatellerault, partner)
    assert seen.get(urls[3])["Content-Type"] == "image/jpeg"
    assert "Projecteur Zébulon partagé" in seen.get(urls[0]).content.decode()
    assert seen.get(urls[4]).json()["count"] == 1
    hidden = client_for(naintre, outsider)
    # Lists and searches answer, empty; the listing and its photos do not exist there.
    for url, status in zip(urls, [200, 200, 404, 404, 200, 200, 404], strict=True):
        response = hidden.get(url)
        assert response.status_code == status, url
        assert "Zébulon" not in response.content.decode(errors="ignore"), url
        if response.status_code == 200 and "api" in url:
            assert response.json()["count"] == 0, url
    assert hidden.get(urls[2]).status_code == 404
    assert hidden.get(urls[3]).status_code == 404
    contact = hidden.post(f"/listings/shared/chatellerault/{listing.pk}/contact/",
                          {"message": "Bonjour"})
    assert contact.status_code == 404
    with in_authority(chatellerault):
        assert not ContactRequest.objects.filter(listing_id=listing.pk).exists()
    # And an agent of Châtellerault sees nothing of Naintré either way round.
    assert list(sharing_partners_of(naintre)) == []


def test_ending_the_agreement_hides_everything_at_once(chatellerault, grand_chatellerault,
                                                       capture):
    agreement = share(chatellerault, grand_chatellerault)
    listing = shared_listing(chatellerault, capture, title="Table de réunion ovale")
    with in_authority(grand_chatellerault):
        viewer = agent()
        admin = authority_admin()
    client = client_for(grand_chatellerault, viewer)
    assert client.get(f"/listings/shared/chatellerault/{listing.pk}/").status_code == 200
    with in_authority(grand_chatellerault):
        sharing.end_agreement(agreement=agreement, authority=grand_chatellerault, actor=admin)
    assert "Table de réunion ovale" not in client.get("/listings/shared/").content.decode()
    assert client.get(f"/listings/shared/chatellerault/{listing.pk}/").status_code == 404
    # The projection still holds it (a new agreement would show it again).
    assert CatalogueEntry.objects.filter(listing_id=listing.pk, is_shared=True).exists()


def test_closing_or_making_internal_removes_it_from_the_feed(chatellerault,
                                                             grand_chatellerault, capture):
    share(chatellerault, grand_chatellerault)
    listing = shared_listing(chatellerault, capture, title="Barnum 3 x 3 m")
    with in_authority(chatellerault), capture(execute=True):
        set_visibility(listing=listing, actor=listing.poster,
                       visibility=Visibility.INTERNAL)
    assert not CatalogueEntry.objects.filter(listing_id=listing.pk,
                                             authority=chatellerault).exists()
    with in_authority(chatellerault), capture(execute=True):
        set_visibility(listing=listing, actor=listing.poster,
                       visibility=Visibility.SHARED)
        close_listing(listing=listing, actor=listing.poster, reason="discarded")
    assert not CatalogueEntry.objects.filter(listing_id=listing.pk,
                                             authority=chatellerault).exists()


def test_rebuild_restores_an_emptied_projection_and_the_feed(chatellerault,
                                                             grand_chatellerault, capture):
    share(chatellerault, grand_chatellerault)
    shared_listing(chatellerault, capture, title="Rayonnages d'archives")
    CatalogueEntry.objects.all().delete()
    with in_authority(grand_chatellerault):
        client = client_for(grand_chatellerault, agent())
    assert "Rayonnages" not in client.get("/listings/shared/").content.decode()
    call_command("rebuild_catalogue", "--authority", "chatellerault", stdout=__import__("io")
                 .StringIO())
    assert "Rayonnages" in client.get("/listings/shared/").content.decode()


def test_the_shared_feed_has_a_bounded_number_of_queries(chatellerault, grand_chatellerault,
                                                         capture,
                                                         django_assert_max_num_queries):
    share(chatellerault, grand_chatellerault)
    for n in range(6):
        shared_listing(chatellerault, capture, title=f"Chaise partagée {n}")
    with in_authority(grand_chatellerault):
        client = client_for(grand_chatellerault, agent())
    client.get("/listings/shared/")  # warm the session and the settings row
    with django_assert_max_num_queries(12):
        response = client.get("/listings/shared/")
    assert response.content.decode().count("Chaise partagée") == 6


# --- Visibility: default, per listing, cascade ------------------------------------------

def test_new_listings_take_the_authority_default_and_the_poster_changes_it(chatellerault,
                                                                           capture):
    with in_authority(chatellerault):
        rules = exchange_settings()
        rules.default_visibility = Visibility.SHARED
        rules.save()
        listing = published_listing()
        assert listing.visibility == Visibility.SHARED
        other = agent()
    poster = client_for(chatellerault, listing.poster)
    page = poster.get(f"/listings/{listing.pk}/").content.decode()
    assert 'name="visibility" value="shared"' in page and "checked" in page
    with capture(execute=True):
        response = poster.post(f"/listings/{listing.pk}/visibility/",
                               {"visibility": "internal"})
    assert response.status_code == 302
    with in_authority(chatellerault):
        assert Listing.objects.get(pk=listing.pk).visibility == Visibility.INTERNAL
    stranger = client_for(chatellerault, other)
    assert stranger.post(f"/listings/{listing.pk}/visibility/",
                         {"visibility": "shared"}).status_code == 403


def test_the_cascade_shares_internal_listings_without_taker(chatellerault, capture):
    with in_authority(chatellerault), capture(execute=True):
        old = published_listing(title="Ancienne")
        taken = published_listing(title="Prise", quantity=3)
        fresh = published_listing(title="Récente")
        close_listing(listing=taken, actor=taken.poster, reason="discarded",
                      quantity=1)
        Listing.objects.filter(pk__in=[old.pk, taken.pk]).update(
            published_at=timezone.now() - timedelta(days=15))
        assert share_waiting_listings() == 1
        assert share_waiting_listings() == 0  # idempotent
        states = dict(Listing.objects.values_list("title", "visibility"))
    assert (states["Ancienne"], states["Prise"], states["Récente"]) == (
        "shared", "internal", "internal")
    assert CatalogueEntry.objects.filter(authority=chatellerault, listing_id=old.pk).exists()
    assert fresh.pk != old.pk


def test_the_cascade_task_runs_in_every_authority(chatellerault):
    from exchange.listings.tasks import share_waiting_listings_everywhere

    assert share_waiting_listings_everywhere() >= 2


# --- Contact across authorities ---------------------------------------------------------

def test_an_agent_of_another_authority_contacts_the_poster(chatellerault,
                                                           grand_chatellerault, capture):
    share(chatellerault, grand_chatellerault)
    with in_authority(chatellerault):
        poster = agent(email="camille@chatellerault.example")
        moderator(email="nadia@chatellerault.example")
    listing = shared_listing(chatellerault, capture, poster=poster, title="Écrans 24 pouces")
    with in_authority(grand_chatellerault):
        from tests.accounts.factories import ServiceFactory

        julien = agent(email="julien@grand-chatellerault.example", first_name="Julien",
                       last_name="Martin", service=ServiceFactory(name="Médiathèque"))
    mail.outbox.clear()
    client = client_for(grand_chatellerault, julien)
    with capture(execute=True):
        response = client.post(f"/listings/shared/chatellerault/{listing.pk}/contact/",
                               {"message": "Pour la médiathèque"})
    assert response.status_code == 302
    with in_authority(chatellerault):
        contact = ContactRequest.objects.get(listing_id=listing.pk)
        assert (contact.sender, contact.external_email, contact.external_authority_slug,
                contact.external_service, contact.status) == (
            None, "julien@grand-chatellerault.example", "grand-chatellerault",
            "Médiathèque", "sent")
    to_poster = [m for m in mail.outbox if m.to == ["camille@chatellerault.example"]]
    assert len(to_poster) == 1
    assert "nadia@chatellerault.example" in to_poster[0].cc
    assert to_poster[0].reply_to == ["julien@grand-chatellerault.example"]
    assert "Agglomération de Grand Châtellerault" in to_poster[0].body
    assert "Pour la médiathèque" in to_poster[0].body
    confirmation = [m for m in mail.outbox if m.to == ["julien@grand-chatellerault.example"]]
    assert len(confirmation) == 1
    assert (f"grand-chatellerault.localhost/listings/shared/chatellerault/{listing.pk}/"
            in confirmation[0].body)
    # The poster sees it on the listing page, with the agent's authority.
    page = client_for(chatellerault, poster).get(f"/listings/{listing.pk}/").content.decode()
    assert "julien@grand-chatellerault.example" in page


def test_contacts_across_authorities_are_rate_limited(chatellerault, grand_chatellerault,
                                                      capture):
    share(chatellerault, grand_chatellerault)
    with in_authority(chatellerault):
        rules = exchange_settings()
        rules.contacts_per_hour = 1
        rules.save()
    listing = shared_listing(chatellerault, capture)
    with in_authority(grand_chatellerault):
        client = client_for(grand_chatellerault, agent())
    url = f"/listings/shared/chatellerault/{listing.pk}/contact/"
    assert client.post(url, {"message": "un"}).status_code == 302
    refused = client.post(url, {"message": "deux"})
    assert refused.status_code == 400
    assert "dernière heure" in refused.content.decode()


# --- Closing with the receiving authority -------------------------------------------------

def test_closing_as_exchanged_with_a_partner_authority_names_it_in_the_fact(
        chatellerault, grand_chatellerault, capture):
    share(chatellerault, grand_chatellerault)
    listing = shared_listing(chatellerault, capture, estimated_value=250, quantity=10)
    poster = client_for(chatellerault, listing.poster)
    form = poster.get(f"/listings/{listing.pk}/close/").content.decode()
    assert 'value="grand-chatellerault"' in form
    with capture(execute=True):
        response = poster.post(f"/listings/{listing.pk}/close/", {
            "reason": "exchanged_other_authority", "quantity": 10,
            "recipient_authority_slug": "grand-chatellerault"})
    assert response.status_code == 302
    with in_authority(chatellerault):
        transfer = Listing.objects.get(pk=listing.pk).transfers.get()
        assert transfer.recipient_authority == "Agglomération de Grand Châtellerault"
        assert Listing.objects.get(pk=listing.pk).status == ListingStatus.CLOSED
    fact = TransferFact.objects.get(authority=chatellerault, transfer_id=transfer.pk)
    assert fact.receiver_authority is None  # until the agglomération confirms receipt
    assert confirm_receipts(grand_chatellerault) == 1
    fact.refresh_from_db()
    assert fact.receiver_authority == grand_chatellerault
    assert not CatalogueEntry.objects.filter(listing_id=listing.pk,
                                             authority=chatellerault).exists()


def test_an_unknown_or_own_authority_slug_is_refused(chatellerault):
    with in_authority(chatellerault):
        listing = published_listing()
        for slug in ("nulle-part", "chatellerault"):
            with pytest.raises(ExchangeError) as refused:
                close_listing(listing=listing, actor=listing.poster,
                              reason="exchanged_other_authority",
                              recipient=Recipient.authority(slug))
            assert refused.value.code == "recipient"
        assert not listing.transfers.exists()


def test_admins_set_the_default_visibility_and_the_cascade_delay(chatellerault):
    with in_authority(chatellerault):
        admin = authority_admin()
    client = client_for(chatellerault, admin)
    page = client.get("/listings/settings/").content.decode()
    assert 'name="default_visibility"' in page and 'name="share_after_days"' in page
    response = client.post("/listings/settings/", {
        "moderation_mode": "pre", "review_words": "", "contact_cc": "", "expiry_days": "60",
        "appliances_enabled": "on", "it_enabled": "on", "contacts_per_hour": "10",
        "default_visibility": "shared", "share_after_days": ""})
    assert response.status_code == 302
    with in_authority(chatellerault):
        rules = exchange_settings()
        assert (rules.default_visibility, rules.share_after_days) == ("shared", None)
        assert share_waiting_listings() == 0  # never, when empty


def test_networks_and_listings_of_others_are_out_of_reach(chatellerault, grand_chatellerault,
                                                          naintre):
    with in_authority(grand_chatellerault):
        network = sharing.create_network(authority=grand_chatellerault,
                                         actor=authority_admin(), name="Réseau de l'agglo")
        agglo_listing = published_listing()
    with in_authority(naintre):
        outsider_admin = authority_admin(email="admin2@outsider.example")
    outsider = client_for(naintre, outsider_admin)
    for action in ("join", "leave", "decline"):
        assert outsider.post(f"/listings/sharing/networks/{network.pk}/{action}/"
                             ).status_code == 404
    assert outsider.post(f"/listings/sharing/networks/{network.pk}/invite/",
                         {"authority": naintre.pk}).status_code == 404
    # A listing id of another authority is not a listing here (another schema).
    with in_authority(naintre):
        Listing.objects.filter(pk=agglo_listing.pk).delete()
    assert outsider.post(f"/listings/{agglo_listing.pk}/visibility/",
                         {"visibility": "shared"}).status_code == 404
    with in_authority(grand_chatellerault):
        assert Listing.objects.get(pk=agglo_listing.pk).visibility == Visibility.INTERNAL


def test_networks_through_the_pages(chatellerault, grand_chatellerault):
    with in_authority(grand_chatellerault):
        agglo_admin, agglo_moderator = authority_admin(), moderator()
    with in_authority(chatellerault):
        town_admin = authority_admin()
    agglo = client_for(grand_chatellerault, agglo_admin)
    assert client_for(grand_chatellerault, agglo_moderator).post(
        "/listings/sharing/networks/new/", {"name": "Réseau"}).status_code == 403
    assert agglo.post("/listings/sharing/networks/new/", {"name": " "}).status_code == 400
    assert agglo.post("/listings/sharing/networks/new/",
                      {"name": "Agglo et communes"}).status_code == 302
    network_id = SharingEvent.objects.get(action="network_created").network_id
    assert agglo.post(f"/listings/sharing/networks/{network_id}/invite/",
                      {"authority": chatellerault.pk}).status_code == 302
    town = client_for(chatellerault, town_admin)
    assert "Agglo et communes" in town.get("/listings/sharing/").content.decode()
    assert town.post(f"/listings/sharing/networks/{network_id}/join/").status_code == 302
    assert list(sharing_partners_of(chatellerault)) == [grand_chatellerault]
    assert town.post(f"/listings/sharing/networks/{network_id}/leave/").status_code == 302
    assert list(sharing_partners_of(chatellerault)) == []


# --- Networks grow only by agreement of all members (issue 12) -------------------------

def _two_member_network(agglo, town):
    """A network of `agglo` and `town`, both members. Returns (network, agglo admin,
    town admin)."""
    agglo_admin = admin_of(agglo)
    town_admin = admin_of(town)
    with in_authority(agglo):
        network = sharing.create_network(authority=agglo, actor=agglo_admin,
                                         name="Agglo et communes")
        sharing.invite_to_network(network=network, authority=agglo, actor=agglo_admin,
                                  other=town)
    with in_authority(town):
        sharing.join_network(network=network, authority=town, actor=town_admin)
    return network, agglo_admin, town_admin


def test_one_member_cannot_bring_a_newcomer_in_alone(chatellerault, grand_chatellerault,
                                                      naintre):
    """The attack: the town invites an outsider and the outsider accepts at once,
    without the agglomération agreeing. Now the invitation waits for every member."""
    network, agglo_admin, town_admin = _two_member_network(grand_chatellerault, chatellerault)
    with in_authority(chatellerault):
        invitation = sharing.invite_to_network(network=network, authority=chatellerault,
                                               actor=town_admin, other=naintre)
    assert invitation.status == MembershipStatus.PENDING
    outsider_admin = admin_of(naintre, email="admin-net@outsider.example")
    with in_authority(naintre), pytest.raises(ExchangeError) as refused:
        sharing.join_network(network=network, authority=naintre, actor=outsider_admin)
    assert refused.value.code == "state"
    outsider = client_for(naintre, outsider_admin)
    assert outsider.post(f"/listings/sharing/networks/{network.pk}/join/").status_code == 302
    assert list(sharing_partners_of(naintre)) == []
    assert NetworkMembership.objects.get(pk=invitation.pk).status == MembershipStatus.PENDING
    # The agglomération approves; then, only then, the outsider may join.
    with in_authority(grand_chatellerault):
        sharing.approve_newcomer(invitation=invitation, authority=grand_chatellerault,
                                 actor=agglo_admin)
    assert NetworkMembership.objects.get(pk=invitation.pk).status == MembershipStatus.INVITED
    assert outsider.post(f"/listings/sharing/networks/{network.pk}/join/").status_code == 302
    assert set(sharing_partners_of(naintre)) == {chatellerault, grand_chatellerault}
    trail = list(SharingEvent.objects.filter(network=network, other_authority=naintre)
                 .order_by("created_at", "id").values_list("action", "authority__slug"))
    assert trail == [(SharingAction.NETWORK_INVITED, "chatellerault"),
                     (SharingAction.NETWORK_APPROVED, "grand-chatellerault")]


def test_any_member_refuses_a_newcomer_for_good(chatellerault, grand_chatellerault, naintre):
    network, agglo_admin, town_admin = _two_member_network(grand_chatellerault, chatellerault)
    with in_authority(grand_chatellerault):
        invitation = sharing.invite_to_network(network=network, authority=grand_chatellerault,
                                               actor=agglo_admin, other=naintre)
    town = client_for(chatellerault, town_admin)
    url = f"/listings/sharing/networks/{network.pk}/invitations/{invitation.pk}"
    assert town.post(f"{url}/refuse/").status_code == 302
    refused = NetworkMembership.objects.get(pk=invitation.pk)
    assert refused.status == MembershipStatus.REFUSED
    assert refused.decided_by == town_admin.full_name  # the name, never the address
    with in_authority(naintre), pytest.raises(ExchangeError) as joined:
        sharing.join_network(network=network, authority=naintre, actor=authority_admin())
    assert joined.value.code == "state"
    with in_authority(grand_chatellerault), pytest.raises(ExchangeError) as late:
        sharing.approve_newcomer(invitation=invitation, authority=grand_chatellerault,
                                 actor=agglo_admin)
    assert late.value.code == "state"
    assert list(sharing_partners_of(naintre)) == []
    assert SharingEvent.objects.filter(network=network, action=SharingAction.NETWORK_REFUSED,
                                       authority=chatellerault, other_authority=naintre).exists()
    # A new invitation starts a new round: the earlier approvals do not count.
    with in_authority(grand_chatellerault):
        again = sharing.invite_to_network(network=network, authority=grand_chatellerault,
                                          actor=agglo_admin, other=naintre)
    assert again.status == MembershipStatus.PENDING
    assert [a.slug for a in missing_approvals(again)] == ["chatellerault"]


def test_only_admins_of_member_authorities_approve_and_only_once(chatellerault,
                                                                 grand_chatellerault, naintre):
    network, agglo_admin, town_admin = _two_member_network(grand_chatellerault, chatellerault)
    with in_authority(grand_chatellerault):
        invitation = sharing.invite_to_network(network=network, authority=grand_chatellerault,
                                               actor=agglo_admin, other=naintre)
    with in_authority(chatellerault):
        town_moderator = moderator()
    assert client_for(chatellerault, town_moderator).post(
        f"/listings/sharing/networks/{network.pk}/invitations/{invitation.pk}/approve/"
    ).status_code == 403
    # The newcomer itself is no member: it cannot approve its own invitation.
    outsider = client_for(naintre, admin_of(naintre, email="self-approve@outsider.example"))
    assert outsider.post(f"/listings/sharing/networks/{network.pk}/invitations/"
                         f"{invitation.pk}/approve/").status_code == 403
    assert outsider.post(f"/listings/sharing/networks/{network.pk}/invitations/"
                         f"{invitation.pk}/refuse/").status_code == 403
    # The inviter approved by inviting; approving twice is refused.
    with in_authority(grand_chatellerault), pytest.raises(ExchangeError) as twice:
        sharing.approve_newcomer(invitation=invitation, authority=grand_chatellerault,
                                 actor=agglo_admin)
    assert twice.value.code == "state"
    assert outsider.post(f"/listings/sharing/networks/{network.pk}/invitations/"
                         f"{invitation.pk}/promote/").status_code == 404
    assert NetworkMembership.objects.get(pk=invitation.pk).status == MembershipStatus.PENDING


def test_a_member_who_joins_later_must_approve_open_invitations_too(
        chatellerault, grand_chatellerault, naintre):
    agglo_admin, town_admin = admin_of(grand_chatellerault), admin_of(chatellerault)
    outsider_admin = admin_of(naintre, email="late@outsider.example")
    with in_authority(grand_chatellerault):
        network = sharing.create_network(authority=grand_chatellerault, actor=agglo_admin,
                                         name="Réseau")
        for other in (chatellerault, naintre):  # the only member: invited at once
            assert sharing.invite_to_network(
                network=network, authority=grand_chatellerault, actor=agglo_admin,
                other=other).status == MembershipStatus.INVITED
    with in_authority(chatellerault):
        sharing.join_network(network=network, authority=chatellerault, actor=town_admin)
    with in_authority(naintre), pytest.raises(ExchangeError):
        sharing.join_network(network=network, authority=naintre, actor=outsider_admin)
    invitation = NetworkMembership.objects.get(network=network, authority=naintre)
    assert invitation.status == MembershipStatus.PENDING
    assert [a.slug for a in missing_approvals(invitation)] == ["chatellerault"]
    with in_authority(chatellerault):
        sharing.approve_newcomer(invitation=invitation, authority=chatellerault,
                                 actor=town_admin)
    with in_authority(naintre):
        sharing.join_network(network=network, authority=naintre, actor=outsider_admin)
    assert set(sharing_partners_of(naintre)) == {chatellerault, grand_chatellerault}


def test_when_the_last_holdout_leaves_the_invitation_goes_on(chatellerault,
                                                             grand_chatellerault, naintre):
    network, agglo_admin, town_admin = _two_member_network(grand_chatellerault, chatellerault)
    with in_authority(grand_chatellerault):
        invitation = sharing.invite_to_network(network=network, authority=grand_chatellerault,
                                               actor=agglo_admin, other=naintre)
    with in_authority(chatellerault):
        sharing.leave_network(network=network, authority=chatellerault, actor=town_admin)
    assert NetworkMembership.objects.get(pk=invitation.pk).status == MembershipStatus.INVITED


def test_every_member_admin_sees_pending_newcomers_on_the_sharing_page(
        chatellerault, grand_chatellerault, naintre):
    network, agglo_admin, town_admin = _two_member_network(grand_chatellerault, chatellerault)
    with in_authority(chatellerault):
        invitation = sharing.invite_to_network(network=network, authority=chatellerault,
                                               actor=town_admin, other=naintre)
    approve = (f"/listings/sharing/networks/{network.pk}/invitations/{invitation.pk}"
               "/approve/")
    agglo_page = client_for(grand_chatellerault, agglo_admin).get("/listings/sharing/")
    assert agglo_page.status_code == 200
    agglo_html = agglo_page.content.decode()
    assert "Commune hors accord" in agglo_html
    assert approve in agglo_html  # the agglomération has not approved yet
    town_html = client_for(chatellerault, town_admin).get("/listings/sharing/").content.decode()
    assert "Commune hors accord" in town_html
    assert approve not in town_html  # the town approved by inviting
    outsider = client_for(naintre, admin_of(naintre, email="sees@outsider.example"))
    outsider_html = outsider.get("/listings/sharing/").content.decode()
    assert f"/listings/sharing/networks/{network.pk}/join/" not in outsider_html
    assert f"/listings/sharing/networks/{network.pk}/decline/" in outsider_html


def test_the_sharing_page_queries_do_not_grow_with_networks(chatellerault,
                                                            grand_chatellerault, naintre):
    agglo_admin = admin_of(grand_chatellerault)
    client = client_for(grand_chatellerault, agglo_admin)

    def network_with_invitations(name, *others):
        with in_authority(grand_chatellerault):
            network = sharing.create_network(authority=grand_chatellerault,
                                             actor=agglo_admin, name=name)
            for other in others:
                sharing.invite_to_network(network=network, authority=grand_chatellerault,
                                          actor=agglo_admin, other=other)

    def page_queries() -> int:
        client.get("/listings/sharing/")  # warm the session and caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/listings/sharing/").status_code == 200
        return len(queries)

    network_with_invitations("Premier", chatellerault)
    one = page_queries()
    network_with_invitations("Deuxième", chatellerault, naintre)
    network_with_invitations("Troisième", naintre)
    assert page_queries() == one


def test_the_shared_feed_folds_its_filters_and_counts_them(chatellerault, grand_chatellerault,
                                                          capture):
    """As the own feed: the filters are served folded behind « Filtrer (n) », the owner
    authority counting as a filter; htmx brings the count out of band."""
    share(chatellerault, grand_chatellerault)
    shared_listing(chatellerault, capture, title="Armoire métallique à rideaux")
    with in_authority(grand_chatellerault):
        viewer = agent()
    client = client_for(grand_chatellerault, viewer)
    plain = client.get("/listings/shared/", {"q": "armoire"}).content.decode()
    assert '<details class="feed-filter-panel" data-open-wide>' in plain
    assert "filtre actif" not in plain
    two = client.get("/listings/shared/", {"authority": "chatellerault",
                                           "condition": "good"}).content.decode()
    assert '<span aria-hidden="true">(2)</span>' in two and ", 2 filtres actifs" in two
    partial = client.get("/listings/shared/", {"authority": "chatellerault"},
                         HTTP_HX_REQUEST="true", HTTP_HX_TARGET="feed-results").content.decode()
    assert '<span id="feed-filter-count" hx-swap-oob="true">' in partial
    assert ", 1 filtre actif" in partial and "<details" not in partial
