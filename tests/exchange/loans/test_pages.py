"""The loans' pages: catalogue, item page with its calendar and booking form, booking
page with decisions, service calendar and its iCalendar feed; errors keep what was typed;
another authority sees nothing; query counts bounded."""

from __future__ import annotations

import re

import icalendar
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exchange.loans import services
from exchange.loans.models import Booking, BookingStatus, DamageNote, LendableItem
from tests.accounts.factories import ServiceFactory, agent, authority_admin
from tests.conftest import client_for, in_authority
from tests.exchange.listings.factories import image_upload
from tests.exchange.loans.factories import booking_row, day, lendable, lender

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"


def test_a_service_registers_an_item_with_photos_from_the_form(chatellerault):
    with in_authority(chatellerault):
        owner = lender()
    client = client_for(chatellerault, owner)
    response = client.post("/loans/items/new/", {
        "title": "Barnum 3×3", "description": "Blanc", "quantity": "6", "conditions": "",
        "unit_value": "450", "borrowers": "sharing", "photos": [image_upload()]})
    assert response.status_code == 302
    with in_authority(chatellerault):
        item = LendableItem.objects.get(title="Barnum 3×3")
        assert (item.service_id, item.quantity, item.borrowers, item.photos.count()) == (
            owner.service_id, 6, "sharing", 1)
    page = client.get(response["Location"]).content.decode()
    assert "Barnum 3×3" in page and f"/loans/items/{item.pk}/photos/" in page


def test_a_file_that_is_not_an_image_is_answered_on_the_photos_field(chatellerault):
    with in_authority(chatellerault):
        owner = lender()
        item = lendable(owner, quantity=5)
        booking = services.request_booking(item=item, actor=owner, start=day(1),
                                           end=day(1), quantity=1)
        services.approve_booking(booking=booking, actor=owner)
    client = client_for(chatellerault, owner)
    fake = SimpleUploadedFile("tente.jpg", b"not an image", content_type="image/jpeg")
    response = client.post("/loans/items/new/", {
        "title": "Tente", "quantity": "2", "borrowers": "authority", "photos": [fake]})
    assert response.status_code == 200
    assert response.context["form"].errors["photos"]
    assert 'value="Tente"' in response.content.decode()
    fake.seek(0)
    response = client.post(f"/loans/bookings/{booking.pk}/pickup/",
                           {"condition": "Propre", "photos": [fake]})
    assert response.status_code == 400
    assert response.context["pickup_form"].errors["photos"]
    with in_authority(chatellerault):
        assert not LendableItem.objects.filter(title="Tente").exists()
        assert Booking.objects.get(pk=booking.pk).status == BookingStatus.APPROVED


