"""Issue 12, point 4 on the surfaces authorities share with each other: an authority
that is suspended, closed or whose data were deleted disappears at once from the shared
feed, the shared detail, shared photos and cross-authority contact, both ways (nobody
sees its entries; its agents see nothing shared), through pages and the API alike.

Deletion is simulated by setting `data_deleted_at` (the real command also drops the
schema; that is tested with offboarding)."""

from __future__ import annotations

import pytest

from exchange.catalogue.models import CatalogueEntry
from exchange.catalogue.selectors import live_entries
from exchange.listings.errors import ExchangeError
from exchange.listings.models import ContactRequest, Listing, ListingStatus, Visibility
from exchange.listings.photos import add_photo
from exchange.listings.recipients import Recipient
from exchange.listings.services.closure import close_listing
from exchange.listings.services.moderation import approve_listing
from exchange.listings.services.visibility import set_visibility
from exchange.sharing import services as sharing
from exchange.sharing.contacts import contact_shared_listing
from exchange.sharing.grounds import ReceivedTransferGround, SharingAgreementGround
from exchange.sharing.photos import open_shared_photo
from exchange.sharing.selectors import shared_entry, shared_feed, sharing_partners_of
from tenants.crossing import CrossingRefused, in_authority, may_cross
from tests.accounts.factories import agent, authority_admin, moderator
from tests.conftest import client_for
from tests.conftest import in_authority as inside
from tests.exchange.listings.factories import image_upload, published_listing
from tests.exchange.listings.test_api import api
from tests.exchange.sharing.sharing_world import confirm_receipts, share
from tests.tenants.gone import GONE, make_gone

pytestmark = pytest.mark.django_db
API = "/api/v1"
TITLE = "Vitrine réfrigérée Quetzal"
# What the middleware answers on the host of an authority that is not live.
UNAVAILABLE = {"suspended": 503, "closed": 410, "deleted": 410}




def shared_with_photo(owner, capture) -> tuple[Listing, int]:
    """A published, shared listing of `owner` with one photo, projected."""
    with inside(owner), capture(execute=True):
        listing = published_listing(title=TITLE)
        photo = add_photo(listing=listing, actor=listing.poster, upload=image_upload())
        set_visibility(listing=listing, actor=listing.poster,
                       visibility=Visibility.SHARED)
    with inside(owner), capture(execute=True):  # a photo under pre-moderation: publish again
        if Listing.objects.get(pk=listing.pk).status != ListingStatus.PUBLISHED:
            approve_listing(listing=listing, actor=moderator())
    assert CatalogueEntry.objects.get(authority=owner, listing_id=listing.pk).photo_ids == [
        photo.pk]
    return listing, photo.pk


def urls_of(owner, listing: Listing, photo_id: int) -> dict[str, str]:
    base = f"{owner.slug}/{listing.pk}"
    return {"detail": f"/listings/shared/{base}/",
            "photo": f"/listings/shared/{base}/photos/{photo_id}/thumb/",
            "contact": f"/listings/shared/{base}/contact/",
            "api_photo": f"{API}/shared-listings/{base}/photos/{photo_id}/thumb/",
            "api_contact": f"{API}/shared-listings/{base}/contact/"}


# --- Nobody sees the entries of an authority that is not live --------------------------

