"""The offer cascade, from a listing nobody took to a partner donation in the figures;
the poster's opt-out; the close form's partner choice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from analytics.models import Destination, TransferFact
from exchange.catalogue.models import CatalogueEntry
from exchange.listings.errors import ExchangeError
from exchange.listings.models import Listing, Transfer
from exchange.listings.recipients import Recipient
from exchange.listings.selectors import exchange_settings
from exchange.listings.services.closure import close_listing, confirm_transfer
from exchange.listings.services.visibility import set_partner_offer_opt_out
from exchange.partners.cascade import offer_due_listings
from exchange.partners.models import PartnerRequest
from exchange.partners.tasks import offer_due_listings_everywhere
from tests.accounts.factories import TokenFactory, agent, authority_admin, moderator
from tests.conftest import client_for, in_authority
from tests.exchange.listings.factories import published_listing
from tests.exchange.partners.factories import api_key, grant, offer, partner
from tests.exchange.partners.test_partner_api import FEED, STATS, partner_client, request_path

pytestmark = pytest.mark.django_db


def age(listing, days: int) -> None:
    Listing.objects.filter(pk=listing.pk).update(
        published_at=timezone.now() - timedelta(days=days))


def test_the_cascade_from_an_unwanted_listing_to_a_partner_donation(
        chatellerault, django_capture_on_commit_callbacks):
    ressourcerie = partner(legal_name="Ressourcerie Le Grenier du Pays Châtelleraudais",
                           contact_email="grenier@ressourcerie.example")
    grant(chatellerault, ressourcerie)
    _key, key = api_key(ressourcerie)
    client = partner_client(key)
    with in_authority(chatellerault), django_capture_on_commit_callbacks(execute=True):
        boss = moderator(email="moderation@chatellerault.example")
        poster = agent(email="poster@chatellerault.example")
        listing = published_listing(poster=poster, approver=boss, title="Six bureaux droits",
                                    quantity=6)
        # Twenty days: not yet (the default delay is 21 days).
        age(listing, 20)
        assert offer_due_listings() == 0
    assert client.get(FEED).json()["results"] == []

    # A day later the daily job (fanned out per authority) offers it.
    with in_authority(chatellerault):
        age(listing, 22)
    with django_capture_on_commit_callbacks(execute=True):
        assert offer_due_listings_everywhere() >= 1
    [item] = client.get(FEED).json()["results"]
    assert item["id"] == f"chatellerault:{listing.pk}" and item["quantity"] == 6

    # The partner asks; the poster gets the e-mail, moderators in Cc.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(request_path(chatellerault, listing),
                               {"message": "Nous passons vendredi."},
                               content_type="application/json")
    assert response.status_code == 201
    [message] = mail.outbox
    assert message.to == ["poster@chatellerault.example"]
    assert "moderation@chatellerault.example" in message.cc
    assert message.reply_to == ["grenier@ressourcerie.example"]
    raw = message.message().as_bytes().decode()  # the .eml as written to var/mail/
    assert "Ressourcerie Le Grenier" in raw and "Nous passons vendredi." in message.body

    # The poster closes it as given to that partner, chosen in the close form.
    page = client_for(chatellerault, poster)
    form = page.get(f"/listings/{listing.pk}/close/")
    assert "Ressourcerie Le Grenier du Pays Châtelleraudais" in form.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        closed = page.post(f"/listings/{listing.pk}/close/", {
            "reason": "given_to_partner", "quantity": 6, "partner": ressourcerie.pk})
    assert closed.status_code == 302
    with in_authority(chatellerault):
        transfer = Transfer.objects.get(listing=listing)
    assert transfer.recipient_partner_id == ressourcerie.pk
    assert transfer.recipient_partner == ressourcerie.legal_name

    # The figures count a partner donation; the listing left the feed; the request is answered.
    fact = TransferFact.objects.get(authority=chatellerault, transfer_id=transfer.pk)
    assert (fact.destination, fact.receiver_partner_id, fact.quantity) == (
        Destination.PARTNER, ressourcerie.pk, 6)
    stats = client.get(STATS).json()["authorities"][0]
    assert {"destination": "partner", "items": 6} in [
        {"destination": d["destination"], "items": d["items"]} for d in stats["by_destination"]]
    assert client.get(FEED).json()["results"] == []
    assert PartnerRequest.objects.get().status == "accepted"
    # The authority's administrator sees the request and its outcome.
    with in_authority(chatellerault):
        admin = authority_admin()
    page = client_for(chatellerault, admin).get("/listings/partners/").content.decode()
    assert f'href="/listings/{listing.pk}/"' in page and "Donnée au partenaire" in page


def test_the_cascade_skips_opted_out_reserved_given_and_never_settings(chatellerault):
    with in_authority(chatellerault):
        poster = agent()
        opted_out, reserved, partly_given, due = (
            published_listing(poster=poster, title=t) for t in ("a", "b", "c", "d"))
        for listing in (opted_out, reserved, partly_given, due):
            age(listing, 30)
        Listing.objects.filter(pk=opted_out.pk).update(partner_offer_opt_out=True)
        Listing.objects.filter(pk=reserved.pk).update(reserved_for="Service des sports")
        close_listing(listing=partly_given, actor=poster, quantity=1,
                      reason="exchanged_internal",
                      recipient=Recipient.service(poster.service))
        assert offer_due_listings() == 1
        assert offer_due_listings() == 0  # twice changes nothing
        offered = set(Listing.objects.filter(offered_to_partners_at__isnull=False)
                      .values_list("pk", flat=True))
        assert offered == {due.pk}
        settings_row = exchange_settings()
        settings_row.offer_to_partners_after_days = None
        settings_row.save()
        Listing.objects.filter(pk=due.pk).update(offered_to_partners_at=None)
        assert offer_due_listings() == 0


def test_poster_or_moderator_opt_out_withdraws_the_entry(chatellerault,
                                                         django_capture_on_commit_callbacks):
    with in_authority(chatellerault), django_capture_on_commit_callbacks(execute=True):
        poster = agent()
        listing = published_listing(poster=poster)
        age(listing, 30)
        offer_due_listings()
    assert CatalogueEntry.objects.filter(listing_id=listing.pk,
                                         authority=chatellerault).exists()
    page = client_for(chatellerault, poster)
    assert "Ne jamais proposer" in page.get(f"/listings/{listing.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(f"/listings/{listing.pk}/partner-offer/", {"opt_out": "1"})
    assert response.status_code == 302
    assert not CatalogueEntry.objects.filter(listing_id=listing.pk,
                                             authority=chatellerault).exists()
    with in_authority(chatellerault):
        assert Listing.objects.get(pk=listing.pk).partner_offer_opt_out
        other = agent()
        with pytest.raises(ExchangeError):
            set_partner_offer_opt_out(listing=listing, actor=other,
                                      opt_out=False)
    assert client_for(chatellerault, other).post(
        f"/listings/{listing.pk}/partner-offer/", {"opt_out": "0"}).status_code == 403


def test_the_close_service_refuses_a_partner_the_authority_does_not_grant(
        chatellerault, grand_chatellerault):
    stranger = partner()
    grant(grand_chatellerault, stranger)
    with in_authority(chatellerault):
        poster = agent()
        listing = published_listing(poster=poster)
        with pytest.raises(ExchangeError) as refused:
            close_listing(listing=listing, actor=poster,
                          reason="given_to_partner",
                          recipient=Recipient.partner(stranger.pk))
        assert refused.value.code == "recipient"


def test_the_agents_api_closes_with_a_partner(chatellerault,
                                              django_capture_on_commit_callbacks):
    ressourcerie = partner()
    grant(chatellerault, ressourcerie)
    with in_authority(chatellerault):
        poster = agent()
        listing = published_listing(poster=poster)
        token = TokenFactory(user=poster)
    api = client_for(chatellerault)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/listings/{listing.pk}/close/",
                            {"reason": "given_to_partner",
                             "recipient_partner_id": ressourcerie.pk},
                            content_type="application/json",
                            HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 201, response.content
    assert response.json()["recipient_partner"] == ressourcerie.legal_name
    assert response.json()["recipient_partner_id"] == ressourcerie.pk


def test_the_agents_api_shows_and_switches_the_opt_out(chatellerault):
    with in_authority(chatellerault):
        poster, other = agent(), agent()
        listing = published_listing(poster=poster)
        token, other_token = TokenFactory(user=poster), TokenFactory(user=other)
    api = client_for(chatellerault)
    path = f"/api/v1/listings/{listing.pk}/partner-offer/"
    response = api.post(path, {"opt_out": True}, content_type="application/json",
                        HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200, response.content
    assert response.json()["partner_offer_opt_out"] is True
    assert api.post(path, {"opt_out": "peut-être"}, content_type="application/json",
                    HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 400
    assert api.post(path, {"opt_out": False}, content_type="application/json",
                    HTTP_AUTHORIZATION=f"Token {other_token.key}").status_code == 403
    with in_authority(chatellerault):
        assert Listing.objects.get(pk=listing.pk).partner_offer_opt_out


# --- Legal paperwork of a donation (cap and transfer record, shared with sharing) --------

def test_a_donation_above_the_cap_waits_for_a_moderator_and_its_record_names_the_partner(
        chatellerault, django_capture_on_commit_callbacks, settings):
    import io
    from datetime import date
    from decimal import Decimal

    from pypdf import PdfReader

    settings.FREE_TRANSFER_CAP_PER_UNIT_EUR = Decimal("300")
    envie = partner(legal_name="Envie Poitou", siret="35600000000010",
                    contact_name="Lou Bernard", contact_email="lou@envie.example")
    grant(chatellerault, envie, agreement_reference="CONV-2026-07",
          valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31))
    _key, key = api_key(envie)
    with in_authority(chatellerault), django_capture_on_commit_callbacks(execute=True):
        poster = agent()
        listing = published_listing(poster=poster, title="Lave-vaisselle professionnel",
                                    quantity=1, estimated_value=Decimal("450"))
        offer(listing)
    with django_capture_on_commit_callbacks(execute=True):
        assert partner_client(key).post(request_path(chatellerault, listing), {},
                                        content_type="application/json").status_code == 201
    with in_authority(chatellerault), django_capture_on_commit_callbacks(execute=True):
        transfer = close_listing(
            listing=listing, actor=poster, reason="given_to_partner",
            recipient=Recipient.partner(envie.pk))
    assert transfer.awaits_confirmation
    assert transfer.agreement_reference == "CONV-2026-07, valable du 01/01/2026 au 31/12/2026"
    # Not done yet: no fact, the request still open.
    assert not TransferFact.objects.filter(authority=chatellerault,
                                           transfer_id=transfer.pk).exists()
    assert PartnerRequest.objects.get().status != "accepted"
    with in_authority(chatellerault), django_capture_on_commit_callbacks(execute=True):
        confirm_transfer(transfer=transfer, actor=moderator())
    assert PartnerRequest.objects.get().status == "accepted"
    assert TransferFact.objects.get(authority=chatellerault, transfer_id=transfer.pk
                                    ).receiver_partner_id == envie.pk
    record = client_for(chatellerault, poster).get(
        f"/listings/{listing.pk}/transfers/{transfer.pk}/record.pdf")
    assert record.status_code == 200
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(record.content)).pages)
    for expected in ("Envie Poitou", "SIRET 35600000000010", "lou@envie.example",
                     "CONV-2026-07", "Lave-vaisselle professionnel", "450,00"):
        assert expected in text, expected


def test_the_request_email_links_to_the_close_form_with_the_partner_chosen(
        chatellerault, django_capture_on_commit_callbacks):
    grenier = partner(legal_name="Le Grenier solidaire")
    grant(chatellerault, grenier)
    other = partner(legal_name="Atelier vélo")
    grant(chatellerault, other)
    _key, key = api_key(grenier)
    with in_authority(chatellerault), django_capture_on_commit_callbacks(execute=True):
        poster = agent()
        listing = published_listing(poster=poster, title="Étagères métalliques")
        offer(listing)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        partner_client(key).post(request_path(chatellerault, listing), {},
                                 content_type="application/json")
    [message] = mail.outbox
    link = next(line for line in message.body.splitlines() if "/close/?" in line)
    path = link[link.index("/listings/"):]
    html = client_for(chatellerault, poster).get(path).content.decode()
    assert f'<option value="{grenier.pk}" selected>' in html
    assert f'<option value="{other.pk}">' in html
    assert '<option value="given_to_partner" selected>' in html
