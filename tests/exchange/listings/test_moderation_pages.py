"""Moderators' pages: the queue, a listing's review (hold, approve, reject, request
changes), bulk approval, standard replies and the figures dashboard."""

import re
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Service
from exchange.listings.models import (
    Listing,
    ListingStatus,
    ModerationAction,
    StandardReply,
)
from exchange.listings.recipients import Recipient
from exchange.listings.services.closure import close_listing
from exchange.listings.services.moderation import approve_listing, hold_listing
from exchange.listings.services.posting import create_listing, update_listing
from exchange.listings.views.moderation import periods
from tests.accounts.factories import ServiceFactory, SiteFactory, agent, moderator
from tests.conftest import client_for, host_of, in_authority
from tests.exchange.listings.factories import (
    ListingFactory,
    ListingPhotoFactory,
    StandardReplyFactory,
    item_type,
)

pytestmark = pytest.mark.django_db

FOREIGN_PK = 987_654  # a pk no row of Châtellerault has


@pytest.fixture
def world(chatellerault):
    """Châtellerault: Camille posts, Nadia and Bruno moderate, Julien is another agent."""
    with in_authority(chatellerault):
        schools = ServiceFactory(name="Direction des écoles")
        sports = ServiceFactory(name="Direction des sports")
        return SimpleNamespace(
            authority=chatellerault,
            poster=agent(email="camille@chatellerault.example", first_name="Camille",
                         service=schools),
            other=agent(email="julien@chatellerault.example", service=sports),
            nadia=moderator(email="nadia@chatellerault.example", first_name="Nadia",
                            last_name="Moreau"),
            bruno=moderator(email="bruno@chatellerault.example", first_name="Bruno",
                            last_name="Petit"),
            site=SiteFactory(name="Centre technique municipal"),
            schools=schools,
            sports=sports,
        )


def submitted(world, **overrides) -> Listing:
    """Camille submits a listing, as the product does (in Châtellerault's schema)."""
    data = {"title": "Chaises empilables en hêtre", "description": "Lot de chaises visiteur",
            "category": item_type(), "quantity": 10, "condition": "good",
            "estimated_value": Decimal("345.50"), "site": world.site}
    data.update(overrides)
    return create_listing(poster=world.poster, submit=True, **data)


def url(name, *args):
    return reverse(f"exchange:{name}", args=args)


def status_of(world, listing) -> str:
    with in_authority(world.authority):
        return Listing.objects.get(pk=listing.pk).status


# --- The whole flow ------------------------------------------------------------------