@pytest.mark.parametrize("how", GONE)
def test_an_owner_not_live_disappears_from_every_shared_surface_at_once(
        chatellerault, grand_chatellerault, capture, how):
    share(chatellerault, grand_chatellerault)
    listing, photo_id = shared_with_photo(chatellerault, capture)
    urls = urls_of(chatellerault, listing, photo_id)
    with inside(grand_chatellerault):
        viewer = agent(email="viewer@grand-chatellerault.example")
    pages, rest = client_for(grand_chatellerault, viewer), api(grand_chatellerault, viewer)
    # While it is live, every surface shows it.
    assert TITLE in pages.get("/listings/shared/").content.decode()
    assert pages.get(urls["detail"]).status_code == 200
    assert pages.get(urls["photo"])["Content-Type"] == "image/jpeg"
    assert rest.get(f"{API}/shared-listings/").json()["count"] == 1
    assert rest.get(urls["api_photo"]).status_code == 200

    make_gone(chatellerault, how)

    feed = pages.get("/listings/shared/")
    assert feed.status_code == 200
    assert TITLE not in feed.content.decode()
    assert "Ville de Châtellerault" not in feed.content.decode()  # not even as a filter
    assert TITLE not in pages.get("/listings/shared/?q=quetzal").content.decode()
    assert pages.get(urls["detail"]).status_code == 404
    assert pages.get(urls["photo"]).status_code == 404
    assert pages.post(urls["contact"], {"message": "Toujours dispo ?"}).status_code == 404
    assert rest.get(f"{API}/shared-listings/").json()["count"] == 0
    assert rest.get(f"{API}/shared-listings/?q=quetzal").json()["count"] == 0
    assert rest.get(urls["api_photo"]).status_code == 404
    assert rest.post(urls["api_contact"], {"message": "Toujours dispo ?"},
                     format="json").status_code == 404
    with inside(chatellerault):
        assert not ContactRequest.objects.filter(listing_id=listing.pk).exists()
    assert list(sharing_partners_of(grand_chatellerault)) == []
    # The projection may still hold the entry; no feed built on live_entries serves it.
    assert not live_entries().filter(authority=chatellerault).exists()


@pytest.mark.parametrize("how", ["suspended", "closed"])
def test_an_owner_that_comes_back_is_shared_again(chatellerault, grand_chatellerault,
                                                  capture, how):
    """Hiding is a read-time rule: the agreement and the projection are kept."""
    share(chatellerault, grand_chatellerault)
    listing, _photo_id = shared_with_photo(chatellerault, capture)
    make_gone(chatellerault, how)
    assert shared_entry(grand_chatellerault, "chatellerault", listing.pk) is None
    type(chatellerault).all_objects.filter(pk=chatellerault.pk).update(status="active")
    assert shared_entry(grand_chatellerault, "chatellerault", listing.pk) is not None


# --- An authority that is not live sees nothing shared ---------------------------------

@pytest.mark.parametrize("how", GONE)
def test_a_viewer_not_live_sees_nothing_shared_by_page_api_or_selector(
        chatellerault, grand_chatellerault, capture, how):
    share(chatellerault, grand_chatellerault)
    listing, photo_id = shared_with_photo(chatellerault, capture)
    urls = urls_of(chatellerault, listing, photo_id)
    with inside(grand_chatellerault):
        viewer = agent(email="gone@grand-chatellerault.example")
    stale_copy = grand_chatellerault  # loaded before the change, still "active" in memory

    make_gone(grand_chatellerault, how)

    pages, rest = client_for(grand_chatellerault, viewer), api(grand_chatellerault, viewer)
    for url in ("/listings/shared/", urls["detail"], urls["photo"]):
        response = pages.get(url)
        assert response.status_code == UNAVAILABLE[how], url
        assert TITLE not in response.content.decode(errors="ignore"), url
    listed = rest.get(f"{API}/shared-listings/")
    assert listed.status_code == UNAVAILABLE[how]
    assert TITLE not in listed.content.decode()
    assert rest.post(urls["api_contact"], {"message": "Bonjour"},
                     format="json").status_code == UNAVAILABLE[how]
    # The selectors decide from the database, not from the caller's copy of the row.
    assert stale_copy.status == "active"
    assert list(sharing_partners_of(stale_copy)) == []
    assert shared_feed(stale_copy).count() == 0
    assert shared_entry(stale_copy, "chatellerault", listing.pk) is None
    assert open_shared_photo(stale_copy, "chatellerault", listing.pk, photo_id, "thumb") is None
    with inside(grand_chatellerault):
        sender = agent(email="sender@grand-chatellerault.example")
    with pytest.raises(ExchangeError) as refused:
        contact_shared_listing(viewer=stale_copy, sender=sender, owner_slug="chatellerault",
                               listing_id=listing.pk, message="Bonjour")
    assert refused.value.code == "not_found"
    with inside(chatellerault):
        assert not ContactRequest.objects.filter(listing_id=listing.pk).exists()
    # And the owner no longer sees the viewer's shared listings either.
    assert list(sharing_partners_of(chatellerault)) == []


# --- The ground itself: checked at crossing time ----------------------------------------

