"""Partner keys belong to a grant; a grant takes effect when the partner accepts it;
revocation and an authority that stops being live cut access at once (issue 12,
points 1 and 4 for partner surfaces)."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from exchange.partners import acceptance, services, webhooks
from exchange.partners.grounds import PartnerGrantGround
from exchange.partners.models import (
    ApiKey,
    DeliveryStatus,
    PartnerGrant,
    PartnerRequest,
    Scope,
    WebhookDelivery,
)
from tenants.crossing import may_cross
from tenants.models import Authority
from tests.accounts.factories import agent, authority_admin
from tests.conftest import client_for, host_of, in_authority
from tests.exchange.listings.factories import published_listing
from tests.exchange.partners.factories import (
    ApiKeyFactory,
    PartnerGrantFactory,
    PartnerRequestFactory,
    WebhookEndpointFactory,
    accept,
    api_key,
    grant,
    offer,
    offered_listing,
    partner,
)
from tests.exchange.partners.test_partner_api import FEED, STATS, assert_problem, partner_client

pytestmark = pytest.mark.django_db

PAGE = "/listings/partners/"


def feed_ids(key: str) -> list[str]:
    response = partner_client(key).get(FEED)
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def photo_path(authority, listing, photo) -> str:
    return (f"/api/v1/partner/listings/{authority.slug}/{listing.pk}/photos/{photo.pk}/"
            "full/")


def listing_with_photo(authority):
    from exchange.listings import photos
    from exchange.listings.models import Listing
    from tests.exchange.listings.factories import image_upload

    with in_authority(authority):
        poster = agent()
        listing = published_listing(poster=poster)
        photo = photos.add_photo(listing=listing, actor=poster, upload=image_upload())
        Listing.objects.filter(pk=listing.pk).update(status="published")
        offer(listing)
    return listing, photo


@pytest.fixture
def ressourcerie(chatellerault):
    """The demo situation: a ressourcerie granted (and accepted) by Châtellerault."""
    the_partner = partner(legal_name="Ressourcerie Le Grenier")
    grant(chatellerault, the_partner)
    return the_partner


@pytest.fixture
def gc_admin(grand_chatellerault):
    with in_authority(grand_chatellerault):
        return authority_admin(email="admin@grand-chatellerault.example")


def admin_grants_and_creates_a_key(grand_chatellerault, gc_admin, the_partner) -> str:
    """Through the admin's pages: grant, then create a key; returns the full key."""
    page = client_for(grand_chatellerault, gc_admin)
    assert page.post(PAGE + "grants/", {"partner": the_partner.pk,
                                        "scopes": ["listings:read", "listings:request",
                                                   "stats:read"]}).status_code == 302
    response = page.post(PAGE + "keys/", {"partner": the_partner.pk, "name": "Stock"})
    assert response.status_code == 200
    return response.context["new_key"]["secret"]


# --- Point 1: an authority's admin can no longer mint a partner-wide key ---------------------

def test_a_key_made_by_gcs_admin_reads_gc_only_never_chatellerault(
        chatellerault, grand_chatellerault, ressourcerie, gc_admin):
    theirs = offered_listing(chatellerault, title="Armoire de Châtellerault")
    mine = offered_listing(grand_chatellerault, title="Bureau de l'agglomération")
    key = admin_grants_and_creates_a_key(grand_chatellerault, gc_admin, ressourcerie)
    gc_grant = PartnerGrant.objects.get(authority=grand_chatellerault, partner=ressourcerie)
    assert ApiKey.objects.get(prefix=key.split(".")[0]).grant == gc_grant
    # Not accepted yet: the key reads nothing (403, no authority grants it anything).
    assert_problem(partner_client(key).get(FEED), 403)
    accept(gc_grant)
    assert feed_ids(key) == [f"grand-chatellerault:{mine.pk}"]
    client = partner_client(key)
    assert client.get(FEED, {"authority": "chatellerault"}).json()["results"] == []
    slugs = [row["authority"]["slug"] for row in client.get(STATS).json()["authorities"]]
    assert slugs == ["grand-chatellerault"]
    # Nor may it ask for Châtellerault's listing, although the partner may (other grant).
    response = client.post(f"/api/v1/partner/listings/chatellerault/{theirs.pk}/requests/",
                           {}, content_type="application/json")
    assert_problem(response, 403)
    assert not PartnerRequest.objects.exists()
    # An operator-issued key of the same partner reads both authorities.
    _operator_key, partner_wide = api_key(ressourcerie)
    assert sorted(feed_ids(partner_wide)) == sorted(
        [f"chatellerault:{theirs.pk}", f"grand-chatellerault:{mine.pk}"])