def test_a_listing_goes_through_moderation(world, django_capture_on_commit_callbacks,
                                           mailoutbox):
    with in_authority(world.authority):
        listing = submitted(world)
    nadia = client_for(world.authority, world.nadia)
    bruno = client_for(world.authority, world.bruno)

    # The queue shows it, with its value and poster.
    page = nadia.get(url("moderation_queue"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Chaises empilables en hêtre" in html
    assert "345,50" in html
    assert "Camille" in html
    assert 'data-status="pending">1<' in html

    # Nadia opens it: she holds it.
    page = nadia.get(url("moderation_review", listing.pk))
    assert page.status_code == 200
    assert "345,50" in page.content.decode()
    with in_authority(world.authority):
        listing.refresh_from_db()
    assert listing.held_by == world.nadia
    assert listing.held_until > timezone.now()

    # Bruno sees it held, in the queue and on the page, and cannot approve it.
    html = bruno.get(url("moderation_queue")).content.decode()
    assert "badge-held" in html and "Nadia Moreau" in html
    page = bruno.get(url("moderation_review", listing.pk))
    html = page.content.decode()
    assert page.status_code == 200
    assert "held-warning" in html
    assert '<fieldset class="decision" disabled>' in html
    response = bruno.post(url("moderation_approve", listing.pk))
    assert response.status_code == 400
    assert "decision-error" in response.content.decode()
    assert status_of(world, listing) == ListingStatus.PENDING
    # Nadia does not see her own hold as a warning.
    assert "held-warning" not in nadia.get(url("moderation_review", listing.pk)).content.decode()

    # Nadia approves: published, and Camille is told.
    with django_capture_on_commit_callbacks(execute=True):
        response = nadia.post(url("moderation_approve", listing.pk))
    assert response.status_code == 302
    assert response["Location"] == url("moderation_queue")
    with in_authority(world.authority):
        listing.refresh_from_db()
        actions = list(listing.events.values_list("action", "actor"))
    assert listing.status == ListingStatus.PUBLISHED
    assert listing.held_by is None
    assert (ModerationAction.APPROVED, world.nadia.pk) in actions
    decisions = [m for m in mailoutbox if m.to == ["camille@chatellerault.example"]]
    assert len(decisions) == 1
    assert "Chaises empilables en hêtre" in decisions[0].subject
    assert f"/listings/{listing.pk}/" in decisions[0].body
    # The queue is empty again.
    assert 'data-status="pending">0<' in nadia.get(url("moderation_queue")).content.decode()


def test_an_expired_hold_no_longer_blocks(world):
    with in_authority(world.authority):
        listing = submitted(world)
        Listing.objects.filter(pk=listing.pk).update(
            held_by=world.nadia, held_until=timezone.now() - timezone.timedelta(minutes=1))
    bruno = client_for(world.authority, world.bruno)
    assert "badge-held" not in bruno.get(url("moderation_queue")).content.decode()
    assert "held-warning" not in bruno.get(url("moderation_review", listing.pk)).content.decode()
    assert bruno.post(url("moderation_approve", listing.pk)).status_code == 302
    assert status_of(world, listing) == ListingStatus.PUBLISHED


# --- Reject and request changes -------------------------------------------------------------

def test_reject_without_reason_is_a_form_error(world, mailoutbox,
                                               django_capture_on_commit_callbacks):
    with in_authority(world.authority):
        listing = submitted(world)
    nadia = client_for(world.authority, world.nadia)
    with django_capture_on_commit_callbacks(execute=True):
        response = nadia.post(url("moderation_reject", listing.pk), {"reject-reason": "   "})
    assert response.status_code == 400
    form = response.context["reject_form"]
    assert form.errors["reason"]
    assert 'class="field field-invalid"' in response.content.decode()
    assert status_of(world, listing) == ListingStatus.PENDING
    with in_authority(world.authority):
        assert not listing.events.filter(action=ModerationAction.REJECTED).exists()
    assert mailoutbox == []


def test_reject_with_a_reason_mails_it_to_the_poster(world, mailoutbox,
                                                      django_capture_on_commit_callbacks):
    with in_authority(world.authority):
        listing = submitted(world)
    nadia = client_for(world.authority, world.nadia)
    with django_capture_on_commit_callbacks(execute=True):
        response = nadia.post(url("moderation_reject", listing.pk),
                              {"reject-reason": "Ces chaises contiennent de l'amiante."})
    assert response.status_code == 302
    assert status_of(world, listing) == ListingStatus.REJECTED
    with in_authority(world.authority):
        event = listing.events.get(action=ModerationAction.REJECTED)
    assert event.message == "Ces chaises contiennent de l'amiante."
    assert event.actor == world.nadia
    [message] = mailoutbox
    assert message.to == ["camille@chatellerault.example"]
    assert "Ces chaises contiennent de l'amiante." in message.body


def test_request_changes_takes_a_standard_reply_when_nothing_is_typed(
        world, mailoutbox, django_capture_on_commit_callbacks):
    with in_authority(world.authority):
        listing = submitted(world)
        reply = StandardReplyFactory(title="Photo manquante",
                                     body="Ajoutez une photo de l'ensemble du lot.")
    nadia = client_for(world.authority, world.nadia)
    page = nadia.get(url("moderation_review", listing.pk)).content.decode()
    assert f'<option value="{reply.pk}">Photo manquante</option>' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = nadia.post(url("moderation_request_changes", listing.pk),
                              {"changes-reply": reply.pk, "changes-message": ""})
    assert response.status_code == 302
    assert status_of(world, listing) == ListingStatus.CHANGES_REQUESTED
    [message] = mailoutbox
    assert "Ajoutez une photo de l'ensemble du lot." in message.body


def test_typed_text_wins_over_the_standard_reply(world, mailoutbox,
                                                 django_capture_on_commit_callbacks):
    with in_authority(world.authority):
        listing = submitted(world)
        reply = StandardReplyFactory(body="Texte type")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.authority, world.nadia).post(
            url("moderation_request_changes", listing.pk),
            {"changes-reply": reply.pk, "changes-message": "Précisez les dimensions."})
    assert response.status_code == 302
    [message] = mailoutbox
    assert "Précisez les dimensions." in message.body
    assert "Texte type" not in message.body


def test_request_changes_without_message_keeps_the_page(world):
    with in_authority(world.authority):
        listing = submitted(world)
    response = client_for(world.authority, world.nadia).post(
        url("moderation_request_changes", listing.pk), {"changes-message": ""})
    assert response.status_code == 400
    assert response.context["changes_form"].errors["message"]
    assert status_of(world, listing) == ListingStatus.PENDING


def test_a_decision_on_a_listing_in_the_wrong_state_is_refused(world):
    with in_authority(world.authority):
        draft = create_listing(poster=world.poster, title="Brouillon",
                               category=item_type(), quantity=1, condition="good",
                               estimated_value=Decimal("10"), site=world.site)
    nadia = client_for(world.authority, world.nadia)
    assert nadia.post(url("moderation_approve", draft.pk)).status_code == 400
    response = nadia.post(url("moderation_reject", draft.pk), {"reject-reason": "Non"})
    assert response.status_code == 400
    assert response.context["reject_form"].non_field_errors()
    assert status_of(world, draft) == ListingStatus.DRAFT


# --- Review page -------------------------------------------------------------------------------

def test_review_page_shows_everything_a_moderator_needs(world):
    with in_authority(world.authority):
        listing = submitted(world, dimensions="45 × 50 × 80 cm")
        photo = ListingPhotoFactory(listing=listing, image="a.jpg", thumbnail="a_t.jpg",
                                    width=800, height=600)
        update_listing(listing=listing, actor=world.nadia, quantity=12)
    html = client_for(world.authority, world.nadia).get(
        url("moderation_review", listing.pk)).content.decode()
    assert "345,50" in html
    assert "45 × 50 × 80 cm" in html
    assert "camille@chatellerault.example" in html
    assert url("photo_file", listing.pk, photo.pk, "thumb") in html
    assert url("photo_file", listing.pk, photo.pk, "full") in html
    assert url("listing_edit", listing.pk) in html
    # Audit trail: the submission and Nadia's edit with what changed.
    assert "event-submitted" in html
    assert "event-edited" in html
    assert "<code>quantity</code> : 10 → 12" in html
    for action in ("approve", "reject", "request_changes"):
        assert url(f"moderation_{action}", listing.pk) in html


# --- Bulk approval -------------------------------------------------------------------------------

def test_bulk_approve_reports_approved_and_refused(world):
    with in_authority(world.authority):
        first, second, held = (submitted(world, title=f"Lot {n}") for n in range(3))
        hold_listing(listing=held, actor=world.bruno)
    nadia = client_for(world.authority, world.nadia)
    response = nadia.post(url("moderation_bulk_approve"),
                          {"listings": [first.pk, second.pk, held.pk]}, follow=True)
    assert response.status_code == 200
    levels = sorted(m.level_tag for m in response.context["messages"])
    assert levels == ["success", "warning"]
    assert "Lot 2" in response.content.decode()  # named in the refusal
    assert status_of(world, first) == ListingStatus.PUBLISHED
    assert status_of(world, second) == ListingStatus.PUBLISHED
    assert status_of(world, held) == ListingStatus.PENDING


def test_bulk_approve_with_nothing_selected(world):
    response = client_for(world.authority, world.nadia).post(
        url("moderation_bulk_approve"), {}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


# --- Queue ----------------------------------------------------------------------------------------

def test_queue_lists_pending_listings_oldest_first_with_counts(world):
    with in_authority(world.authority):
        older = submitted(world, title="Armoire haute")
        newer = submitted(world, title="Bureau droit")
        Listing.objects.filter(pk=older.pk).update(
            submitted_at=timezone.now() - timezone.timedelta(days=2))
        published = submitted(world, title="Table ronde")
        approve_listing(listing=published, actor=world.bruno)
    html = client_for(world.authority, world.nadia).get(url("moderation_queue")).content.decode()
    assert html.index("Armoire haute") < html.index("Bureau droit")
    assert "Table ronde" not in html
    assert 'data-status="pending">2<' in html
    assert 'data-status="published">1<' in html
    assert f'name="listings" value="{newer.pk}"' in html


def test_ids_in_the_queue_form_are_not_grouped_like_numbers(world):
    """French number formatting groups thousands ("12 345"): an id in a form field or an
    element id must stay machine-readable, or bulk approval posts ids that do not exist."""
    with in_authority(world.authority):
        listing = ListingFactory(pk=12345, title="Lot 12345", poster=world.poster,
                                 site=world.site, status=ListingStatus.PENDING,
                                 submitted_at=timezone.now())
    html = client_for(world.authority, world.nadia).get(url("moderation_queue")).content.decode()
    assert f'name="listings" value="{listing.pk}"' in html
    assert f'id="select-{listing.pk}"' in html


def _queue_queries(world, count: int, *, total: int) -> int:
    with in_authority(world.authority):
        for n in range(count):
            listing = ListingFactory(title=f"Lot {n}", poster=world.poster, site=world.site,
                                     status=ListingStatus.PENDING, submitted_at=timezone.now(),
                                     held_by=world.bruno if n % 2 else None,
                                     held_until=timezone.now() + timezone.timedelta(minutes=5))
            ListingPhotoFactory(listing=listing, image=f"{n}.jpg", width=800, height=600,
                                thumbnail=f"{n}_t.jpg")
    client = client_for(world.authority, world.nadia)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("moderation_queue"))
    assert response.status_code == 200
    assert response.content.decode().count('class="queue-thumb"') == total
    return len(queries)


def test_queue_query_count_does_not_grow_with_listings(world):
    few = _queue_queries(world, 3, total=3)
    many = _queue_queries(world, 17, total=20)
    assert many == few
    assert few <= 12


# --- Standard replies ----------------------------------------------------------------------------

def test_moderators_manage_standard_replies(world):
    nadia = client_for(world.authority, world.nadia)
    assert nadia.get(url("reply_create")).status_code == 200
    response = nadia.post(url("reply_create"), {"title": "Amiante",
                                                "body": "Les objets amiantés sont exclus."})
    assert response.status_code == 302
    with in_authority(world.authority):
        reply = StandardReply.objects.get(title="Amiante")
    assert "Amiante" in nadia.get(url("reply_list")).content.decode()

    response = nadia.post(url("reply_edit", reply.pk), {"title": "Amiante", "body": "Exclu."})
    assert response.status_code == 302
    with in_authority(world.authority):
        reply.refresh_from_db()
    assert reply.body == "Exclu."

    response = nadia.post(url("reply_edit", reply.pk), {"title": "", "body": "Exclu."})
    assert response.status_code == 400
    assert response.context["form"].errors["title"]

    assert nadia.post(url("reply_edit", reply.pk), {"delete": "1"}).status_code == 302
    with in_authority(world.authority):
        assert not StandardReply.objects.filter(pk=reply.pk).exists()


def _reply_list_queries(world, count: int) -> int:
    with in_authority(world.authority):
        StandardReplyFactory.create_batch(count)
    client = client_for(world.authority, world.nadia)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("reply_list"))
    assert response.status_code == 200
    return len(queries)


