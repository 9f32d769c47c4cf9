"""Agents' listing pages: post, edit, submit, contact, reserve, close, extend, my
listings, "Je recherche…" — roles, other authorities, bad input, and the whole journey."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from exchange.listings import photos
from exchange.listings.models import (
    Category,
    CategoryKind,
    ClosureReason,
    ContactRequest,
    ContactStatus,
    Listing,
    ListingStatus,
    ModerationAction,
    Transfer,
    WantedRequest,
)
from exchange.listings.selectors import exchange_settings
from exchange.listings.services.closure import close_listing, quantity_left
from exchange.listings.services.moderation import approve_listing
from tenants.models import Authority
from tests.accounts.factories import ServiceFactory, SiteFactory, agent, moderator
from tests.conftest import client_for, in_authority
from tests.exchange.listings.factories import (
    ContactRequestFactory,
    ListingFactory,
    WantedRequestFactory,
    image_upload,
    item_type,
    published_listing,
)

pytestmark = pytest.mark.django_db

VALUE = Decimal("345.67")
FOREIGN_PK = 987_654  # a listing pk no row of Châtellerault uses in these tests


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"


def assert_no_value(html: str) -> None:
    assert "345.67" not in html and "345,67" not in html


def listing_data(site, service, **overrides) -> dict:
    """What the listing form posts (add `draft=""` or `submit=""` for the button)."""
    with in_authority(Authority.objects.get(slug="chatellerault")):
        chair = item_type()
    data = {"title": "Chaises empilables en hêtre", "description": "Lot de 10 chaises.",
            "category": chair.pk, "quantity": 10, "condition": "good",
            "estimated_value": "345.67", "dimensions": "45 × 50 × 80 cm",
            "service": service.pk, "site": site.pk, "available_from": "",
            "available_until": ""}
    data.update(overrides)
    return data


# --- Who may open what ---------------------------------------------------------------

def _paths(pk: int) -> dict[str, str]:
    return {
        "feed": "/listings/", "mine": "/listings/mine/", "new": "/listings/new/",
        "detail": f"/listings/{pk}/", "edit": f"/listings/{pk}/edit/",
        "close": f"/listings/{pk}/close/", "wanted": "/listings/wanted/",
        "wanted_new": "/listings/wanted/new/",
    }


POSTS = ["/listings/{pk}/submit/", "/listings/{pk}/photos/",
         "/listings/{pk}/photos/{photo}/delete/", "/listings/{pk}/contact/",
         "/listings/{pk}/reserve/", "/listings/{pk}/close/", "/listings/{pk}/extend/",
         "/listings/{pk}/edit/", "/listings/wanted/new/", "/listings/wanted/{wanted}/close/",
         "/listings/saved-searches/", "/listings/saved-searches/{saved}/delete/"]


def test_every_page_needs_a_signed_in_member(chatellerault):
    with in_authority(chatellerault):
        listing = published_listing()
    anonymous = client_for(chatellerault)
    for path in _paths(listing.pk).values():
        response = anonymous.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), path
    for template in POSTS:
        path = template.format(pk=listing.pk, photo=1, wanted=1, saved=1)
        response = anonymous.post(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), path
    assert anonymous.get(f"/listings/{listing.pk}/photos/1/thumb/").status_code == 302


def test_a_member_of_another_authority_is_anonymous(chatellerault, grand_chatellerault):
    with in_authority(grand_chatellerault):
        listing = published_listing()
    with in_authority(chatellerault):
        stranger = agent()
    client = client_for(chatellerault, stranger)
    client.defaults["HTTP_HOST"] = "grand-chatellerault.localhost"
    for path in _paths(listing.pk).values():
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), path
    response = client.post(f"/listings/{listing.pk}/contact/", {"message": "Bonjour"})
    assert response.status_code == 302
    with in_authority(grand_chatellerault):
        assert not ContactRequest.objects.exists()


def test_a_listing_of_another_authority_is_a_404(chatellerault, grand_chatellerault):
    with in_authority(grand_chatellerault):
        foreign = ListingFactory(pk=FOREIGN_PK, status=ListingStatus.PUBLISHED)
        photo = photos.add_photo(listing=foreign, actor=moderator(), upload=image_upload())
        wanted = WantedRequestFactory(author=foreign.poster, title="Tables")
    with in_authority(chatellerault):
        mod = moderator()  # even a moderator: the listing is not in this authority
    client = client_for(chatellerault, mod)
    for name in ("detail", "edit", "close"):
        assert client.get(_paths(FOREIGN_PK)[name]).status_code == 404, name
    for template in POSTS[:8]:
        path = template.format(pk=FOREIGN_PK, photo=photo.pk)
        assert client.post(path).status_code == 404, path
    assert client.post(f"/listings/wanted/{wanted.pk}/close/").status_code == 404
    with in_authority(grand_chatellerault):
        foreign.refresh_from_db()
        assert foreign.status == ListingStatus.PUBLISHED
        assert WantedRequest.objects.get(pk=wanted.pk).is_active


def test_drafts_are_a_404_for_other_agents_and_open_to_moderators(chatellerault):
    with in_authority(chatellerault):
        draft = ListingFactory(estimated_value=VALUE)
        other, mod = agent(), moderator()
    assert client_for(chatellerault, other).get(f"/listings/{draft.pk}/").status_code == 404
    assert client_for(chatellerault, other).get(
        f"/listings/{draft.pk}/edit/").status_code == 404
    response = client_for(chatellerault, mod).get(f"/listings/{draft.pk}/")
    assert response.status_code == 200
    assert "345,67" in response.content.decode()


def test_agents_cannot_act_on_a_published_listing_of_someone_else(chatellerault):
    with in_authority(chatellerault):
        listing = published_listing()
        other = agent()
    client = client_for(chatellerault, other)
    assert client.get(f"/listings/{listing.pk}/edit/").status_code == 403
    assert client.post(f"/listings/{listing.pk}/edit/", {"title": "Pirate"}).status_code == 403
    assert client.get(f"/listings/{listing.pk}/close/").status_code == 403
    assert client.post(f"/listings/{listing.pk}/close/",
                       {"reason": "withdrawn", "quantity": 1}).status_code == 403
    assert client.post(f"/listings/{listing.pk}/reserve/",
                       {"reserved_for": "Moi"}).status_code == 403
    assert client.post(f"/listings/{listing.pk}/extend/").status_code == 403
    assert client.post(f"/listings/{listing.pk}/submit/").status_code == 403
    with in_authority(chatellerault):
        listing.refresh_from_db()
        assert (listing.title, listing.status, listing.reserved_for) == (
            "Chaises empilables en hêtre", ListingStatus.PUBLISHED, "")
        assert not Transfer.objects.exists()


# --- Posting -----------------------------------------------------------------------------

def test_the_form_offers_visible_item_types_grouped_by_family(chatellerault):
    with in_authority(chatellerault):
        poster = agent()
        chair = item_type()
        hidden = Category.objects.filter(parent=chair.parent).exclude(pk=chair.pk).first()
        hidden.is_hidden = True
        hidden.save()
    response = client_for(chatellerault, poster).get("/listings/new/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<optgroup label="{chair.parent.name}">' in html
    assert f'<option value="{chair.pk}">' in html
    assert f'<option value="{hidden.pk}">' not in html
    assert f'<option value="{chair.parent_id}">' not in html  # families are not item types
    assert response.context["form"]["service"].value() == poster.service_id
    assert 'name="draft"' in html and 'name="submit"' in html


def test_an_agent_saves_a_draft_with_photos(chatellerault):
    with in_authority(chatellerault):
        poster, site = agent(), SiteFactory()
    data = listing_data(site, poster.service, draft="",
                        photos=[image_upload("a.jpg"), image_upload("b.jpg")])
    response = client_for(chatellerault, poster).post("/listings/new/", data)
    assert response.status_code == 302
    with in_authority(chatellerault):
        listing = Listing.objects.get()
        assert response["Location"] == f"/listings/{listing.pk}/"
        assert (listing.status, listing.poster, listing.service) == (
            ListingStatus.DRAFT, poster, poster.service)
        assert listing.estimated_value == VALUE and listing.quantity == 10
        assert listing.photos.count() == 2


def test_submitting_from_the_form_sends_it_to_moderation(chatellerault):
    with in_authority(chatellerault):
        poster, site = agent(), SiteFactory()
        schools = ServiceFactory(name="Direction des écoles")
    response = client_for(chatellerault, poster).post(
        "/listings/new/", listing_data(site, schools, submit=""))
    assert response.status_code == 302
    with in_authority(chatellerault):
        listing = Listing.objects.get()
        assert listing.status == ListingStatus.PENDING
        assert listing.service == schools


def test_the_poster_chooses_who_sees_it_the_authority_default_first(chatellerault):
    from exchange.listings.models import ExchangeSettings, Visibility

    with in_authority(chatellerault):
        poster, site = agent(), SiteFactory()
        rules = ExchangeSettings.objects.get()
        rules.default_visibility = Visibility.SHARED
        rules.save()
    client = client_for(chatellerault, poster)
    assert client.get("/listings/new/").context["form"]["visibility"].value() == "shared"
    response = client.post("/listings/new/", listing_data(site, poster.service, draft="",
                                                          visibility="internal"))
    assert response.status_code == 302
    bad = client.post("/listings/new/", listing_data(site, poster.service, draft="",
                                                     visibility="everyone"))
    assert bad.status_code == 200 and "visibility" in bad.context["form"].errors
    client.post("/listings/new/", listing_data(site, poster.service, draft=""))
    with in_authority(chatellerault):
        assert list(Listing.objects.order_by("pk").values_list("visibility", flat=True)) == [
            "internal", "shared"]  # chosen, then the default; the bad one saved nothing


@pytest.mark.parametrize(("overrides", "field"), [
    ({"quantity": "-3"}, "quantity"),
    ({"quantity": "0"}, "quantity"),
    ({"estimated_value": "-10"}, "estimated_value"),
    ({"available_from": "2026-06-10", "available_until": "2026-06-01"}, "available_until"),
    ({"title": ""}, "title"),
    ({"category": "999999"}, "category"),
])
def test_bad_input_is_refused_on_its_field_and_nothing_is_lost(chatellerault, overrides, field):
    with in_authority(chatellerault):
        poster, site = agent(), SiteFactory()
    data = listing_data(site, poster.service, **overrides, submit="")
    response = client_for(chatellerault, poster).post("/listings/new/", data)
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == [field]
    html = response.content.decode()
    assert 'class="field field-invalid"' in html
    assert 'value="45 × 50 × 80 cm"' in html  # what was typed is still there
    if field != "title":
        assert 'value="Chaises empilables en hêtre"' in html
    with in_authority(chatellerault):
        assert not Listing.objects.exists()


def test_a_hidden_or_disabled_category_is_refused_on_its_field(chatellerault):
    with in_authority(chatellerault):
        poster, site = agent(), SiteFactory()
        hidden = item_type()
        Category.objects.filter(pk=hidden.pk).update(is_hidden=True)
        computer = Category.objects.filter(kind=CategoryKind.IT, parent__isnull=False).first()
        rules = exchange_settings()
        rules.it_enabled = False
        rules.save()
    client = client_for(chatellerault, poster)
    for category in (hidden, computer):
        response = client.post("/listings/new/",
                               listing_data(site, poster.service, category=category.pk))
        assert response.status_code == 200
        assert list(response.context["form"].errors) == ["category"]
    with in_authority(chatellerault):
        assert not Listing.objects.exists()


def test_a_non_image_photo_on_the_new_listing_form_keeps_the_rest(chatellerault):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with in_authority(chatellerault):
        poster, site = agent(), SiteFactory()
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")
    response = client_for(chatellerault, poster).post(
        "/listings/new/", listing_data(site, poster.service, photos=[fake], submit=""))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["photos"]
    with in_authority(chatellerault):
        assert not Listing.objects.exists()


# --- Editing and submitting ----------------------------------------------------------------

def test_the_poster_edits_then_submits(chatellerault):
    with in_authority(chatellerault):
        draft = ListingFactory(title="Chaises", estimated_value=VALUE)
        site = draft.site
    client = client_for(chatellerault, draft.poster)
    page = client.get(f"/listings/{draft.pk}/edit/")
    assert page.status_code == 200
    assert 'value="Chaises"' in page.content.decode()
    response = client.post(f"/listings/{draft.pk}/edit/",
                           listing_data(site, draft.service, title="Chaises en hêtre",
                                        quantity="12", save=""))
    assert response.status_code == 302
    with in_authority(chatellerault):
        draft.refresh_from_db()
        assert (draft.title, draft.quantity, draft.status) == (
            "Chaises en hêtre", 12, ListingStatus.DRAFT)
    response = client.post(f"/listings/{draft.pk}/submit/")
    assert response.status_code == 302
    with in_authority(chatellerault):
        draft.refresh_from_db()
        assert draft.status == ListingStatus.PENDING
        assert draft.events.filter(action=ModerationAction.SUBMITTED).exists()


def test_editing_a_published_listing_sends_it_back_to_the_moderators(chatellerault):
    with in_authority(chatellerault):
        listing = published_listing()
    response = client_for(chatellerault, listing.poster).post(
        f"/listings/{listing.pk}/edit/",
        listing_data(listing.site, listing.service, title="Chaises en hêtre massif",
                     save=""))
    assert response.status_code == 302
    with in_authority(chatellerault):
        listing.refresh_from_db()
        assert (listing.title, listing.status) == ("Chaises en hêtre massif",
                                                   ListingStatus.PENDING)
        edit = listing.events.get(action=ModerationAction.EDITED)
    assert edit.changes["title"] == ["Chaises empilables en hêtre", "Chaises en hêtre massif"]


def test_a_bad_edit_is_refused_on_its_field(chatellerault):
    with in_authority(chatellerault):
        draft = ListingFactory(quantity=4)
    response = client_for(chatellerault, draft.poster).post(
        f"/listings/{draft.pk}/edit/",
        listing_data(draft.site, draft.service, quantity="-1", save=""))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["quantity"]
    with in_authority(chatellerault):
        draft.refresh_from_db()
        assert draft.quantity == 4


def test_another_agent_cannot_submit_a_draft(chatellerault):
    with in_authority(chatellerault):
        draft = ListingFactory()
        other = agent()
    assert client_for(chatellerault, other).post(
        f"/listings/{draft.pk}/submit/").status_code == 404


# --- The listing page ------------------------------------------------------------------------

def test_the_value_is_shown_only_to_the_poster_and_moderators(chatellerault):
    with in_authority(chatellerault):
        listing = published_listing(estimated_value=VALUE)
        # Fixed names: the header shows the reader's, which a random one could share.
        other, mod = agent(last_name="Zyxwvut"), moderator(last_name="Vutsrq")
        ContactRequestFactory(listing=listing, sender=other, message="Pour les écoles")
    other_page = client_for(chatellerault, other).get(f"/listings/{listing.pk}/")
    assert other_page.status_code == 200
    html = other_page.content.decode()
    assert_no_value(html)
    assert "Pour les écoles" not in html  # contacts are for the poster and moderators
    assert f'action="/listings/{listing.pk}/contact/"' in html
    assert listing.poster.first_name in html and listing.poster.last_name not in html
    for user in (listing.poster, mod):
        html = client_for(chatellerault, user).get(f"/listings/{listing.pk}/").content.decode()
        assert "345,67" in html
        assert "Pour les écoles" in html and other.email in html
        # The poster cannot contact themself; a moderator may contact the poster.
        assert (f'action="/listings/{listing.pk}/contact/"' in html) == (user == mod)
        assert 'class="timeline"' in html


def test_the_poster_sees_the_actions_that_fit_the_status(chatellerault):
    with in_authority(chatellerault):
        draft = ListingFactory()
        online = published_listing(poster=draft.poster)
    client = client_for(chatellerault, draft.poster)
    html = client.get(f"/listings/{draft.pk}/").content.decode()
    assert f'action="/listings/{draft.pk}/submit/"' in html
    assert f'href="/listings/{draft.pk}/edit/"' in html
    assert f'href="/listings/{draft.pk}/close/"' not in html
    html = client.get(f"/listings/{online.pk}/").content.decode()
    for action in (f'href="/listings/{online.pk}/close/"', f'/listings/{online.pk}/reserve/',
                   f'/listings/{online.pk}/extend/', f'href="/listings/{online.pk}/edit/"'):
        assert action in html
    assert f'action="/listings/{online.pk}/submit/"' not in html


def test_the_detail_page_runs_a_bounded_number_of_queries(chatellerault):
    def count(client, path):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    with in_authority(chatellerault):
        listing = published_listing()
        senders = [agent() for _ in range(3)]
        for sender in senders:
            ContactRequestFactory(listing=listing, sender=sender)
    client = client_for(chatellerault, listing.poster)
    few = count(client, f"/listings/{listing.pk}/")
    with in_authority(chatellerault):
        for sender in [agent() for _ in range(10)]:
            ContactRequestFactory(listing=listing, sender=sender)
        Listing.objects.filter(pk=listing.pk).update(status=ListingStatus.DRAFT)
        for _ in range(4):
            photos.add_photo(listing=listing, actor=listing.poster,
                             upload=image_upload(size=(40, 30)))
        Listing.objects.filter(pk=listing.pk).update(status=ListingStatus.PUBLISHED)
    assert count(client, f"/listings/{listing.pk}/") == few


# --- Contact ----------------------------------------------------------------------------

def test_contact_mails_the_poster_with_moderators_in_copy(
        chatellerault, django_capture_on_commit_callbacks):
    with in_authority(chatellerault):
        listing = published_listing()
        mod = moderator(email="moderation@chatellerault.example")
        taker = agent(service=ServiceFactory(name="Direction des écoles"))
    mail.outbox.clear()
    client = client_for(chatellerault, taker)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/listings/{listing.pk}/contact/",
                               {"message": "Pour la maternelle Jules Ferry"})
    assert response.status_code == 302
    assert response["Location"] == f"/listings/{listing.pk}/"
    with in_authority(chatellerault):
        contact = ContactRequest.objects.get()
        assert (contact.sender, contact.status) == (taker, ContactStatus.SENT)
    [message] = mail.outbox
    assert message.to == [listing.poster.email]
    assert mod.email in message.cc
    assert message.reply_to == [taker.email]
    assert "Pour la maternelle Jules Ferry" in message.body
    assert "Direction des écoles" in message.body
    page = client.get(f"/listings/{listing.pk}/").content.decode()
    assert 'role="status"' in page  # the confirmation message


def test_contact_rate_limit_is_shown_on_the_form(chatellerault):
    with in_authority(chatellerault):
        rules = exchange_settings()
        rules.contacts_per_hour = 1
        rules.save()
        first, second = published_listing(), published_listing()
        taker = agent()
    client = client_for(chatellerault, taker)
    assert client.post(f"/listings/{first.pk}/contact/").status_code == 302
    response = client.post(f"/listings/{second.pk}/contact/", {"message": "Encore moi"})
    assert response.status_code == 200
    form = response.context["contact_form"]
    assert form.non_field_errors()
    assert "Encore moi" in response.content.decode()
    with in_authority(chatellerault):
        assert ContactRequest.objects.count() == 1


def test_a_poster_cannot_contact_themself(chatellerault):
    with in_authority(chatellerault):
        listing = published_listing()
    response = client_for(chatellerault, listing.poster).post(
        f"/listings/{listing.pk}/contact/")
    assert response.status_code == 200
    with in_authority(chatellerault):
        assert not ContactRequest.objects.exists()


def test_a_member_without_the_agent_role_cannot_post_contact_or_ask(chatellerault):
    """Reading is open to every member; posting, contacting and asking need the agent
    role (accounts.permissions.agent_required)."""
    with in_authority(chatellerault):
        listing = published_listing()
        only_moderator = agent(roles=["moderator"])
    client = client_for(chatellerault, only_moderator)
    assert client.get(f"/listings/{listing.pk}/").status_code == 200
    assert client.get("/listings/").status_code == 200
    assert client.post(f"/listings/{listing.pk}/contact/").status_code == 403
    assert client.get("/listings/new/").status_code == 403
    assert client.post("/listings/wanted/new/", {"title": "Tables"}).status_code == 403
    assert client.post("/listings/saved-searches/", {"q": "tables"}).status_code == 403
    with in_authority(chatellerault):
        assert not ContactRequest.objects.exists()
        assert not WantedRequest.objects.exists()


# --- Reservation, closure, extension ----------------------------------------------------------

def test_the_poster_reserves_then_cancels(chatellerault):
    with in_authority(chatellerault):
        listing = published_listing()
    client = client_for(chatellerault, listing.poster)
    assert client.post(f"/listings/{listing.pk}/reserve/",
                       {"reserved_for": "Mme Martin, écoles"}).status_code == 302
    with in_authority(chatellerault):
        listing.refresh_from_db()
        assert listing.reserved_for == "Mme Martin, écoles"
    assert client.post(f"/listings/{listing.pk}/reserve/",
                       {"reserved_for": "Mme Martin, écoles", "unreserve": ""}).status_code == 302
    with in_authority(chatellerault):
        listing.refresh_from_db()
        assert listing.reserved_for == ""


def test_closing_in_parts(chatellerault):
    with in_authority(chatellerault):
        listing = published_listing(quantity=10)
        schools = ServiceFactory(name="Direction des écoles")
    client = client_for(chatellerault, listing.poster)
    page = client.get(f"/listings/{listing.pk}/close/")
    assert page.status_code == 200
    assert page.context["form"]["quantity"].value() == 10
    response = client.post(f"/listings/{listing.pk}/close/", {
        "reason": "given_to_partner", "quantity": "6",
        "recipient_partner": "Association Emmaüs", "weight_kg": "30.5"})
    assert response.status_code == 302
    with in_authority(chatellerault):
        listing.refresh_from_db()
        assert listing.status == ListingStatus.PUBLISHED
        assert quantity_left(listing) == 4
    assert client.get(f"/listings/{listing.pk}/close/").context["quantity_left"] == 4
    response = client.post(f"/listings/{listing.pk}/close/", {
        "reason": "exchanged_internal", "quantity": "4", "recipient_service": schools.pk})
    assert response.status_code == 302
    with in_authority(chatellerault):
        listing.refresh_from_db()
        assert listing.status == ListingStatus.CLOSED
        partner, internal = Transfer.objects.order_by("id")
    assert (partner.quantity, partner.recipient_partner, partner.weight_kg,
            partner.weight_is_estimated) == (6, "Association Emmaüs", Decimal("30.500"), False)
    assert (internal.quantity, internal.recipient_service) == (4, schools)


@pytest.mark.parametrize(("data", "field"), [
    ({"reason": "discarded", "quantity": "11"}, "quantity"),
    ({"reason": "discarded", "quantity": "0"}, "quantity"),
    ({"reason": "exchanged_internal", "quantity": "2"}, "recipient_service"),
    ({"reason": "exchanged_other_authority", "quantity": "2"}, "recipient_authority"),
    ({"reason": "given_to_partner", "quantity": "2", "recipient_partner": "  "},
     "recipient_partner"),
    ({"reason": "discarded", "quantity": "2", "weight_kg": "-1"}, "weight_kg"),
    ({"reason": "sold", "quantity": "2"}, "reason"),
])
def test_bad_closures_are_refused_on_their_field(chatellerault, data, field):
    with in_authority(chatellerault):
        listing = published_listing(quantity=10)
    response = client_for(chatellerault, listing.poster).post(
        f"/listings/{listing.pk}/close/", data)
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    with in_authority(chatellerault):
        assert not Transfer.objects.exists()


def test_a_moderator_can_close_a_listing(chatellerault):
    with in_authority(chatellerault):
        listing = published_listing(quantity=2)
        mod = moderator()
    response = client_for(chatellerault, mod).post(
        f"/listings/{listing.pk}/close/", {"reason": "withdrawn", "quantity": "2"})
    assert response.status_code == 302
    with in_authority(chatellerault):
        listing.refresh_from_db()
        assert listing.status == ListingStatus.CLOSED


def test_extending_an_expired_listing(chatellerault):
    with in_authority(chatellerault):
        listing = published_listing()
        Listing.objects.filter(pk=listing.pk).update(
            status=ListingStatus.EXPIRED, expires_at=timezone.now() - timedelta(days=1))
    response = client_for(chatellerault, listing.poster).post(
        f"/listings/{listing.pk}/extend/")
    assert response.status_code == 302
    with in_authority(chatellerault):
        listing.refresh_from_db()
        assert listing.status == ListingStatus.PUBLISHED
        assert listing.expires_at > timezone.now() + timedelta(days=50)


# --- My listings ----------------------------------------------------------------------------

def test_my_listings_shows_every_status_with_contact_counts(chatellerault):
    with in_authority(chatellerault):
        poster = agent()
        draft = ListingFactory(poster=poster, title="Mon brouillon")
        online = published_listing(poster=poster, title="Mes chaises")
        for sender in (agent(), agent()):
            ContactRequestFactory(listing=online, sender=sender)
        ListingFactory(title="Annonce d'un autre")
    response = client_for(chatellerault, poster).get("/listings/mine/")
    assert response.status_code == 200
    rows = {listing.title: listing for listing in response.context["page"]}
    assert set(rows) == {"Mon brouillon", "Mes chaises"}
    assert rows["Mes chaises"].contact_count == 2
    assert rows["Mon brouillon"].contact_count == 0
    assert f'href="/listings/{draft.pk}/"' in response.content.decode()


def test_my_listings_runs_the_same_queries_whatever_the_number_of_listings(chatellerault):
    def count(client):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/listings/mine/").status_code == 200
        return len(queries)

    with in_authority(chatellerault):
        poster = agent()
        ListingFactory.create_batch(3, poster=poster)
    client = client_for(chatellerault, poster)
    few = count(client)
    with in_authority(chatellerault):
        for listing in ListingFactory.create_batch(20, poster=poster):
            ContactRequestFactory(listing=listing, sender=agent())
    assert count(client) == few
    assert few <= 10


# --- "Je recherche…" ----------------------------------------------------------------------

def test_wanted_requests_are_listed_with_their_author_and_service(chatellerault):
    with in_authority(chatellerault):
        author = agent(service=ServiceFactory(name="Direction des sports"))
        WantedRequestFactory(author=author, title="Tapis de gymnastique")
        WantedRequestFactory(author=author, title="Déjà trouvé", is_active=False)
        reader = agent(last_name="Zyxwvut")  # the header shows the reader's name
    response = client_for(chatellerault, reader).get("/listings/wanted/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Tapis de gymnastique" in html and "Déjà trouvé" not in html
    assert author.first_name in html and "Direction des sports" in html
    assert author.last_name not in html


def test_an_agent_posts_and_closes_a_wanted_request(chatellerault):
    with in_authority(chatellerault):
        author, other = agent(), agent()
        chair = item_type()
    client = client_for(chatellerault, author)
    response = client.post("/listings/wanted/new/", {
        "title": "Chaises pour une salle de réunion", "category": chair.parent_id})
    assert response.status_code == 302
    with in_authority(chatellerault):
        wanted = WantedRequest.objects.get()
        assert (wanted.author, wanted.category_id) == (author, chair.parent_id)
    assert client_for(chatellerault, other).post(
        f"/listings/wanted/{wanted.pk}/close/").status_code == 403
    assert client.post(f"/listings/wanted/{wanted.pk}/close/").status_code == 302
    with in_authority(chatellerault):
        wanted.refresh_from_db()
        assert not wanted.is_active


def test_an_empty_wanted_request_is_refused_on_the_form(chatellerault):
    with in_authority(chatellerault):
        author = agent()
    response = client_for(chatellerault, author).post(
        "/listings/wanted/new/", {"title": "   ", "description": "Urgent"})
    assert response.status_code == 200
    assert "title" in response.context["form"].errors
    assert "Urgent" in response.content.decode()


def test_the_wanted_page_runs_the_same_queries_whatever_the_number_of_requests(chatellerault):
    def count(client):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/listings/wanted/").status_code == 200
        return len(queries)

    with in_authority(chatellerault):
        reader = agent()
        WantedRequestFactory(title="Tables", category=item_type())
    client = client_for(chatellerault, reader)
    client.get("/listings/wanted/")  # the per-authority cache (core.cache) filled
    few = count(client)
    with in_authority(chatellerault):
        for n in range(15):
            WantedRequestFactory(title=f"Demande {n}", category=item_type())
    assert count(client) == few


# --- The whole journey ------------------------------------------------------------------------

def test_the_agent_journey(chatellerault, django_capture_on_commit_callbacks):
    """Post a draft with a photo, submit, approval, found without its accent, contact
    (mail to the poster, moderators in Cc, Reply-To the agent), closed in two parts;
    the other agent never sees the value."""
    with in_authority(chatellerault):
        poster = agent(service=ServiceFactory(name="Direction des finances"))
        taker = agent(service=ServiceFactory(name="Direction des écoles"))
        other_service = ServiceFactory(name="Centre social")
        mod = moderator(email="moderatrice@chatellerault.example")
        site = SiteFactory(name="Hôtel de ville")
    as_poster, as_taker = client_for(chatellerault, poster), client_for(chatellerault, taker)
    mail.outbox.clear()

    # 1. A draft with a photo, then submitted: pre-moderation keeps it pending.
    response = as_poster.post("/listings/new/", listing_data(
        site, poster.service, photos=[image_upload("chaises.jpg")], draft="",
        available_from=date.today().isoformat()))
    assert response.status_code == 302
    with in_authority(chatellerault):
        listing = Listing.objects.get()
    assert listing.status == ListingStatus.DRAFT
    assert as_taker.get(f"/listings/{listing.pk}/").status_code == 404
    as_poster.post(f"/listings/{listing.pk}/submit/")
    with in_authority(chatellerault):
        listing.refresh_from_db()
        assert listing.status == ListingStatus.PENDING
        # 2. The moderator approves it.
        with django_capture_on_commit_callbacks(execute=True):
            approve_listing(listing=listing, actor=mod)
        listing.refresh_from_db()
        assert listing.status == ListingStatus.PUBLISHED
        photo = listing.photos.get()

    # 3. The other agent finds it by a word without its accent.
    feed = as_taker.get("/listings/", {"q": "hetre"})
    assert [found.pk for found in feed.context["page"]] == [listing.pk]
    assert f"/listings/{listing.pk}/photos/{photo.pk}/thumb/" in feed.content.decode()
    assert as_taker.get(f"/listings/{listing.pk}/photos/{photo.pk}/full/").status_code == 200

    # 4. … and says they are interested.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = as_taker.post(f"/listings/{listing.pk}/contact/",
                                 {"message": "Pour la salle des maîtres"})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == [poster.email]
    assert message.cc == [mod.email]
    assert message.reply_to == [taker.email]
    poster_page = as_poster.get(f"/listings/{listing.pk}/").content.decode()
    assert "Pour la salle des maîtres" in poster_page and taker.email in poster_page

    # 5. The poster gives 6 to the schools, then the last 4 to the social centre.
    with in_authority(chatellerault):
        schools = taker.service
    assert as_poster.post(f"/listings/{listing.pk}/close/", {
        "reason": "exchanged_internal", "quantity": "6",
        "recipient_service": schools.pk}).status_code == 302
    with in_authority(chatellerault):
        listing.refresh_from_db()
        assert listing.status == ListingStatus.PUBLISHED
    assert as_poster.post(f"/listings/{listing.pk}/close/", {
        "reason": "exchanged_internal", "quantity": "4",
        "recipient_service": other_service.pk}).status_code == 302
    with in_authority(chatellerault):
        listing.refresh_from_db()
        assert listing.status == ListingStatus.CLOSED
        assert [(t.quantity, t.recipient_service_id) for t in listing.transfers.all()] == [
            (6, schools.pk), (4, other_service.pk)]

    # 6. The other agent's pages never show the value.
    for path in ("/", "/listings/", "/listings/?q=hetre", f"/listings/{listing.pk}/",
                 "/listings/mine/", "/listings/wanted/"):
        response = as_taker.get(path)
        assert response.status_code == 200, path
        assert_no_value(response.content.decode())
    assert "345,67" in as_poster.get(f"/listings/{listing.pk}/").content.decode()


def test_close_page_of_a_closed_listing_sends_the_poster_back_to_it(chatellerault):
    with in_authority(chatellerault):
        listing = published_listing()
        close_listing(listing=listing, actor=listing.poster,
                      reason=ClosureReason.WITHDRAWN)
        poster = listing.poster
    response = client_for(chatellerault, poster).get(f"/listings/{listing.pk}/close/")
    assert response.status_code == 302
    assert response["Location"] == f"/listings/{listing.pk}/"