def test_a_grant_key_reads_no_photo_of_another_authority(
        chatellerault, grand_chatellerault, ressourcerie):
    listing, photo = listing_with_photo(chatellerault)
    grant(grand_chatellerault, ressourcerie)
    _key, gc_key = api_key(ressourcerie, authority=grand_chatellerault)
    assert_problem(partner_client(gc_key).get(photo_path(chatellerault, listing, photo)), 404)
    _key, partner_wide = api_key(ressourcerie)
    response = partner_client(partner_wide).get(photo_path(chatellerault, listing, photo))
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


def test_the_ground_holds_for_the_keys_own_grant_only(
        chatellerault, grand_chatellerault, ressourcerie):
    grant(grand_chatellerault, ressourcerie)
    gc_key, _full = api_key(ressourcerie, authority=grand_chatellerault)
    operator_key, _full = api_key(ressourcerie)
    read = Scope.LISTINGS_READ
    assert may_cross(grand_chatellerault, PartnerGrantGround(ressourcerie, read, gc_key))
    assert not may_cross(chatellerault, PartnerGrantGround(ressourcerie, read, gc_key))
    assert may_cross(chatellerault, PartnerGrantGround(ressourcerie, read, operator_key))
    stranger = partner()
    assert not may_cross(chatellerault, PartnerGrantGround(stranger, read))
    # Another partner's key never stands for this one.
    strangers_key, _full = api_key(stranger)
    assert not may_cross(chatellerault, PartnerGrantGround(ressourcerie, read, strangers_key))


def test_revoking_the_grant_revokes_its_keys_at_once(
        chatellerault, grand_chatellerault, ressourcerie):
    """Defined: a key of a revoked grant answers 401 (revoked); an operator-issued key
    keeps its other authorities and loses this one (403 once it has none)."""
    offered_listing(chatellerault)
    gc_listing = offered_listing(grand_chatellerault)
    gc_grant = grant(grand_chatellerault, ressourcerie)
    _key, gc_key = api_key(ressourcerie, authority=grand_chatellerault)
    _key, partner_wide = api_key(ressourcerie)
    assert feed_ids(gc_key) == [f"grand-chatellerault:{gc_listing.pk}"]
    services.revoke_grant(grant=gc_grant, actor_email="admin@grand-chatellerault.example",
                          authority=grand_chatellerault)
    body = assert_problem(partner_client(gc_key).get(FEED), 401)
    assert "révoquée" in body["detail"]
    assert ApiKey.objects.get(prefix=gc_key.split(".")[0]).revoked_at is not None
    assert [i.split(":")[0] for i in feed_ids(partner_wide)] == ["chatellerault"]
    services.revoke_grant(grant=PartnerGrant.objects.get(authority=chatellerault,
                                                         revoked_at__isnull=True),
                          actor_email="admin@chatellerault.example")
    assert_problem(partner_client(partner_wide).get(FEED), 403)


