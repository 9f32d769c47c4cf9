"""Listing rules, exercised through the services every entry point calls."""

from decimal import Decimal

import pytest
from django.core import mail

from accounts.models import Service, Site
from analytics.reference_data import read_reference_rows
from exchange.listings.errors import ExchangeError
from exchange.listings.models import (
    Category,
    ClosureReason,
    ListingStatus,
    ModerationAction,
    ModerationMode,
)
from exchange.listings.recipients import Recipient
from exchange.listings.selectors import exchange_settings
from exchange.listings.services.categories import seed_categories
from exchange.listings.services.closure import close_listing, quantity_left
from exchange.listings.services.contact import contact_poster
from exchange.listings.services.expiry import expire_due_listings, extend_listing
from exchange.listings.services.moderation import (
    approve_listing,
    hold_listing,
    reject_listing,
    request_changes,
)
from exchange.listings.services.posting import create_listing, submit_listing, update_listing
from tests.accounts.factories import ServiceFactory, SiteFactory, agent, moderator
from tests.conftest import in_authority
from tests.exchange.listings.factories import WantedRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(chatellerault, django_capture_on_commit_callbacks):
    """Châtellerault with a poster, a second agent, a moderator, a site."""
    with in_authority(chatellerault):
        schools = ServiceFactory(name="Direction des écoles")
        sports = ServiceFactory(name="Direction des sports")
        yield {
            "poster": agent(email="camille@chatellerault.example", service=schools),
            "other": agent(email="julien@chatellerault.example", service=sports),
            "moderator": moderator(email="nadia@chatellerault.example"),
            "site": SiteFactory(name="Centre technique"),
            "chairs": Category.objects.get(name="Chaise visiteur / empilable"),
            "schools": schools,
            "sports": sports,
        }


def new_listing(world, **overrides):
    data = {"title": "Chaises empilables en hêtre", "description": "Lot de chaises visiteur",
            "category": world["chairs"], "quantity": 10, "condition": "good",
            "estimated_value": Decimal("300.00"), "site": world["site"]}
    data.update(overrides)
    return create_listing(poster=world["poster"], **data)


def published(world, **overrides):
    listing = new_listing(world, submit=True, **overrides)
    return approve_listing(listing=listing, actor=world["moderator"])


def test_categories_are_seeded_for_every_authority(chatellerault, grand_chatellerault):
    for authority in (chatellerault, grand_chatellerault):
        with in_authority(authority):
            families = Category.objects.filter(parent=None)
            assert families.filter(name="Mobilier").exists()
            chair = Category.objects.get(name="Siège de bureau (opérateur)")
            assert chair.parent.name == "Mobilier"
            assert chair.reference_code == "siege-bureau"
            assert Category.objects.filter(parent__isnull=False).count() == len(
                read_reference_rows())


def test_seeding_twice_changes_nothing(world):
    before = Category.objects.count()
    assert seed_categories() == 0
    assert Category.objects.count() == before


def test_draft_then_submit_goes_to_moderation_under_pre_moderation(world):
    listing = new_listing(world)
    assert listing.status == ListingStatus.DRAFT
    listing = submit_listing(listing=listing, actor=world["poster"])
    assert listing.status == ListingStatus.PENDING
    assert listing.service == world["schools"]  # the poster's service by default
    assert [e.action for e in listing.events.all()] == [ModerationAction.SUBMITTED]


def test_post_moderation_publishes_unless_a_review_word_appears(world):
    rules = exchange_settings()
    rules.moderation_mode = ModerationMode.POST
    rules.review_words = ["amiante"]
    rules.save()
    assert new_listing(world, submit=True).status == ListingStatus.PUBLISHED
    suspicious = new_listing(world, submit=True, description="Dalles avec AMIANTE possible")
    assert suspicious.status == ListingStatus.PENDING
    assert "amiante" in suspicious.events.get().message


@pytest.mark.parametrize(("overrides", "code"), [
    ({"quantity": 0}, "quantity"),
    ({"quantity": -3}, "quantity"),
    ({"estimated_value": Decimal("-1")}, "value"),
])
def test_bad_values_are_refused(world, overrides, code):
    with pytest.raises(ExchangeError) as error:
        new_listing(world, **overrides)
    assert error.value.code == code