def test_reply_list_query_count_does_not_grow(world):
    assert _reply_list_queries(world, 1) == _reply_list_queries(world, 15)


# --- Dashboard ----------------------------------------------------------------------------------

def test_dashboard_totals_after_two_closures(world, django_capture_on_commit_callbacks):
    # The dashboard reads the statistics facts, written once the closure commits.
    with in_authority(world.authority), django_capture_on_commit_callbacks(execute=True):
        chairs = submitted(world, estimated_value=Decimal("1500.00"), quantity=10)
        desks = submitted(world, title="Bureaux droits", quantity=4,
                          category=item_type("Bureau droit"), estimated_value=Decimal("200"))
        for listing in (chairs, desks):
            approve_listing(listing=listing, actor=world.nadia)
        close_listing(listing=chairs, actor=world.poster, reason="exchanged_internal",
                      recipient=Recipient.service(Service.objects.get(pk=world.sports.pk)))
        close_listing(listing=desks, actor=world.poster, reason="given_to_partner",
                      quantity=2, recipient=Recipient.named("École Jules Ferry"))
        close_listing(listing=desks, actor=world.poster, reason="discarded",
                      quantity=1)
        submitted(world, title="En attente")
    response = client_for(world.authority, world.nadia).get(url("moderation_dashboard"))
    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures.listings_posted == 3
    assert figures.listings_exchanged == 2
    assert figures.value_exchanged_eur == Decimal("1600.00")  # 1500 + 200 × 2/4
    assert figures.weight_avoided_kg == Decimal("130")  # 10 × 6 kg + 2 × 35 kg
    html = response.content.decode()
    # French formatting: a (no-break) space between thousands, a comma for decimals.
    assert re.search(r'id="value-exchanged">1[\u00a0\u202f ]600,00 €<', html)
    assert re.search(r'id="weight-avoided">130,0 kg<', html)
    assert re.search(r'id="listings-exchanged">2<', html)
    assert '<tr data-status="pending"><td>' in html