def test_a_new_grant_does_not_revive_the_keys_of_a_revoked_one(
        grand_chatellerault, ressourcerie):
    offered_listing(grand_chatellerault)
    old = grant(grand_chatellerault, ressourcerie)
    _key, old_key = api_key(ressourcerie, authority=grand_chatellerault)
    services.revoke_grant(grant=old, actor_email="admin@grand-chatellerault.example")
    grant(grand_chatellerault, ressourcerie)
    assert_problem(partner_client(old_key).get(FEED), 401)


def test_an_admin_revokes_only_keys_of_its_own_grants(
        chatellerault, grand_chatellerault, ressourcerie):
    operator_key, _full = api_key(ressourcerie)
    with pytest.raises(services.ExchangeError):
        services.revoke_api_key(api_key=operator_key, actor_email="admin@chatellerault.example",
                                authority=chatellerault)
    grant(grand_chatellerault, ressourcerie)
    gc_key, _full = api_key(ressourcerie, authority=grand_chatellerault)
    with pytest.raises(services.ExchangeError):
        services.revoke_api_key(api_key=gc_key, actor_email="admin@chatellerault.example",
                                authority=chatellerault)
    gc_key.refresh_from_db()
    operator_key.refresh_from_db()
    assert gc_key.revoked_at is None and operator_key.revoked_at is None


# --- The admin page lists every key that can read the authority's data -----------------------

def test_the_admin_page_lists_every_key_that_can_read_its_data(
        chatellerault, grand_chatellerault, ressourcerie):
    with in_authority(chatellerault):
        admin = authority_admin(email="admin@chatellerault.example")
    own_key, _full = api_key(ressourcerie, authority=chatellerault)
    operator_key, _full = api_key(ressourcerie)
    other = partner()
    grant(grand_chatellerault, other)
    foreign_operator_key, _full = api_key(other)
    foreign_grant_key, _full = api_key(other, authority=grand_chatellerault)
    page = client_for(chatellerault, admin)
    response = page.get(PAGE)
    html = response.content.decode()
    rows = {row["key"].prefix: row for row in response.context["key_rows"]}
    assert set(rows) == {own_key.prefix, operator_key.prefix}
    assert foreign_operator_key.prefix not in html and foreign_grant_key.prefix not in html
    assert rows[own_key.prefix]["own"] and not rows[operator_key.prefix]["own"]
    chat_grant = PartnerGrant.objects.get(authority=chatellerault, partner=ressourcerie)
    assert rows[operator_key.prefix]["grant"] == chat_grant
    # Its part of the operator-issued key: revoke the grant behind it.
    assert f'action="{PAGE}grants/{chat_grant.pk}/revoke/"' in html
    assert f'action="{PAGE}keys/{operator_key.pk}/revoke/"' not in html
    assert page.post(f"{PAGE}keys/{operator_key.pk}/revoke/").status_code == 404
    assert page.post(f"{PAGE}keys/{own_key.pk}/revoke/").status_code == 302
    own_key.refresh_from_db()
    assert own_key.revoked_at is not None


def test_a_partner_without_grant_gets_no_key_from_an_admin_page(chatellerault, ressourcerie,
                                                                  grand_chatellerault, gc_admin):
    response = client_for(grand_chatellerault, gc_admin).post(
        PAGE + "keys/", {"partner": ressourcerie.pk, "name": "Stock"})
    assert response.status_code == 400
    assert not ApiKey.objects.exists()


# --- Point 1: the grant takes effect when the partner accepts it -----------------------------

def invitation_link(message) -> str:
    [url] = re.findall(r"http://[^\s]+/partners/accept/[^\s]+/", message.body)
    return url


