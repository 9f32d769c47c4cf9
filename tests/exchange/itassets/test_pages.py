"""The IT register's pages: who opens them, add and edit with clear errors that keep
what was typed, the list's filters and search, the history on an asset's page, and a
list whose query count does not grow with the assets."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exchange.itassets.models import EventKind, ITAsset
from tests.accounts.factories import ServiceFactory, SiteFactory, agent, authority_admin, it_staff
from tests.conftest import client_for, in_authority
from tests.exchange.itassets.factories import asset

pytestmark = pytest.mark.django_db

FORM = {"kind": "computer", "make": "HP", "model": "EliteBook 840", "serial_number": "5CG1234XYZ",
        "inventory_number": "INV-2021-007", "purchase_date": "2021-09-15", "life": "1",
        "state": "in_use", "notes": ""}


def test_agents_do_not_open_the_register(chatellerault):
    with in_authority(chatellerault):
        holder = agent()
        laptop = asset(holder_user=holder)
    client = client_for(chatellerault, holder)
    for path in ("/it/", "/it/new/", f"/it/{laptop.pk}/", f"/it/{laptop.pk}/edit/"):
        assert client.get(path).status_code == 403
    assert "/it/" not in client.get("/").content.decode()


def test_the_it_team_adds_an_asset_and_finds_its_history(chatellerault):
    with in_authority(chatellerault):
        staff = it_staff()
        schools = ServiceFactory(name="Direction des écoles")
    client = client_for(chatellerault, staff)
    assert 'href="/it/"' in client.get("/").content.decode()
    response = client.post("/it/new/", {**FORM, "holder_service": schools.pk})
    assert response.status_code == 302
    with in_authority(chatellerault):
        laptop = ITAsset.objects.get(serial_number="5CG1234XYZ")
        assert (laptop.inventory_number, laptop.holder_service_id) == ("INV-2021-007",
                                                                       schools.pk)
    detail = client.get(response["Location"])
    page = detail.content.decode()
    assert "5CG1234XYZ" in page and "Direction des écoles" in page
    assert [(e.kind, e.actor_id) for e, _changes in detail.context["events"]] == [
        (EventKind.CREATED, staff.pk)]


def test_a_duplicate_serial_number_is_answered_on_its_field_keeping_what_was_typed(
        chatellerault):
    with in_authority(chatellerault):
        staff = it_staff()
        asset(staff, serial_number="5CG1234XYZ")
    response = client_for(chatellerault, staff).post(
        "/it/new/", {**FORM, "serial_number": "5cg1234xyz", "notes": "Portable du DGS"})
    assert response.status_code == 200
    assert response.context["form"].errors["serial_number"]
    page = response.content.decode()
    assert 'value="5cg1234xyz"' in page and "Portable du DGS" in page
    assert 'value="EliteBook 840"' in page
    with in_authority(chatellerault):
        assert ITAsset.objects.count() == 1


def test_a_bad_date_is_answered_and_nothing_is_saved(chatellerault):
    with in_authority(chatellerault):
        staff = it_staff()
    response = client_for(chatellerault, staff).post(
        "/it/new/", {**FORM, "purchase_date": "31/31/2021"})
    assert response.status_code == 200
    assert response.context["form"].errors["purchase_date"]
    assert 'value="5CG1234XYZ"' in response.content.decode()
    with in_authority(chatellerault):
        assert not ITAsset.objects.exists()


def test_an_admin_moves_an_asset_and_the_move_is_in_its_history(chatellerault):
    with in_authority(chatellerault):
        admin = authority_admin()
        laptop = asset(serial_number="5CG1234XYZ")
        school = SiteFactory(name="École Jules Ferry")
    client = client_for(chatellerault, admin)
    assert client.get(f"/it/{laptop.pk}/edit/").status_code == 200
    response = client.post(f"/it/{laptop.pk}/edit/", {**FORM, "holder_site": school.pk})
    assert response.status_code == 302
    with in_authority(chatellerault):
        laptop.refresh_from_db()
        assert laptop.holder_site_id == school.pk
        assert laptop.events.filter(kind=EventKind.MOVED).count() == 1
    page = client.get(f"/it/{laptop.pk}/").content.decode()
    assert "École Jules Ferry" in page


def test_the_list_filters_and_searches(chatellerault):
    with in_authority(chatellerault):
        staff = it_staff()
        holder = agent(first_name="Camille", last_name="Martin")
        asset(staff, serial_number="LAP-1", holder_user=holder)
        asset(staff, serial_number="SCR-1", kind="screen", make="Iiyama", model="ProLite")
        asset(staff, serial_number="PHN-1", kind="phone", make="Samsung", model="A52",
              life=2)
    client = client_for(chatellerault, staff)

    def serials(query: str) -> set[str]:
        response = client.get(f"/it/?{query}")
        assert response.status_code == 200
        return {a.serial_number for a in response.context["page"].object_list}

    assert serials("") == {"LAP-1", "SCR-1", "PHN-1"}
    assert serials("kind=screen") == {"SCR-1"}
    assert serials("life=2") == {"PHN-1"}
    assert serials("q=martin") == {"LAP-1"}
    assert serials("q=prolite") == {"SCR-1"}
    assert serials("q=phn") == {"PHN-1"}
    # A value that is not a choice is ignored, the other filters still apply.
    assert serials("kind=toaster&life=2") == {"PHN-1"}


def test_the_list_query_count_does_not_grow_with_the_assets(chatellerault):
    with in_authority(chatellerault):
        staff = it_staff()
        service, site = ServiceFactory(), SiteFactory()
        asset(staff, serial_number="S-0", holder_service=service, holder_site=site,
              holder_user=agent())
    client = client_for(chatellerault, staff)
    client.get("/it/")  # warm the session and caches

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/it/").status_code == 200
        return len(queries)

    few = count()
    with in_authority(chatellerault):
        for n in range(1, 12):
            asset(staff, serial_number=f"S-{n}", holder_service=ServiceFactory(),
                  holder_site=SiteFactory(), holder_user=agent())
    assert count() == few
