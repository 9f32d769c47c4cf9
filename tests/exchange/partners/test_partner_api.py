"""The partner API on the bare host: keys, scopes, isolation between authorities, the
feed and its cursor, requests, statistics, errors as problem details."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from exchange.catalogue.models import CatalogueEntry
from exchange.listings.models import Listing
from exchange.listings.recipients import Recipient
from exchange.listings.services.closure import close_listing
from exchange.partners import services
from exchange.partners.models import ApiKey, PartnerRequest, Scope
from tests.accounts.factories import TokenFactory, agent, moderator
from tests.conftest import client_for, host_of, in_authority
from tests.exchange.listings.factories import published_listing
from tests.exchange.partners.factories import (
    api_key,
    grant,
    offer,
    offered_listing,
    partner,
)

pytestmark = pytest.mark.django_db

FEED = "/api/v1/partner/listings/"
STATS = "/api/v1/partner/stats/"


def partner_client(key: str | None = None, keyword: str = "Bearer") -> Client:
    headers = {"HTTP_AUTHORIZATION": f"{keyword} {key}"} if key else {}
    return Client(HTTP_HOST=host_of(None), **headers)


def request_path(authority, listing) -> str:
    return f"/api/v1/partner/listings/{authority.slug}/{listing.pk}/requests/"


@pytest.fixture
def ressourcerie(chatellerault):
    the_partner = partner(legal_name="Ressourcerie La Vienne Récup")
    grant(chatellerault, the_partner)
    _key, full_key = api_key(the_partner)
    return {"partner": the_partner, "key": full_key}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    assert body["detail"]
    return body


# --- Keys ---------------------------------------------------------------------------------

def test_a_granted_key_reads_the_offered_listings(ressourcerie, chatellerault):
    listing = offered_listing(chatellerault, title="Armoire haute à rideaux")
    response = partner_client(ressourcerie["key"]).get(FEED)
    assert response.status_code == 200
    [item] = response.json()["results"]
    assert item["id"] == f"chatellerault:{listing.pk}"
    assert item["title"] == "Armoire haute à rideaux"
    assert item["authority"] == {"slug": "chatellerault", "name": chatellerault.name,
                                 "departement": "86"}
    assert item["request_url"].endswith(request_path(chatellerault, listing))
    assert ApiKey.objects.get(partner=ressourcerie["partner"]).last_used_at is not None


def test_the_api_key_keyword_works_too(ressourcerie, chatellerault):
    assert partner_client(ressourcerie["key"], "Api-Key").get(FEED).status_code == 200


def test_no_key_a_malformed_or_unknown_key_is_a_401_problem(ressourcerie):
    assert_problem(partner_client().get(FEED), 401)
    body = assert_problem(partner_client("n'importe quoi").get(FEED), 401)
    assert "Bearer" in body["detail"]
    prefix = ressourcerie["key"].split(".")[0]
    assert_problem(partner_client(f"{prefix}.wrong-secret").get(FEED), 401)
    assert partner_client().get(FEED)["WWW-Authenticate"].startswith("Bearer")


def test_a_key_without_the_scope_is_refused(chatellerault):
    reporting = partner(kind="reporting", legal_name="Observatoire régional")
    grant(chatellerault, reporting, scopes=[Scope.STATS_READ])
    _key, full_key = api_key(reporting)
    body = assert_problem(partner_client(full_key).get(FEED), 403)
    assert "listings:read" in body["detail"]
    assert partner_client(full_key).get(STATS).status_code == 200
    listing = offered_listing(chatellerault)
    assert_problem(partner_client(full_key).post(
        request_path(chatellerault, listing), {}, content_type="application/json"), 403)


def test_a_revoked_key_is_refused_at_once(ressourcerie, chatellerault):
    client = partner_client(ressourcerie["key"])
    assert client.get(FEED).status_code == 200
    services.revoke_api_key(api_key=ApiKey.objects.get(partner=ressourcerie["partner"]),
                            actor_email="operateur@collectivrecup.example")
    body = assert_problem(client.get(FEED), 401)
    assert body["detail"] == "Cette clé d'API a été révoquée."


def test_an_expired_key_is_refused(ressourcerie):
    ApiKey.objects.filter(partner=ressourcerie["partner"]).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    body = assert_problem(partner_client(ressourcerie["key"]).get(FEED), 401)
    assert body["detail"] == "Cette clé d'API a expiré."


def test_a_revoked_grant_hides_the_authority_at_once(ressourcerie, chatellerault):
    offered_listing(chatellerault)
    client = partner_client(ressourcerie["key"])
    assert len(client.get(FEED).json()["results"]) == 1
    services.revoke_grant(grant=ressourcerie["partner"].grants.get(),
                          actor_email="admin@chatellerault.example")
    assert_problem(client.get(FEED), 403)


def test_a_grant_outside_its_agreement_dates_gives_nothing(chatellerault):
    the_partner = partner()
    today = timezone.localdate()
    grant(chatellerault, the_partner, valid_from=today + timedelta(days=1))
    _key, full_key = api_key(the_partner)
    offered_listing(chatellerault)
    assert_problem(partner_client(full_key).get(FEED), 403)


def test_a_key_granted_by_a_sees_nothing_of_b(ressourcerie, chatellerault, grand_chatellerault):
    mine = offered_listing(chatellerault, title="Bureau chêne")
    theirs = offered_listing(grand_chatellerault, title="Vélo de service")
    client = partner_client(ressourcerie["key"])
    ids = [item["id"] for item in client.get(FEED).json()["results"]]
    assert ids == [f"chatellerault:{mine.pk}"]
    assert client.get(FEED, {"authority": "grand-chatellerault"}).json()["results"] == []
    # Nor may it ask for B's listing, nor read B's figures.
    assert_problem(client.post(request_path(grand_chatellerault, theirs), {},
                               content_type="application/json"), 403)
    slugs = [row["authority"]["slug"] for row in client.get(STATS).json()["authorities"]]
    assert slugs == ["chatellerault"]


def test_agents_tokens_are_refused_on_the_partner_api(chatellerault, ressourcerie):
    with in_authority(chatellerault):
        token = TokenFactory()
    assert_problem(partner_client(token.key, "Token").get(FEED), 401)
    # The partner API does not exist on an authority's host.
    response = client_for(chatellerault).get(
        FEED, HTTP_AUTHORIZATION=f"Bearer {ressourcerie['key']}")
    assert response.status_code == 404


def test_partner_keys_are_refused_on_the_agents_api(chatellerault, ressourcerie):
    for keyword in ("Bearer", "Token", "Api-Key"):
        response = client_for(chatellerault).get(
            "/api/v1/listings/", HTTP_AUTHORIZATION=f"{keyword} {ressourcerie['key']}")
        assert response.status_code == 401


# --- The feed -------------------------------------------------------------------------------

def test_not_offered_or_opted_out_listings_are_not_in_the_feed(ressourcerie, chatellerault):
    with in_authority(chatellerault):
        published_listing(title="Jamais proposée")
        opted_out = published_listing(title="Gardée pour nous")
        Listing.objects.filter(pk=opted_out.pk).update(partner_offer_opt_out=True)
        offer(opted_out)
    assert partner_client(ressourcerie["key"]).get(FEED).json()["results"] == []


def test_cursor_pagination_walks_every_entry_once_in_sync_order(ressourcerie, chatellerault):
    with in_authority(chatellerault):
        listings = [published_listing(title=f"Lot n°{n}") for n in range(5)]
        for listing in listings:
            offer(listing)
    client = partner_client(ressourcerie["key"])
    seen, url, pages = [], FEED + "?page_size=2", 0
    while url:
        body = client.get(url).json()
        seen += [item["listing_id"] for item in body["results"]]
        url, pages = body["next"], pages + 1
    assert seen == [listing.pk for listing in listings] and pages == 3
    # Resuming from the last cursor: nothing new, then only what changed since.
    cursor = body["next_cursor"]
    assert client.get(FEED, {"cursor": cursor}).json()["results"] == []
    CatalogueEntry.objects.filter(listing_id=listings[1].pk).update(updated_at=timezone.now())
    again = client.get(FEED, {"cursor": cursor}).json()
    assert [item["listing_id"] for item in again["results"]] == [listings[1].pk]


def test_cursor_walks_entries_stamped_at_the_same_moment_once(ressourcerie, chatellerault):
    """A catalogue rebuild gives every changed entry one `updated_at`: the cursor keys
    on (updated_at, pk), so ties across pages are neither skipped nor repeated."""
    with in_authority(chatellerault):
        listings = [published_listing(title=f"Lot n°{n}") for n in range(5)]
        for listing in listings:
            offer(listing)
    CatalogueEntry.objects.filter(listing_id__in=[item.pk for item in listings]).update(
        updated_at=timezone.now())
    client = partner_client(ressourcerie["key"])
    seen, url = [], FEED + "?page_size=2"
    while url:
        body = client.get(url).json()
        seen += [item["listing_id"] for item in body["results"]]
        url = body["next"]
    assert seen == [listing.pk for listing in listings]
    assert client.get(FEED, {"cursor": body["next_cursor"]}).json()["results"] == []


def test_updated_since_category_and_departement_filters(ressourcerie, chatellerault):
    with in_authority(chatellerault):
        old = published_listing(title="Ancienne armoire")
        offer(old)
    CatalogueEntry.objects.filter(listing_id=old.pk).update(
        updated_at=timezone.now() - timedelta(days=3))
    new = offered_listing(chatellerault, title="Chaises neuves")
    client = partner_client(ressourcerie["key"])
    since = (timezone.now() - timedelta(days=1)).isoformat()
    ids = [i["listing_id"] for i in client.get(FEED, {"updated_since": since}).json()["results"]]
    assert ids == [new.pk]
    assert len(client.get(FEED, {"departement": "86"}).json()["results"]) == 2
    assert client.get(FEED, {"departement": "75"}).json()["results"] == []
    category = CatalogueEntry.objects.get(listing_id=new.pk).category
    assert len(client.get(FEED, {"category": category}).json()["results"]) == 2
    assert client.get(FEED, {"category": "Rien de tel"}).json()["results"] == []


@pytest.mark.parametrize("params", [{"updated_since": "hier"}, {"cursor": "pas-un-curseur"},
                                    {"page_size": "0"}, {"departement": "France"}])
def test_bad_parameters_are_a_400_problem_naming_them(ressourcerie, params):
    body = assert_problem(partner_client(ressourcerie["key"]).get(FEED, params), 400)
    assert set(body["errors"]) == set(params)


def test_feed_query_count_does_not_grow_with_rows(ressourcerie, chatellerault,
                                                  django_assert_max_num_queries):
    with in_authority(chatellerault):
        for n in range(6):
            offer(published_listing(title=f"Lot {n}"))
    client = partner_client(ressourcerie["key"])
    with django_assert_max_num_queries(8):
        assert len(client.get(FEED).json()["results"]) == 6


def test_the_key_is_throttled_with_retry_after(ressourcerie, settings):
    from rest_framework.settings import api_settings

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "partner_key": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    from exchange.partners.api.views import PartnerKeyThrottle

    original = PartnerKeyThrottle.THROTTLE_RATES
    PartnerKeyThrottle.THROTTLE_RATES = rates
    try:
        client = partner_client(ressourcerie["key"])
        assert [client.get(FEED).status_code for _ in range(2)] == [200, 200]
        response = client.get(FEED)
        assert_problem(response, 429)
        assert int(response["Retry-After"]) > 0
    finally:
        PartnerKeyThrottle.THROTTLE_RATES = original
        from django.core.cache import cache

        cache.clear()


# --- No € value, no person ------------------------------------------------------------------

def test_no_value_nor_agents_email_in_any_partner_response(
        ressourcerie, chatellerault, django_capture_on_commit_callbacks):
    with in_authority(chatellerault), django_capture_on_commit_callbacks(execute=True):
        poster = agent(email="jeanne.poster@chatellerault.example")
        listing = published_listing(poster=poster, title="Table de réunion")
        offer(listing)
        close_listing(listing=published_listing(poster=poster),
                      actor=poster, reason="exchanged_internal",
                      recipient=Recipient.service(poster.service))
    client = partner_client(ressourcerie["key"])
    responses = [client.get(FEED), client.get(STATS),
                 client.post(request_path(chatellerault, listing),
                             {"message": "Nous passons jeudi."},
                             content_type="application/json"),
                 client.get("/api/v1/partner/schema/")]
    assert [r.status_code for r in responses] == [200, 200, 201, 200]
    for response in responses[:3]:
        text = response.content.decode()
        assert "estimated_value" not in text and '"value"' not in text
        assert "@chatellerault.example" not in text and "345.67" not in text
        assert "jeanne" not in text.lower()


# --- Requests -------------------------------------------------------------------------------

def test_a_request_mails_the_poster_with_moderators_in_cc(
        ressourcerie, chatellerault, django_capture_on_commit_callbacks):
    with in_authority(chatellerault):
        boss = moderator(email="moderatrice@chatellerault.example")
        listing = published_listing(approver=boss, title="Bureau double")
        offer(listing)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = partner_client(ressourcerie["key"]).post(
            request_path(chatellerault, listing), {"message": "Nous pouvons venir mardi."},
            content_type="application/json")
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    [message] = mail.outbox
    assert message.to == [listing.poster.email]
    assert "moderatrice@chatellerault.example" in message.cc
    assert message.reply_to == [ressourcerie["partner"].contact_email]
    assert "Ressourcerie La Vienne Récup" in message.subject
    assert "Nous pouvons venir mardi." in message.body
    assert PartnerRequest.objects.get().status == "sent"


def test_a_second_request_is_a_409_and_an_unknown_listing_a_404(ressourcerie, chatellerault):
    listing = offered_listing(chatellerault)
    client = partner_client(ressourcerie["key"])
    path = request_path(chatellerault, listing)
    assert client.post(path, {}, content_type="application/json").status_code == 201
    assert_problem(client.post(path, {}, content_type="application/json"), 409)
    assert_problem(client.post(f"/api/v1/partner/listings/chatellerault/{listing.pk + 999}"
                               "/requests/", {}, content_type="application/json"), 404)
    assert_problem(client.post(f"/api/v1/partner/listings/nowhere/{listing.pk}/requests/",
                               {}, content_type="application/json"), 404)
    too_long = {"message": "x" * 2001}
    assert_problem(client.post(path, too_long, content_type="application/json"), 400)
    assert PartnerRequest.objects.count() == 1


# --- Statistics and schema ------------------------------------------------------------------

def test_stats_give_aggregates_by_destination(ressourcerie, chatellerault,
                                              django_capture_on_commit_callbacks):
    with in_authority(chatellerault), django_capture_on_commit_callbacks(execute=True):
        poster = agent()
        listing = published_listing(poster=poster, quantity=4)
        close_listing(listing=listing, actor=poster,
                      reason="exchanged_internal",
                      recipient=Recipient.service(poster.service))
    body = partner_client(ressourcerie["key"]).get(STATS).json()
    [row] = body["authorities"]
    assert row["totals"]["items"] == 4
    assert [d["destination"] for d in row["by_destination"]] == ["same_authority"]
    assert row["by_category"][0]["items"] == 4
    bad = partner_client(ressourcerie["key"]).get(STATS, {"start": "2026-02-01",
                                                          "end": "2026-01-01"})
    assert_problem(bad, 400)


def test_the_schema_describes_the_key_and_the_problems():
    response = partner_client().get("/api/v1/partner/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert set(schema["paths"]) == {
        "/api/v1/partner/listings/", "/api/v1/partner/stats/",
        "/api/v1/partner/listings/{authority_slug}/{listing_id}/requests/",
        "/api/v1/partner/listings/{authority_slug}/{listing_id}/photos/{photo_id}/{size}/"}
    assert schema["components"]["securitySchemes"]["partnerKey"]["scheme"] == "bearer"
    feed = schema["paths"]["/api/v1/partner/listings/"]["get"]
    assert "application/problem+json" in feed["responses"]["401"]["content"]
    assert "examples" in feed["responses"]["200"]["content"]["application/json"]


# --- Photos ---------------------------------------------------------------------------------

def test_photos_of_an_offered_listing_are_served_to_granted_keys_only(
        ressourcerie, chatellerault, grand_chatellerault):
    from exchange.listings import photos
    from tests.exchange.listings.factories import image_upload

    with in_authority(chatellerault):
        poster = agent()
        listing = published_listing(poster=poster)
        photo = photos.add_photo(listing=listing, actor=poster, upload=image_upload())
        hidden = published_listing(poster=poster)
        hidden_photo = photos.add_photo(listing=hidden, actor=poster, upload=image_upload())
        # A new photo sends a published listing back to moderation: approve it again.
        Listing.objects.filter(pk__in=[listing.pk, hidden.pk]).update(status="published")
        offer(listing)
    client = partner_client(ressourcerie["key"])
    [item] = client.get(FEED).json()["results"]
    [links] = item["photos"]
    assert links["full"].endswith(
        f"/api/v1/partner/listings/chatellerault/{listing.pk}/photos/{photo.pk}/full/")
    response = client.get(links["thumb"])
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    # Not offered, not this listing's photo, no key, another partner: refused.
    base = "/api/v1/partner/listings/chatellerault"
    assert_problem(client.get(f"{base}/{hidden.pk}/photos/{hidden_photo.pk}/full/"), 404)
    assert_problem(client.get(f"{base}/{listing.pk}/photos/{hidden_photo.pk}/full/"), 404)
    assert_problem(client.get(f"{base}/{listing.pk}/photos/{photo.pk}/huge/"), 404)
    assert_problem(partner_client().get(links["full"]), 401)
    stranger = partner()
    grant(grand_chatellerault, stranger)
    _key, stranger_key = api_key(stranger)
    assert_problem(partner_client(stranger_key).get(links["full"]), 404)
    other_accept = client.get(links["full"], HTTP_ACCEPT="text/html")
    assert other_accept.status_code == 200
    # A streamed answer ends its request (and resets the urlconf) once read to the end.
    assert b"".join(other_accept.streaming_content)[:2] == b"\xff\xd8"