def test_creating_a_grant_mails_a_link_that_accepts_it_once(
        grand_chatellerault, gc_admin, django_capture_on_commit_callbacks):
    ressourcerie = partner(contact_email="contact@grenier.example")
    listing = offered_listing(grand_chatellerault)
    _key, partner_wide = api_key(ressourcerie)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        the_grant = grant(grand_chatellerault, ressourcerie, accepted=False,
                          scopes=[Scope.LISTINGS_READ], valid_until=timezone.localdate()
                          + timedelta(days=90))
    [message] = mail.outbox
    assert message.to == ["contact@grenier.example"]
    assert grand_chatellerault.name in message.subject
    url = invitation_link(message)
    path = url.split("localhost", 1)[1].lstrip(":0123456789")
    assert url.startswith(f"http://{host_of(None)}")
    # Until accepted: nothing.
    assert_problem(partner_client(partner_wide).get(FEED), 403)
    browser = Client(HTTP_HOST=host_of(None), enforce_csrf_checks=True)
    page = browser.get(path)
    html = page.content.decode()
    assert page.status_code == 200
    assert grand_chatellerault.name in html and "Lire les annonces proposées" in html
    assert the_grant.valid_until.strftime("%d/%m/%Y") in html
    # POST without the CSRF token: refused, nothing accepted.
    assert browser.post(path).status_code == 403
    the_grant.refresh_from_db()
    assert the_grant.accepted_at is None
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(path, {"csrfmiddlewaretoken": token})
    assert accepted.status_code == 200 and accepted.context["accepted"]
    the_grant.refresh_from_db()
    assert the_grant.accepted_at is not None
    assert feed_ids(partner_wide) == [f"grand-chatellerault:{listing.pk}"]
    # Not twice.
    again = browser.post(path, {"csrfmiddlewaretoken": token})
    assert again.status_code == 409 and "une seule fois" in again.content.decode()
    assert browser.get(path).status_code == 409


def test_the_admin_sends_the_link_again_while_the_grant_waits(
        chatellerault, grand_chatellerault, gc_admin, django_capture_on_commit_callbacks):
    the_grant = grant(grand_chatellerault, partner(contact_email="re@grenier.example"),
                      accepted=False)
    page = client_for(grand_chatellerault, gc_admin)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert page.post(f"{PAGE}grants/{the_grant.pk}/resend/").status_code == 302
    [message] = mail.outbox
    assert message.to == ["re@grenier.example"]
    assert "/partners/accept/" in message.body
    # Another authority's admin cannot; nor once accepted.
    with in_authority(chatellerault):
        other = authority_admin(email="admin@chatellerault.example")
    assert client_for(chatellerault, other).post(
        f"{PAGE}grants/{the_grant.pk}/resend/").status_code == 404
    accept(the_grant)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(f"{PAGE}grants/{the_grant.pk}/resend/", follow=True)
    assert mail.outbox == []
    assert "attend plus le partenaire" in response.content.decode()


def test_a_tampered_link_or_another_grants_token_is_refused(grand_chatellerault):
    ressourcerie = partner()
    the_grant = grant(grand_chatellerault, ressourcerie, accepted=False)
    token = acceptance.make_token(the_grant)
    client = Client(HTTP_HOST=host_of(None))
    payload, stamp, signature = token.split(":")
    forged = f"{payload[:-2]}{'AB' if payload[-2:] != 'AB' else 'CD'}:{stamp}:{signature}"
    for bad in (forged, token[:-1] + ("a" if token[-1] != "a" else "b"), "garbage"):
        response = client.post(f"/partners/accept/{bad}/")
        assert response.status_code == 400
        assert "pas valable" in response.content.decode()
    the_grant.refresh_from_db()
    assert the_grant.accepted_at is None


def test_an_expired_link_is_refused(grand_chatellerault, monkeypatch):
    the_grant = grant(grand_chatellerault, partner(), accepted=False)
    made_at = time.time() - acceptance.LINK_LIFETIME.total_seconds() - 60
    monkeypatch.setattr(acceptance.signing.time, "time", lambda: made_at)
    token = acceptance.make_token(the_grant)
    monkeypatch.undo()
    response = Client(HTTP_HOST=host_of(None)).post(f"/partners/accept/{token}/")
    assert response.status_code == 400 and "expiré" in response.content.decode()
    the_grant.refresh_from_db()
    assert the_grant.accepted_at is None