def test_the_sharing_ground_holds_only_while_both_share_and_are_live(
        chatellerault, grand_chatellerault):
    ground = SharingAgreementGround(grand_chatellerault)
    assert ground.reason == "sharing agreement"
    assert not may_cross(chatellerault, ground)  # no agreement yet
    agreement = share(chatellerault, grand_chatellerault)
    assert may_cross(chatellerault, ground)
    with in_authority(chatellerault, ground=ground):
        pass
    with inside(grand_chatellerault):
        sharing.end_agreement(agreement=agreement, authority=grand_chatellerault,
                              actor=authority_admin())
    with pytest.raises(CrossingRefused) as refused, in_authority(chatellerault, ground=ground):
        pytest.fail("the block must not run")
    assert refused.value.why == "ground does not hold"


@pytest.mark.parametrize("how", GONE)
def test_the_sharing_ground_refuses_a_target_or_a_viewer_not_live(
        chatellerault, grand_chatellerault, how):
    share(chatellerault, grand_chatellerault)
    gone_owner = make_gone(chatellerault, how)
    assert not may_cross(gone_owner, SharingAgreementGround(grand_chatellerault))
    type(chatellerault).all_objects.filter(pk=chatellerault.pk).update(
        status="active", data_deleted_at=None)
    gone_viewer = make_gone(grand_chatellerault, how)
    assert not may_cross(chatellerault, SharingAgreementGround(gone_viewer))


@pytest.mark.parametrize("how", GONE)
def test_a_mail_left_after_commit_is_not_sent_once_the_owner_is_not_live(
        chatellerault, grand_chatellerault, capture, mailoutbox, caplog, how):
    """The contact's mail to the owner's poster crosses back into the owner's schema
    after commit; an owner suspended, closed or deleted by then is not mailed (the
    request stays pending: the owner's resend job picks it up if it comes back)."""
    share(chatellerault, grand_chatellerault)
    with inside(chatellerault):
        poster = agent(email="poster@chatellerault.example")
    listing = shared_listing_of(chatellerault, capture, poster)
    with inside(grand_chatellerault):
        sender = agent(email="sender@grand-chatellerault.example")
    mailoutbox.clear()
    with capture() as callbacks, inside(grand_chatellerault):
        contact_shared_listing(viewer=grand_chatellerault, sender=sender,
                               owner_slug="chatellerault", listing_id=listing.pk,
                               message="Bonjour")
    make_gone(chatellerault, how)
    with inside(grand_chatellerault):
        for callback in callbacks:
            callback()
    assert [m.to for m in mailoutbox] == [["sender@grand-chatellerault.example"]]
    assert "queue_contact not sent: chatellerault is no longer live" in caplog.text
    with inside(chatellerault):
        assert ContactRequest.objects.get(listing_id=listing.pk).status == "pending"


def shared_listing_of(owner, capture, poster) -> Listing:
    with inside(owner), capture(execute=True):
        listing = published_listing(title=TITLE, poster=poster)
        set_visibility(listing=listing, actor=poster, visibility=Visibility.SHARED)
    return listing


# --- The receiver's copy of a transfer record ------------------------------------------

@pytest.mark.parametrize(("how", "expected"), [("suspended", 200), ("closed", 200),
                                               ("deleted", 404)])
def test_the_receiver_keeps_its_transfer_record_until_the_giver_data_are_deleted(
        chatellerault, grand_chatellerault, capture, how, expected):
    """A legal record of a transfer already made (ReceivedTransferGround does not
    require a live giver), but nothing is read from a giver whose data were deleted."""
    share(chatellerault, grand_chatellerault)
    with inside(chatellerault):
        listing = published_listing(title="Tables pliantes", quantity=2,
                                    estimated_value=40)
        with capture(execute=True):
            transfer = close_listing(
                listing=listing, actor=listing.poster, reason="exchanged_other_authority",
                recipient=Recipient.authority("grand-chatellerault"), quantity=2)
    assert confirm_receipts(grand_chatellerault) == 1  # it counts once the receiver confirms
    with inside(grand_chatellerault):
        receiver = client_for(grand_chatellerault, moderator())
    url = f"/listings/moderation/received/chatellerault/{transfer.pk}/record.pdf"
    assert receiver.get(url).status_code == 200
    ground = ReceivedTransferGround(grand_chatellerault, transfer.pk)
    assert may_cross(chatellerault, ground)
    assert not may_cross(chatellerault, ReceivedTransferGround(grand_chatellerault,
                                                               transfer.pk + 1000))
    make_gone(chatellerault, how)
    assert receiver.get(url).status_code == expected
