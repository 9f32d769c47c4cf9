"""The transport pages: an agent asks (bad input answered on the field, typed values
kept), follows the status; the logistics board by day and week with a bounded number of
queries; rounds, picked up, delivered; the round sheet PDF; the teams' calendar feeds."""

import io
from datetime import timedelta

import icalendar
import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from exchange.logistics.models import Round, TransportRequest, TransportStatus
from tests.accounts.factories import ServiceFactory, SiteFactory, agent, logistics
from tests.conftest import client_for, in_authority
from tests.exchange.logistics.helpers import ask, given_listing, plan, reserved_listing, team

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _form(site, **changes):
    data = {"quantity": "2", "pickup_site": site.pk, "pickup_contact": "Marc 05 49",
            "pickup_floor": "0", "delivery_address": "Mairie de Naintré, 86530 Naintré",
            "delivery_contact": "Léa 06 12", "delivery_floor": "2", "delivery_lift": "on",
            "wished_from": (TODAY() + timedelta(days=1)).isoformat(),
            "wished_until": (TODAY() + timedelta(days=4)).isoformat(), "notes": "Porte B"}
    data.update(changes)
    return data


def test_an_agent_asks_for_transport_of_a_reserved_listing(chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing()
        site = SiteFactory()
    client = client_for(chatellerault, listing.poster)
    page = client.get(f"/logistics/listings/{listing.pk}/request/")
    assert page.status_code == 200
    assert listing.title in page.content.decode()
    response = client.post(f"/logistics/listings/{listing.pk}/request/", _form(site))
    with in_authority(chatellerault):
        transport = TransportRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/logistics/requests/{transport.pk}/"
    assert (transport.quantity, transport.delivery_floor, transport.delivery_lift) == (2, 2, True)
    mine = client.get("/logistics/").content.decode()
    assert f"/logistics/requests/{transport.pk}/" in mine
    detail = client.get(f"/logistics/requests/{transport.pk}/").content.decode()
    assert "Mairie de Naintré" in detail


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"quantity": "11"}, "quantity", "At most 10 item(s)"),
    ({"wished_from": "2020-01-01"}, "wished_from", "in the past"),
    ({"wished_until": TODAY().isoformat(),
      "wished_from": (TODAY() + timedelta(days=2)).isoformat()}, "wished_until",
     "cannot come before"),
    ({"delivery_address": ""}, "delivery_site", "Choose a site or write an address"),
    ({"pickup_floor": "99"}, "pickup_floor", "99"),
])
def test_bad_input_is_answered_on_its_field_and_typed_values_stay(chatellerault, changes,
                                                                  field, message):
    with in_authority(chatellerault):
        listing = reserved_listing()
        site = SiteFactory()
    client = client_for(chatellerault, listing.poster)
    client.cookies["django_language"] = "en"
    response = client.post(f"/logistics/listings/{listing.pk}/request/",
                           _form(site, **changes), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    if field != "pickup_floor":
        assert message in " ".join(form.errors[field])
    html = response.content.decode()
    assert "Porte B" in html and "Léa 06 12" in html  # what was typed stays
    with in_authority(chatellerault):
        assert not TransportRequest.objects.exists()


def test_a_listing_not_taken_or_not_ones_own_is_refused(chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing()
        stranger = agent()
    response = client_for(chatellerault, stranger).get(
        f"/logistics/listings/{listing.pk}/request/")
    assert response.status_code == 403


def test_the_taking_service_asks_for_a_transfer(chatellerault):
    with in_authority(chatellerault):
        sports = ServiceFactory()
        taker = agent(service=sports)
        listing, transfer = given_listing(to_service=sports, quantity=3)
        site = SiteFactory()
    client = client_for(chatellerault, taker)
    mine = client.get("/logistics/").content.decode()
    assert f"/logistics/listings/{listing.pk}/request/" in mine
    response = client.post(f"/logistics/listings/{listing.pk}/request/",
                           _form(site, transfer=transfer.pk, quantity="3"))
    assert response.status_code == 302
    with in_authority(chatellerault):
        assert TransportRequest.objects.get().transfer == transfer


def test_a_request_is_followed_only_by_its_agents_and_planners(chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing()
        transport = ask(listing, listing.poster)
        stranger, planner = agent(), logistics()
    url = f"/logistics/requests/{transport.pk}/"
    assert client_for(chatellerault, stranger).get(url).status_code == 404
    assert client_for(chatellerault, planner).get(url).status_code == 200
    assert client_for(chatellerault, listing.poster).get(url).status_code == 200


def test_an_agent_cannot_open_the_board_or_plan(chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing()
        transport = ask(listing, listing.poster)
        the_team = team()
    client = client_for(chatellerault, listing.poster)
    assert client.get("/logistics/board/").status_code == 403
    response = client.post("/logistics/rounds/new/", {
        "team": the_team.pk, "date": TODAY().isoformat(), "starts_at": "08:00",
        "ends_at": "10:00", "transports": [transport.pk]})
    assert response.status_code == 403
    assert client.post(f"/logistics/requests/{transport.pk}/delivered/").status_code == 403
    with in_authority(chatellerault):
        transport.refresh_from_db()
    assert transport.status == TransportStatus.REQUESTED


def test_logistics_plans_a_round_on_the_board_then_delivers(chatellerault, capture):
    with in_authority(chatellerault):
        listing = reserved_listing()
        transport = ask(listing, listing.poster)
        the_team = team()
        planner = logistics()
    client = client_for(chatellerault, planner)
    board = client.get("/logistics/board/")
    assert board.status_code == 200
    assert list(board.context["unplanned"]) == [transport]
    with capture(execute=True):
        response = client.post("/logistics/rounds/new/", {
            "team": the_team.pk, "date": TODAY().isoformat(), "starts_at": "08:00",
            "ends_at": "10:00", "transports": [transport.pk]})
    with in_authority(chatellerault):
        planned_round = Round.objects.get()
    assert response["Location"] == f"/logistics/rounds/{planned_round.pk}/"
    assert [m.to for m in mail.outbox] == [[listing.poster.email]]
    round_page = client.get(f"/logistics/rounds/{planned_round.pk}/").content.decode()
    assert listing.title in round_page
    client.post(f"/logistics/requests/{transport.pk}/picked-up/")
    client.post(f"/logistics/requests/{transport.pk}/delivered/")
    with in_authority(chatellerault):
        transport.refresh_from_db()
    assert transport.status == TransportStatus.DELIVERED
    detail = client_for(chatellerault, listing.poster).get(
        f"/logistics/requests/{transport.pk}/")
    assert detail.context["transport"].status == TransportStatus.DELIVERED
    assert "badge-transport-delivered" in detail.content.decode()


def test_a_bad_round_is_answered_with_the_typed_values(chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing()
        transport = ask(listing, listing.poster)
        the_team = team()
        planner = logistics()
    response = client_for(chatellerault, planner).post("/logistics/rounds/new/", {
        "team": the_team.pk, "date": TODAY().isoformat(), "starts_at": "11:00",
        "ends_at": "10:00", "note": "Camion rouge", "transports": [transport.pk]})
    assert response.status_code == 400
    assert "ends_at" in response.context["form"].errors
    assert "Camion rouge" in response.content.decode()
    with in_authority(chatellerault):
        assert not Round.objects.exists()


def test_the_week_board_reads_in_a_bounded_number_of_queries(chatellerault,
                                                            django_assert_max_num_queries):
    with in_authority(chatellerault):
        planner = logistics()
        the_team = team()
        for n in range(6):
            listing = reserved_listing()
            stops = [ask(listing, listing.poster, quantity=1) for _ in range(2)]
            plan(planner, stops, the_team=the_team, day=TODAY() + timedelta(days=n % 2))
            ask(listing, listing.poster, quantity=1)  # one unplanned each
    client = client_for(chatellerault, planner)
    client.get("/logistics/board/?view=week")  # warm the session and caches
    with django_assert_max_num_queries(14):
        response = client.get(f"/logistics/board/?view=week&day={TODAY().isoformat()}")
    assert len(response.context["unplanned"]) == 6
    assert sum(len(r.ordered_stops) for r in response.context["rounds"]) >= 2


def test_the_round_sheet_is_a_pdf(chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing(title="Armoire haute métallique")
        transport = ask(listing, listing.poster)
        planned_round = plan(logistics(), [transport])
        planner = logistics()
    response = client_for(chatellerault, planner).get(
        f"/logistics/rounds/{planned_round.pk}/sheet.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(
        io.BytesIO(response.content)).pages).split())
    assert "Armoire haute métallique × 2" in text
    assert transport.pickup_contact in text


def test_teams_page_adds_a_team_and_regenerates_its_address(chatellerault):
    with in_authority(chatellerault):
        planner = logistics()
    client = client_for(chatellerault, planner)
    assert client.post("/logistics/teams/", {"name": "Camion 1"}).status_code == 302
    duplicate = client.post("/logistics/teams/", {"name": "camion 1", "vehicle": "Kangoo"})
    assert duplicate.status_code == 400
    assert "Kangoo" in duplicate.content.decode()
    with in_authority(chatellerault):
        from exchange.logistics.models import Team
        the_team = Team.objects.get()
    old = the_team.feed_token
    assert client.get(f"/logistics/feed/{old}.ics").status_code == 200
    client.post(f"/logistics/teams/{the_team.pk}/token/")
    assert client.get(f"/logistics/feed/{old}.ics").status_code == 404


def _unfold(body: str) -> list[str]:
    return body.replace("\r\n ", "").split("\r\n")


def test_the_team_feed_is_icalendar_in_paris_time(chatellerault, grand_chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing(title="Tables pliantes, lot de 12; bois")
        transport = ask(listing, listing.poster, notes="x" * 300)
        the_team = team()
        planned_round = plan(logistics(), [transport], the_team=the_team,
                             day=TODAY() + timedelta(days=1))
    response = client_for(chatellerault).get(f"/logistics/feed/{the_team.feed_token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.endswith("\r\n") and "\n" not in body.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    lines = _unfold(body)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    day = planned_round.date.strftime("%Y%m%d")
    assert f"DTSTART;TZID=Europe/Paris:{day}T080000" in lines
    assert f"DTEND;TZID=Europe/Paris:{day}T120000" in lines
    assert "TZID:Europe/Paris" in lines
    description = next(line for line in lines if line.startswith("DESCRIPTION:"))
    assert "Tables pliantes\\, lot de 12\\; bois" in description
    # Another authority's host knows no such team.
    assert client_for(grand_chatellerault).get(
        f"/logistics/feed/{the_team.feed_token}.ics").status_code == 404


def test_cancelling_from_the_page(chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing()
        transport = ask(listing, listing.poster)
    client = client_for(chatellerault, listing.poster)
    response = client.post(f"/logistics/requests/{transport.pk}/cancel/")
    assert response.status_code == 302
    with in_authority(chatellerault):
        transport.refresh_from_db()
    assert transport.status == TransportStatus.CANCELLED


def test_an_admin_gives_the_logistics_role_on_the_users_page(chatellerault):
    from accounts.models import Role
    from tests.accounts.factories import authority_admin

    with in_authority(chatellerault):
        admin, member = authority_admin(), agent()
    client = client_for(chatellerault, admin)
    form = client.get(f"/accounts/admin/users/{member.pk}/").content.decode()
    assert 'value="logistics"' in form
    response = client.post(f"/accounts/admin/users/{member.pk}/", {
        "roles": ["agent", "logistics"], "service": member.service_id, "is_active": "on"})
    assert response.status_code == 302
    with in_authority(chatellerault):
        member.refresh_from_db()
    assert member.roles == [Role.AGENT, Role.LOGISTICS]
    assert client_for(chatellerault, member).get("/logistics/board/").status_code == 200


def test_the_board_shows_one_day_or_its_week(chatellerault):
    with in_authority(chatellerault):
        planner = logistics()
        the_team = team()
        monday = TODAY() + timedelta(days=7 - TODAY().weekday())  # next Monday
        rounds = {}
        for offset in (0, 2):
            listing = reserved_listing()
            rounds[offset] = plan(planner, [ask(listing, listing.poster)], the_team=the_team,
                                  day=monday + timedelta(days=offset))
    client = client_for(chatellerault, planner)
    day = client.get(f"/logistics/board/?day={monday.isoformat()}")
    assert day.context["rounds"] == [rounds[0]]
    friday = (monday + timedelta(days=4)).isoformat()
    week = client.get(f"/logistics/board/?view=week&day={friday}")
    assert week.context["rounds"] == [rounds[0], rounds[2]]
    # A day that is no date shows today, not an error.
    assert client.get("/logistics/board/?day=31-02").context["day"] == TODAY()


def test_adding_to_a_round_from_its_page(chatellerault):
    with in_authority(chatellerault):
        planner = logistics()
        first, second = reserved_listing(), reserved_listing()
        planned_round = plan(planner, [ask(first, first.poster)])
        waiting = ask(second, second.poster)
    client = client_for(chatellerault, planner)
    url = f"/logistics/rounds/{planned_round.pk}/add/"
    assert client.post(url, {"transport": "abc"}).status_code == 302  # no such request
    client.post(url, {"transport": waiting.pk})
    with in_authority(chatellerault):
        waiting.refresh_from_db()
    assert (waiting.round_id, waiting.status) == (planned_round.pk, TransportStatus.PLANNED)


def test_the_team_feed_parses_as_icalendar_with_paris_times(chatellerault):
    """Read as a calendar client reads it (the icalendar package, RFC 5545): one event
    per planned round, its times in Europe/Paris, the stops' items in the description."""
    with in_authority(chatellerault):
        listing = reserved_listing(title="Tables pliantes, lot de 12; bois")
        transport = ask(listing, listing.poster)
        the_team = team()
        planned_round = plan(logistics(), [transport], the_team=the_team,
                             day=TODAY() + timedelta(days=1))
    response = client_for(chatellerault).get(f"/logistics/feed/{the_team.feed_token}.ics")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    start, end = events[0].decoded("DTSTART"), events[0].decoded("DTEND")
    assert str(start.tzinfo) == "Europe/Paris" and str(end.tzinfo) == "Europe/Paris"
    assert (start.date(), start.hour, end.hour) == (planned_round.date, 8, 12)
    assert "Tables pliantes, lot de 12; bois" in str(events[0].get("DESCRIPTION"))
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