def test_a_revoked_grant_cannot_be_accepted(grand_chatellerault):
    the_grant = grant(grand_chatellerault, partner(), accepted=False)
    token = acceptance.make_token(the_grant)
    services.revoke_grant(grant=the_grant, actor_email="admin@grand-chatellerault.example")
    response = Client(HTTP_HOST=host_of(None)).post(f"/partners/accept/{token}/")
    assert response.status_code == 409
    the_grant.refresh_from_db()
    assert the_grant.accepted_at is None


def test_the_acceptance_page_is_not_on_an_authoritys_host(grand_chatellerault):
    the_grant = grant(grand_chatellerault, partner(), accepted=False)
    token = acceptance.make_token(the_grant)
    assert client_for(grand_chatellerault).get(f"/partners/accept/{token}/").status_code == 404


def test_an_unaccepted_grant_gives_no_donation_choice_nor_webhook(chatellerault):
    from exchange.partners.selectors import partners_granted_by

    pending = partner()
    grant(chatellerault, pending, accepted=False)
    WebhookEndpointFactory(partner=pending, url="http://127.0.0.1:9/hooks", secret="s")
    assert not partners_granted_by(chatellerault).filter(pk=pending.pk).exists()
    assert webhooks.enqueue("listing.offered", chatellerault, {"listing_id": 1}) == 0


# --- Point 4: suspended, closed, deleted authorities disappear from partner surfaces ---------

def stop_serving(authority: Authority, how: str) -> None:
    if how == "deleted":
        Authority.all_objects.filter(pk=authority.pk).update(
            status="closed", data_deleted_at=timezone.now())
    else:
        Authority.objects.filter(pk=authority.pk).update(status=how)


@pytest.mark.parametrize("how, request_status", [
    ("suspended", 403), ("closed", 403),
    ("deleted", 404),  # its data were deleted: no such authority any more
])
def test_an_authority_no_longer_live_vanishes_from_feed_photos_stats_and_requests(
        chatellerault, grand_chatellerault, ressourcerie, how, request_status):
    listing, photo = listing_with_photo(chatellerault)
    gc_listing = offered_listing(grand_chatellerault)
    grant(grand_chatellerault, ressourcerie)
    _key, key = api_key(ressourcerie)
    client = partner_client(key)
    assert len(feed_ids(key)) == 2
    assert client.get(photo_path(chatellerault, listing, photo)).status_code == 200
    stop_serving(chatellerault, how)
    assert feed_ids(key) == [f"grand-chatellerault:{gc_listing.pk}"]
    assert_problem(client.get(photo_path(chatellerault, listing, photo)), 404)
    slugs = [row["authority"]["slug"] for row in client.get(STATS).json()["authorities"]]
    assert slugs == ["grand-chatellerault"]
    response = client.post(f"/api/v1/partner/listings/chatellerault/{listing.pk}/requests/",
                           {}, content_type="application/json")
    assert_problem(response, request_status)
    assert not PartnerRequest.objects.exists()


def test_a_key_of_a_suspended_authoritys_grant_reads_nothing(chatellerault, ressourcerie):
    offered_listing(chatellerault)
    _key, key = api_key(ressourcerie, authority=chatellerault)
    assert len(feed_ids(key)) == 1
    stop_serving(chatellerault, "suspended")
    assert_problem(partner_client(key).get(FEED), 403)
    assert_problem(partner_client(key).get(STATS), 403)
    Authority.objects.filter(pk=chatellerault.pk).update(status="active")
    assert len(feed_ids(key)) == 1