def test_dashboard_period_and_quick_links(world):
    with in_authority(world.authority):
        listing = submitted(world)
        approve_listing(listing=listing, actor=world.nadia)
        close_listing(listing=listing, actor=world.poster,
                      reason="given_to_partner", recipient=Recipient.named("Emmaüs"))
    nadia = client_for(world.authority, world.nadia)
    last_year = timezone.localdate().year - 1
    response = nadia.get(url("moderation_dashboard"),
                         {"start": f"{last_year}-01-01", "end": f"{last_year}-12-31"})
    assert response.status_code == 200
    assert response.context["figures"].listings_exchanged == 0
    html = nadia.get(url("moderation_dashboard")).content.decode()
    this_year = timezone.localdate().year
    assert f"?start={this_year}-01-01&amp;end={this_year}-12-31" in html


@pytest.mark.parametrize(("params", "error_marker"), [
    ({"start": "2026-03-31", "end": "2026-03-01"}, 'class="form-errors"'),
    ({"start": "2026-13-45", "end": "2026-03-01"}, 'class="error"'),
    ({"start": "demain", "end": ""}, 'class="error"'),
])
def test_dashboard_bad_dates_are_form_errors(world, params, error_marker):
    response = client_for(world.authority, world.nadia).get(url("moderation_dashboard"), params)
    assert response.status_code == 400
    assert response.context["figures"] is None
    assert response.context["form"].errors
    assert error_marker in response.content.decode()