def test_disabled_it_category_is_refused(world):
    rules = exchange_settings()
    rules.it_enabled = False
    rules.save()
    laptop = Category.objects.get(reference_code="ordinateur-portable")
    with pytest.raises(ExchangeError) as error:
        new_listing(world, category=laptop)
    assert error.value.code == "category_disabled"


def test_approval_publishes_sets_expiry_and_mails_the_poster(world,
                                                             django_capture_on_commit_callbacks):
    listing = new_listing(world, submit=True)
    with django_capture_on_commit_callbacks(execute=True):
        listing = approve_listing(listing=listing, actor=world["moderator"])
    assert listing.status == ListingStatus.PUBLISHED
    assert (listing.expires_at - listing.published_at).days == 60
    assert [m.to for m in mail.outbox] == [["camille@chatellerault.example"]]


def test_agents_cannot_moderate(world):
    listing = new_listing(world, submit=True)
    for action in (approve_listing, hold_listing):
        with pytest.raises(ExchangeError) as error:
            action(listing=listing, actor=world["other"])
        assert error.value.code == "forbidden"


def test_a_held_listing_cannot_be_decided_by_another_moderator(world):
    listing = new_listing(world, submit=True)
    second = moderator(email="second@chatellerault.example")
    hold_listing(listing=listing, actor=world["moderator"])
    with pytest.raises(ExchangeError) as error:
        approve_listing(listing=listing, actor=second)
    assert error.value.code == "held"
    assert approve_listing(listing=listing, actor=world["moderator"]).status == (
        ListingStatus.PUBLISHED)


def test_reject_and_request_changes_need_a_message(world):
    listing = new_listing(world, submit=True)
    with pytest.raises(ExchangeError):
        reject_listing(listing=listing, actor=world["moderator"], reason="  ")
    changed = request_changes(listing=listing, actor=world["moderator"],
                              message="Ajoutez une photo")
    assert changed.status == ListingStatus.CHANGES_REQUESTED
    assert submit_listing(listing=changed, actor=world["poster"]).status == (
        ListingStatus.PENDING)


def test_moderator_edit_is_audited_with_what_changed(world):
    listing = published(world)
    update_listing(listing=listing, actor=world["moderator"], quantity=12,
                   title="Chaises empilables")
    event = listing.events.filter(action=ModerationAction.EDITED).get()
    assert event.actor == world["moderator"]
    assert event.changes == {"title": ["Chaises empilables en hêtre", "Chaises empilables"],
                             "quantity": ["10", "12"]}
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PUBLISHED


def test_poster_edit_of_a_published_listing_goes_back_to_review(world):
    listing = published(world)
    update_listing(listing=listing, actor=world["poster"], title="Chaises hêtre")
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PENDING


def test_contact_is_stored_and_mailed_with_moderators_in_cc(world,
                                                            django_capture_on_commit_callbacks):
    listing = published(world)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        contact = contact_poster(listing=listing, sender=world["other"],
                                 message="Pour la salle d'attente")
    contact.refresh_from_db()
    assert contact.status == "sent"
    [message] = mail.outbox
    assert message.to == ["camille@chatellerault.example"]
    assert message.cc == ["nadia@chatellerault.example"]
    assert message.reply_to == ["julien@chatellerault.example"]
    assert "Direction des sports" in message.body
    assert "Pour la salle d'attente" in message.body
    assert f"http://chatellerault.localhost/listings/{listing.pk}/" in message.body


def test_contact_rules(world):
    listing = published(world)
    with pytest.raises(ExchangeError) as own:
        contact_poster(listing=listing, sender=world["poster"])
    assert own.value.code == "own"
    rules = exchange_settings()
    rules.contacts_per_hour = 2
    rules.save()
    for _ in range(2):
        contact_poster(listing=listing, sender=world["other"])
    with pytest.raises(ExchangeError) as limited:
        contact_poster(listing=listing, sender=world["other"])
    assert limited.value.code == "rate_limited"
    assert listing.contacts.count() == 2