def test_a_pending_request_of_a_suspended_authority_is_not_mailed(chatellerault,
                                                                  ressourcerie):
    from exchange.partners.services import queue_request_mail
    from exchange.partners.tasks import send_request_mail

    listing = offered_listing(chatellerault)
    partner_request = PartnerRequestFactory(
        partner=ressourcerie, authority=chatellerault, listing_id=listing.pk)
    stop_serving(chatellerault, "suspended")
    mail.outbox.clear()
    queue_request_mail(partner_request.pk)
    with in_authority(chatellerault):
        assert send_request_mail(partner_request.pk) == "access ended"
    assert mail.outbox == []
    partner_request.refresh_from_db()
    assert partner_request.status == "pending"


def recording_sender(sent: list):
    """A `send` for webhooks.deliver that records each call in `sent` and answers 200."""
    def send(*args):
        sent.append(args)
        return 200
    return send


def test_pending_deliveries_of_a_suspended_authority_are_skipped_not_sent(
        chatellerault, ressourcerie):
    WebhookEndpointFactory(partner=ressourcerie, url="http://127.0.0.1:9/h", secret="s")
    assert webhooks.enqueue("listing.offered", chatellerault, {"listing_id": 7}) == 1
    delivery = WebhookDelivery.objects.get()
    stop_serving(chatellerault, "suspended")
    sent = []
    assert webhooks.deliver(delivery.pk, send=recording_sender(sent)) == DeliveryStatus.SKIPPED
    delivery.refresh_from_db()
    assert sent == [] and delivery.status == DeliveryStatus.SKIPPED
    assert delivery.next_retry_at is None
    assert delivery.pk not in webhooks.due_deliveries()
    # New events of a suspended authority are not even queued.
    assert webhooks.enqueue("listing.offered", chatellerault, {"listing_id": 8}) == 0


def test_a_delivery_whose_grant_was_revoked_is_skipped(chatellerault, ressourcerie):
    WebhookEndpointFactory(partner=ressourcerie, url="http://127.0.0.1:9/h", secret="s")
    webhooks.enqueue("listing.offered", chatellerault, {"listing_id": 7})
    services.revoke_grant(grant=ressourcerie.grants.get(), actor_email="a@b.example")
    sent = []
    assert webhooks.deliver(WebhookDelivery.objects.get().pk,
                            send=recording_sender(sent)) == "skipped"
    assert sent == []


def test_a_live_authoritys_delivery_still_goes_out(chatellerault, ressourcerie):
    WebhookEndpointFactory(partner=ressourcerie, url="http://127.0.0.1:9/h", secret="s")
    webhooks.enqueue("listing.offered", chatellerault, {"listing_id": 7})
    sent = []
    assert webhooks.deliver(WebhookDelivery.objects.get().pk,
                            send=recording_sender(sent)) == "delivered"
    assert len(sent) == 1


# --- The data migration -------------------------------------------------------------------

def test_the_data_migration_accepts_old_grants_and_binds_admin_keys(
        chatellerault, grand_chatellerault):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "exchange.partners.migrations.0003_existing_grants_accepted_keys_bound")
    old_partner = partner()
    # Rows as they were before the migration: a grant nobody accepted (acceptance did
    # not exist), admins' keys bound to no grant, an operator's key.
    old_grant = PartnerGrantFactory(authority=chatellerault, partner=old_partner,
                                    scopes=[Scope.LISTINGS_READ], accepted_at=None,
                                    accepted_by="")
    bound = ApiKeyFactory(partner=old_partner, name="a", authority=chatellerault,
                          created_by="a")
    orphan = ApiKeyFactory(partner=old_partner, name="b", authority=grand_chatellerault,
                           created_by="b")
    operator_made = ApiKeyFactory(partner=old_partner, name="c", created_by="operator")
    migration.forwards(apps, None)
    old_grant.refresh_from_db()
    assert old_grant.accepted_at == old_grant.created_at
    for key in (bound, orphan, operator_made):
        key.refresh_from_db()
    assert bound.grant == old_grant and bound.revoked_at is None
    assert orphan.grant is None and orphan.revoked_at is not None
    assert operator_made.grant is None and operator_made.revoked_at is None