def test_quick_periods():
    this_month, six_months, this_year = periods(date(2026, 3, 15))
    assert (this_month.start, this_month.end) == (date(2026, 3, 1), date(2026, 3, 31))
    assert (six_months.start, six_months.end) == (date(2025, 10, 1), date(2026, 3, 31))
    assert (this_year.start, this_year.end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert periods(date(2024, 2, 10))[0].end == date(2024, 2, 29)


# --- Who may see what ----------------------------------------------------------------------------

def moderator_pages(listing_pk: int, reply_pk: int) -> list[tuple[str, str]]:
    return [
        ("get", url("moderation_queue")),
        ("post", url("moderation_bulk_approve")),
        ("get", url("moderation_review", listing_pk)),
        ("post", url("moderation_approve", listing_pk)),
        ("post", url("moderation_reject", listing_pk)),
        ("post", url("moderation_request_changes", listing_pk)),
        ("get", url("moderation_dashboard")),
        ("get", url("reply_list")),
        ("get", url("reply_create")),
        ("get", url("reply_edit", reply_pk)),
    ]


def test_agents_get_403_and_anonymous_users_the_login_page(world):
    with in_authority(world.authority):
        listing = submitted(world)
        reply = StandardReplyFactory()
    poster = client_for(world.authority, world.poster)
    anonymous = client_for(world.authority)
    for method, path in moderator_pages(listing.pk, reply.pk):
        assert getattr(poster, method)(path).status_code == 403, path
        response = getattr(anonymous, method)(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), path
    assert status_of(world, listing) == ListingStatus.PENDING


def test_a_listing_of_another_authority_is_not_found(world, grand_chatellerault):
    with in_authority(grand_chatellerault):
        foreign = ListingFactory(pk=FOREIGN_PK, status=ListingStatus.PENDING,
                                 submitted_at=timezone.now())
        foreign_reply = StandardReplyFactory(pk=FOREIGN_PK)
    with in_authority(world.authority):
        assert not Listing.objects.filter(pk=FOREIGN_PK).exists()
    nadia = client_for(world.authority, world.nadia)
    for method, path in moderator_pages(foreign.pk, foreign_reply.pk)[2:6]:
        assert getattr(nadia, method)(path).status_code == 404, path
    assert nadia.get(url("reply_edit", foreign_reply.pk)).status_code == 404
    response = nadia.post(url("moderation_bulk_approve"), {"listings": [foreign.pk]})
    assert response.status_code == 302
    with in_authority(grand_chatellerault):
        assert Listing.objects.get(pk=FOREIGN_PK).status == ListingStatus.PENDING


def test_a_moderator_of_one_authority_is_anonymous_on_the_other(world, grand_chatellerault):
    with in_authority(grand_chatellerault):
        foreign = ListingFactory(pk=FOREIGN_PK, status=ListingStatus.PENDING)
        foreign_reply = StandardReplyFactory(pk=FOREIGN_PK)
    nadia = client_for(world.authority, world.nadia)
    nadia.defaults["HTTP_HOST"] = host_of(grand_chatellerault)
    for method, path in moderator_pages(foreign.pk, foreign_reply.pk):
        response = getattr(nadia, method)(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), path