def test_closing_in_parts_until_nothing_is_left(world):
    listing = published(world)
    first = close_listing(listing=listing, actor=world["poster"],
                          reason=ClosureReason.EXCHANGED_INTERNAL, quantity=6,
                          recipient=Recipient.service(world["sports"]))
    assert first.value == Decimal("180.00")
    assert first.weight_kg == Decimal("36.000")  # 6 × 6 kg reference weight
    assert first.weight_is_estimated
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PUBLISHED
    assert quantity_left(listing) == 4

    with pytest.raises(ExchangeError) as too_many:
        close_listing(listing=listing, actor=world["poster"],
                      reason=ClosureReason.GIVEN_TO_PARTNER, quantity=5,
                      recipient=Recipient.named("Emmaüs Châtellerault"))
    assert too_many.value.code == "quantity_left"

    last = close_listing(listing=listing, actor=world["poster"],
                         reason=ClosureReason.GIVEN_TO_PARTNER,
                         recipient=Recipient.named("Emmaüs Châtellerault"),
                         weight_kg=Decimal("22.5"))
    assert last.quantity == 4 and last.value == Decimal("120.00")
    assert last.weight_kg == Decimal("22.5") and not last.weight_is_estimated
    listing.refresh_from_db()
    assert listing.status == ListingStatus.CLOSED and listing.closed_at


def test_closure_needs_its_recipient_and_a_right_to_close(world):
    listing = published(world)
    with pytest.raises(ExchangeError) as missing:
        close_listing(listing=listing, actor=world["poster"],
                      reason=ClosureReason.EXCHANGED_OTHER_AUTHORITY, quantity=1)
    assert missing.value.code == "recipient"
    with pytest.raises(ExchangeError) as forbidden:
        close_listing(listing=listing, actor=world["other"],
                      reason=ClosureReason.DISCARDED)
    assert forbidden.value.code == "forbidden"
    closed = close_listing(listing=listing, actor=world["moderator"],
                           reason=ClosureReason.DISCARDED)
    assert closed.quantity == 10


def test_a_recipient_of_the_wrong_kind_is_refused_and_records_nothing(world):
    listing = published(world)
    with pytest.raises(ExchangeError) as wrong_kind:
        close_listing(listing=listing, actor=world["poster"],
                      reason=ClosureReason.EXCHANGED_INTERNAL,
                      recipient=Recipient.named("Direction des sports"))
    assert wrong_kind.value.code == "recipient"
    with pytest.raises(ExchangeError) as none_expected:
        close_listing(listing=listing, actor=world["poster"],
                      reason=ClosureReason.DISCARDED,
                      recipient=Recipient.service(world["sports"]))
    assert none_expected.value.code == "recipient"
    assert not listing.transfers.exists()


def test_expiry_and_extension(world):
    from datetime import timedelta

    from django.utils import timezone

    listing = published(world)
    assert expire_due_listings(now=timezone.now()) == 0
    assert expire_due_listings(now=listing.expires_at + timedelta(seconds=1)) == 1
    listing.refresh_from_db()
    assert listing.status == ListingStatus.EXPIRED
    extend_listing(listing=listing, actor=world["poster"])
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PUBLISHED
    assert listing.expires_at > timezone.now() + timedelta(days=59)


def test_alerts_reach_matching_wanted_requests(world, django_capture_on_commit_callbacks):
    WantedRequestFactory(author=world["other"], title="chaise")
    listing = new_listing(world, submit=True)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approve_listing(listing=listing, actor=world["moderator"])
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == ["camille@chatellerault.example", "julien@chatellerault.example"]


def test_isolation_listings_live_in_their_authority(world, grand_chatellerault):
    listing = published(world)
    with in_authority(grand_chatellerault):
        from exchange.listings.models import Listing

        assert not Listing.objects.filter(title=listing.title).exists()
        assert not Service.objects.filter(name="Direction des écoles").exists()
        assert not Site.objects.filter(name="Centre technique").exists()
