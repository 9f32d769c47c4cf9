"""The IT register's writes: who may, unique numbers (service and PostgreSQL), the
history of every change, and the role that keeps the register."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import translation

from accounts.models import Role
from accounts.permissions import can_manage_it_assets, can_see_serial_number
from exchange.itassets import selectors, services
from exchange.itassets.models import EventKind, ITAsset, ITAssetEvent
from tests.accounts.factories import (
    ServiceFactory,
    SiteFactory,
    agent,
    authority_admin,
    it_staff,
    logistics,
    moderator,
)
from tests.conftest import client_for, in_authority
from tests.exchange.itassets.factories import asset

pytestmark = pytest.mark.django_db


def test_the_it_team_and_admins_manage_the_register_nobody_else(chatellerault):
    with in_authority(chatellerault):
        assert can_manage_it_assets(it_staff())
        assert can_manage_it_assets(authority_admin())
        assert not can_manage_it_assets(agent())
        assert not can_manage_it_assets(moderator())
        assert not can_manage_it_assets(logistics())


def test_an_agent_sees_the_serial_number_of_what_they_hold_only(chatellerault):
    with in_authority(chatellerault):
        holder, other = agent(), agent()
        laptop = asset(holder_user=holder)
        assert can_see_serial_number(holder, laptop)
        assert not can_see_serial_number(other, laptop)
        assert can_see_serial_number(it_staff(), laptop)


def test_an_admin_gives_the_it_role_on_the_members_page(chatellerault):
    with in_authority(chatellerault):
        admin, member = authority_admin(), agent()
    response = client_for(chatellerault, admin).post(
        f"/accounts/admin/users/{member.pk}/", {"roles": [Role.IT], "is_active": "on"})
    assert response.status_code == 302
    with in_authority(chatellerault):
        member.refresh_from_db()
        assert member.roles == [Role.IT]
        assert can_manage_it_assets(member)


def test_an_agent_may_not_add_an_asset(chatellerault):
    with in_authority(chatellerault):
        with pytest.raises(PermissionDenied):
            services.create_asset(actor=agent(), kind="computer", serial_number="X1")
        assert not ITAsset.objects.exists()


def test_adding_an_asset_records_its_creation(chatellerault):
    with in_authority(chatellerault):
        staff = it_staff()
        laptop = asset(staff, serial_number=" PF3K9ZQ1 ", inventory_number="INV-0042",
                       purchase_date=date(2021, 3, 1))
        assert laptop.serial_number == "PF3K9ZQ1"
        event = ITAssetEvent.objects.get(asset=laptop)
        assert (event.kind, event.actor_id) == (EventKind.CREATED, staff.pk)
        assert event.changes["serial_number"] == ["", "PF3K9ZQ1"]
        assert event.changes["purchase_date"] == ["", "2021-03-01"]


def test_serial_and_inventory_numbers_are_unique_whatever_their_case(chatellerault):
    with in_authority(chatellerault):
        asset(serial_number="PF3K9ZQ1", inventory_number="INV-1")
        with pytest.raises(services.ITAssetError) as serial:
            asset(serial_number="pf3k9zq1")
        assert serial.value.code == "serial_number"
        with pytest.raises(services.ITAssetError) as inventory:
            asset(serial_number="OTHER", inventory_number="inv-1")
        assert inventory.value.code == "inventory_number"
        # Empty inventory numbers do not clash.
        asset(serial_number="A1")
        asset(serial_number="A2")
        assert ITAsset.objects.count() == 3


def test_postgresql_refuses_duplicates_and_bad_values_written_around_the_service(
        chatellerault):
    with in_authority(chatellerault):
        ITAsset.objects.create(kind="computer", serial_number="SN1", inventory_number="I1")
        for bad in ({"serial_number": "sn1"}, {"serial_number": "SN2", "inventory_number": "i1"},
                    {"serial_number": ""}, {"serial_number": "SN3", "life": 4},
                    {"serial_number": "SN4", "kind": "toaster"}):
            with pytest.raises(IntegrityError), transaction.atomic():
                ITAsset.objects.create(**{"kind": "computer", **bad})
        assert ITAsset.objects.count() == 1


def test_a_change_of_holder_is_a_move_kept_in_the_history(chatellerault):
    with in_authority(chatellerault):
        staff = it_staff()
        schools = ServiceFactory(name="Direction des écoles")
        school = SiteFactory(name="École Jules Ferry")
        laptop = asset(staff)
        services.update_asset(asset=laptop, actor=staff, holder_service=schools,
                              holder_site=school)
        services.update_asset(asset=laptop, actor=staff, notes="Écran fissuré", life=2)
        services.update_asset(asset=laptop, actor=staff, notes="Écran fissuré")  # no change
        events = list(laptop.events.order_by("id"))
        assert [e.kind for e in events] == [EventKind.CREATED, EventKind.MOVED,
                                            EventKind.CHANGED]
        assert events[1].changes == {"holder_service": ["", "Direction des écoles"],
                                     "holder_site": ["", "École Jules Ferry"]}
        # Choices are kept as values, shown in the reader's language.
        assert events[2].changes["life"] == ["1", "2"]
        laptop.refresh_from_db()
        assert (laptop.holder_site_id, laptop.life) == (school.pk, 2)


def test_the_history_shows_choices_in_the_readers_language(chatellerault):
    with in_authority(chatellerault):
        staff = it_staff()
        laptop = asset(staff)
        services.update_asset(asset=laptop, actor=staff, life=2, state="broken")
        for language, expected in (("fr", {("vie actuelle", "Première vie", "Deuxième vie"),
                                           ("état", "En service", "Hors service")}),
                                   ("en", {("current life", "First life", "Second life"),
                                           ("state", "In use", "Out of order")})):
            with translation.override(language):
                (event, changes), _created = selectors.history_rows(laptop)
                assert event.kind == EventKind.CHANGED
                assert set(changes) == expected


def test_editing_to_another_assets_serial_number_is_refused(chatellerault):
    with in_authority(chatellerault):
        staff = it_staff()
        asset(staff, serial_number="SN1")
        second = asset(staff, serial_number="SN2")
        with pytest.raises(services.ITAssetError):
            services.update_asset(asset=second, actor=staff, serial_number="sn1")
        second.refresh_from_db()
        assert second.serial_number == "SN2"
        assert second.events.count() == 1