def test_a_bad_item_form_keeps_what_was_typed(chatellerault):
    with in_authority(chatellerault):
        owner = lender()
    response = client_for(chatellerault, owner).post("/loans/items/new/", {
        "title": "Tables pliantes", "quantity": "0", "borrowers": "authority",
        "description": "Plateau 180 cm"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Tables pliantes"' in html and "Plateau 180 cm" in html
    assert response.context["form"].errors["quantity"]


@pytest.mark.parametrize(("start", "end", "quantity", "field"), [
    (-1, 1, "2", "start"), (4, 2, "2", "end"), (1, 1, "31", "quantity")])
def test_a_bad_booking_is_answered_on_its_field_and_keeps_the_values(
        chatellerault, start, end, quantity, field):
    with in_authority(chatellerault):
        item = lendable(quantity=30)
        borrower = agent()
    response = client_for(chatellerault, borrower).post(f"/loans/items/{item.pk}/book/", {
        "start": day(start).isoformat(), "end": day(end).isoformat(),
        "quantity": quantity, "purpose": "Fête des écoles"})
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == [field]
    html = response.content.decode()
    assert f'value="{day(start).isoformat()}"' in html and "Fête des écoles" in html
    with in_authority(chatellerault):
        assert not Booking.objects.filter(item=item).exists()


def test_the_whole_flow_through_the_pages(chatellerault):
    with in_authority(chatellerault):
        owner = lender()
        item = lendable(owner, quantity=30)
        borrower = agent(service=ServiceFactory(name="Direction des écoles"))
    agent_client, owner_client = (client_for(chatellerault, borrower),
                                  client_for(chatellerault, owner))
    response = agent_client.post(f"/loans/items/{item.pk}/book/", {
        "start": day(2).isoformat(), "end": day(2).isoformat(), "quantity": "20"})
    assert response.status_code == 302
    with in_authority(chatellerault):
        booking = Booking.objects.get(item=item)
    base = f"/loans/bookings/{booking.pk}/"
    # The borrower may not decide on it.
    assert agent_client.post(base + "approve/").status_code == 403
    assert owner_client.post(base + "approve/", {"message": "Clés à l'accueil"}).status_code == 302
    assert owner_client.post(base + "pickup/", {"condition": "Propres"}).status_code == 302
    response = owner_client.post(base + "return/", {"damaged": "1", "damage_note": ""})
    assert response.status_code == 400
    assert response.context["return_form"].errors["damage_note"]
    assert owner_client.post(base + "return/", {"damaged": "1", "damage_note": "Pied tordu",
                                                "condition": "Bon"}).status_code == 302
    with in_authority(chatellerault):
        booking.refresh_from_db()
        assert booking.status == BookingStatus.RETURNED
        assert DamageNote.objects.get(item=item).note == "Pied tordu"
    page = owner_client.get(f"/loans/items/{item.pk}/").content.decode()
    assert "Pied tordu" in page  # the item's damage history, for its owners
    assert "Pied tordu" not in agent_client.get(f"/loans/items/{item.pk}/").content.decode()


def test_an_agent_of_another_service_cannot_open_the_owners_forms(chatellerault):
    with in_authority(chatellerault):
        owner = lender()
        item = lendable(owner)
        booking = services.request_booking(item=item, actor=owner, start=day(1), end=day(1),
                                           quantity=1)
        outsider = agent(service=ServiceFactory(name="Direction des écoles"))
    client = client_for(chatellerault, outsider)
    assert client.get(f"/loans/items/{item.pk}/edit/").status_code == 403
    assert client.post(f"/loans/items/{item.pk}/damage/", {"quantity": 1,
                                                           "note": "x"}).status_code == 403
    assert client.get(f"/loans/bookings/{booking.pk}/").status_code == 404
    assert client.post(f"/loans/bookings/{booking.pk}/approve/").status_code == 404
    admin = client_for(chatellerault, authority_admin())
    assert admin.get(f"/loans/items/{item.pk}/edit/").status_code == 200


def test_another_authority_sees_nothing(chatellerault, grand_chatellerault):
    with in_authority(chatellerault):
        item = lendable(title="Sono portable MTX")
    with in_authority(grand_chatellerault):
        stranger = agent(email="x@grand-chatellerault.example")
    client = client_for(grand_chatellerault, stranger)
    assert "Sono portable MTX" not in client.get("/loans/").content.decode()
    assert client.get(f"/loans/items/{item.pk}/").status_code == 404


def test_the_calendar_shows_bookings_by_month(chatellerault):
    with in_authority(chatellerault):
        owner = lender()
        item = lendable(owner, quantity=30)
        target = day(40)
        booking_row(item, owner, start=target, end=target, quantity=12)
    client = client_for(chatellerault, owner)
    month = f"{target.year}-{target.month:02d}"
    page = client.get(f"/loans/items/{item.pk}/?month={month}")
    days = {d: (held, free) for d, held, free in page.context["days"]}
    assert days[target] == (12, 18)
    assert len(page.context["bookings"]) == 1
    service_page = client.get(f"/loans/services/{owner.service_id}/calendar/?month={month}")
    assert [b.pk for b in service_page.context["bookings"]] == [
        b.pk for b in page.context["bookings"]]
    assert service_page.context["feed"] is not None


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_list_and_calendar_pages_query_counts_do_not_grow_with_rows(chatellerault):
    with in_authority(chatellerault):
        owner = lender()
        item = lendable(owner, quantity=100)
        services.add_item_photo(item=item, actor=owner, upload=image_upload())
        booking_row(item, owner, start=day(1), end=day(1), quantity=1)
    client = client_for(chatellerault, owner)
    urls = ["/loans/", f"/loans/items/{item.pk}/",
            f"/loans/services/{owner.service_id}/calendar/"]
    before = [_queries(client, url) for url in urls]
    with in_authority(chatellerault):
        for n in range(6):
            other = lendable(owner, title=f"Table {n}", quantity=100)
            services.add_item_photo(item=other, actor=owner, upload=image_upload())
            booking_row(item, agent(), start=day(1), end=day(2), quantity=1)
            booking_row(item, owner, start=day(1), end=day(1), quantity=1,
                        status=BookingStatus.REQUESTED)
    after = [_queries(client, url) for url in urls]
    assert after == before


def _unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_the_feed_is_icalendar_with_crlf_and_folded_lines(chatellerault):
    with in_authority(chatellerault):
        owner = lender()
        long_title = "Barrières de foule « Vauban » galvanisées, 2 m, avec pieds – lot A"
        item = lendable(owner, title=long_title)
        booking = services.request_booking(item=item, actor=agent(), start=day(3),
                                           end=day(4), quantity=5, purpose="Marché; Noël")
        token = owner.service.loan_feed.token
    response = client_for(chatellerault).get(f"/loans/feed/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    raw = response.content
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")  # no bare LF
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    lines = _unfold(raw.decode("utf-8"))
    assert any(len(line.encode()) > 75 for line in lines)  # something was folded
    summary = f"SUMMARY:5 × {long_title.replace(',', chr(92) + ',')} — "
    assert [line for line in lines if line.startswith(summary)] != []
    assert f"DTSTART;VALUE=DATE:{day(3):%Y%m%d}" in lines
    assert f"DTEND;VALUE=DATE:{day(5):%Y%m%d}" in lines  # the day after the last one
    assert f"UID:loan-booking-{booking.pk}@chatellerault.localhost" in lines
    assert any(re.fullmatch(r"DESCRIPTION:.*Marché\\; Noël", line) for line in lines)
    assert client_for(chatellerault).get("/loans/feed/wrong-token.ics").status_code == 404


def test_the_feed_parses_as_icalendar_with_whole_days(chatellerault):
    """Read as a calendar client reads it (the icalendar package, RFC 5545): a booking
    is a whole-day event from its first day to the day after its last one."""
    with in_authority(chatellerault):
        owner = lender()
        item = lendable(owner, title="Barrières de foule, 2 m")
        booking = services.request_booking(item=item, actor=agent(), start=day(3),
                                           end=day(4), quantity=5, purpose="Marché; Noël")
        token = owner.service.loan_feed.token
    response = client_for(chatellerault).get(f"/loans/feed/{token}.ics")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert [str(event["UID"]) for event in events] == [
        f"loan-booking-{booking.pk}@chatellerault.localhost"]
    assert (events[0].decoded("DTSTART"), events[0].decoded("DTEND")) == (day(3), day(5))
    assert "Barrières de foule, 2 m" in str(events[0]["SUMMARY"])
    assert "Marché; Noël" in str(events[0]["DESCRIPTION"])
