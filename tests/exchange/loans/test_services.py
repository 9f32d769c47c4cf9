"""The loans' rules: items, the stock rule (in PostgreSQL), decisions, pickup and return,
damage, late reminders."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django_tenants.utils import tenant_context

from accounts.models import Service, Site
from exchange.listings.errors import ExchangeError
from exchange.loans import services, tasks
from exchange.loans.models import (
    Booking,
    BookingStatus,
    Borrowers,
    DamageNote,
    LendableItem,
    LoanFeed,
)
from exchange.loans.services import LoanError
from tests.accounts.factories import ServiceFactory, agent, authority_admin, moderator
from tests.conftest import in_authority
from tests.exchange.listings.factories import image_upload
from tests.exchange.loans.factories import booking_row, day, lendable, lender

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"


def code_of(raised) -> str:
    return raised.value.code


# --- Lendable items --------------------------------------------------------------------

def test_a_service_registers_equipment_with_a_photo_and_its_borrowers(chatellerault):
    with in_authority(chatellerault):
        owner = lender()
        item = lendable(owner, title="Barnum 3×3", quantity=4,
                        borrowers=Borrowers.SHARING, conditions="Retrait en camionnette")
        photo = services.add_item_photo(item=item, actor=owner, upload=image_upload())
        item.refresh_from_db()
        assert (item.service, item.quantity, item.borrowers) == (owner.service, 4, "sharing")
        assert photo.image.name.endswith(".jpg") and photo.thumbnail.name
        assert LoanFeed.objects.filter(service=owner.service).count() == 1


def test_a_file_that_is_not_an_image_is_refused_like_a_listings_photo(chatellerault):
    with in_authority(chatellerault):
        owner = lender()
        item = lendable(owner)
        with pytest.raises(ExchangeError) as raised:
            services.add_item_photo(item=item, actor=owner,
                                    upload=SimpleUploadedFile("x.jpg", b"not an image"))
        assert code_of(raised) == "not_image"
        assert item.photos.count() == 0


@pytest.mark.parametrize(("data", "code"), [
    ({"title": " "}, "title"),
    ({"quantity": 0}, "quantity"),
    ({"borrowers": "everyone"}, "borrowers"),
])
def test_bad_item_input_is_refused_by_rule(chatellerault, data, code):
    with in_authority(chatellerault):
        owner = lender()
        base = {"title": "Tables pliantes", "quantity": 10} | data
        with pytest.raises(LoanError) as raised:
            services.create_item(actor=owner, **base)
        assert code_of(raised) == code
        assert not LendableItem.objects.filter(service=owner.service).exists()


def test_only_the_owning_service_and_admins_manage_an_item(chatellerault):
    with in_authority(chatellerault):
        owner = lender()
        item = lendable(owner)
        outsider = agent(service=ServiceFactory(name="Direction des écoles"))
        with pytest.raises(LoanError) as raised:
            services.update_item(item=item, actor=outsider, quantity=1)
        assert code_of(raised) == "forbidden"
        with pytest.raises(LoanError):
            services.create_item(actor=outsider, service=owner.service, title="X",
                                 quantity=1)
        services.update_item(item=item, actor=authority_admin(), quantity=25)
        services.update_item(item=item, actor=agent(service=owner.service), title="Barrières")
        item.refresh_from_db()
        assert (item.quantity, item.title) == (25, "Barrières")


# --- Requests and the stock rule --------------------------------------------------------

@pytest.mark.parametrize(("start", "end", "quantity", "code"), [
    (-1, 2, 1, "start"),       # in the past
    (5, 3, 1, "end"),          # end before start
    (1, 1, 31, "quantity"),    # above the stock
    (1, 1, 0, "quantity"),
    (1, 200, 1, "end"),        # beyond the longest loan
])
def test_bad_booking_input_is_refused_by_rule(chatellerault, start, end, quantity, code):
    with in_authority(chatellerault):
        item = lendable(quantity=30)
        with pytest.raises(LoanError) as raised:
            services.request_booking(item=item, actor=agent(), start=day(start),
                                     end=day(end), quantity=quantity)
        assert code_of(raised) == code
        assert not Booking.objects.filter(item=item).exists()


def test_20_barriers_then_15_on_the_same_saturday_is_refused_stock_30(chatellerault):
    with in_authority(chatellerault):
        owner = lender()
        item = lendable(owner, quantity=30)
        first = services.request_booking(item=item, actor=agent(), start=day(3), end=day(3),
                                          quantity=20)
        services.approve_booking(booking=first, actor=owner)
        with pytest.raises(LoanError) as raised:
            services.request_booking(item=item, actor=agent(), start=day(2), end=day(4),
                                     quantity=15)
        assert code_of(raised) == "overbooked"
        assert "10" in raised.value.messages[0]
        # The day after is free again; exactly the 10 left fit on the Saturday.
        services.request_booking(item=item, actor=agent(), start=day(4), end=day(4),
                                 quantity=30)
        services.request_booking(item=item, actor=agent(), start=day(3), end=day(3),
                                 quantity=10)


def test_approval_checks_the_stock_again_over_every_day(chatellerault):
    with in_authority(chatellerault):
        owner = lender()
        item = lendable(owner, quantity=30)
        a = services.request_booking(item=item, actor=agent(), start=day(1), end=day(5),
                                     quantity=20)
        b = services.request_booking(item=item, actor=agent(), start=day(5), end=day(9),
                                     quantity=15)
        services.approve_booking(booking=a, actor=owner)
        with pytest.raises(LoanError) as raised:
            services.approve_booking(booking=b, actor=owner)
        assert code_of(raised) == "overbooked"
        b.refresh_from_db()
        assert b.status == BookingStatus.REQUESTED
        # Declined, cancelled and returned bookings hold nothing.
        services.cancel_booking(booking=a, actor=a.borrower)
        services.approve_booking(booking=b, actor=owner)
        assert Booking.objects.get(pk=b.pk).status == BookingStatus.APPROVED


def test_peak_is_one_aggregate_query(chatellerault, django_assert_num_queries):
    with in_authority(chatellerault):
        owner = lender()
        item = lendable(owner, quantity=30)
        for offset, quantity in ((1, 5), (2, 7), (2, 3), (6, 20)):
            booking_row(item, owner, start=day(offset), end=day(offset + 1),
                        quantity=quantity)
        with django_assert_num_queries(1):
            peak = services.peak_held(item.pk, day(0), day(5))
        assert peak == 15  # day 2: 5 + 7 + 3 (the 20 start on day 6)


def test_an_agent_of_another_service_cannot_approve_or_decline(chatellerault):
    with in_authority(chatellerault):
        owner = lender()
        item = lendable(owner)
        booking = services.request_booking(item=item, actor=agent(), start=day(1),
                                           end=day(1), quantity=1)
        outsider = moderator(service=ServiceFactory(name="Direction des écoles"))
        for action in (services.approve_booking, services.decline_booking):
            with pytest.raises(LoanError) as raised:
                action(booking=booking, actor=outsider, message="non")
            assert code_of(raised) == "forbidden"
        assert Booking.objects.get(pk=booking.pk).status == BookingStatus.REQUESTED


def test_approve_and_decline_tell_the_borrower(chatellerault, capture):
    with in_authority(chatellerault):
        owner = lender()
        item = lendable(owner, title="Tables pliantes")
        borrower = agent(email="lea@chatellerault.example")
        with capture(execute=True):
            yes = services.request_booking(item=item, actor=borrower, start=day(1),
                                           end=day(2), quantity=4)
        assert [m.to for m in mail.outbox] == [[owner.email]]
        mail.outbox.clear()
        no = services.request_booking(item=item, actor=borrower, start=day(3), end=day(3),
                                      quantity=1)
        with pytest.raises(LoanError) as raised:
            services.decline_booking(booking=no, actor=owner, message=" ")
        assert code_of(raised) == "message"
        with capture(execute=True):
            services.approve_booking(booking=yes, actor=owner, message="Clés à l'accueil")
            services.decline_booking(booking=no, actor=owner, message="Déjà prêtées")
        assert [m.to for m in mail.outbox] == [[borrower.email]] * 2
        assert "Clés à l'accueil" in mail.outbox[0].body
        assert "Déjà prêtées" in mail.outbox[1].body
        with pytest.raises(LoanError) as raised:
            services.approve_booking(booking=no, actor=owner)
        assert code_of(raised) == "state"


def test_pickup_then_return_with_one_damaged_notes_it_on_the_item(chatellerault):
    with in_authority(chatellerault):
        owner = lender()
        item = lendable(owner, quantity=30)
        booking = services.request_booking(item=item, actor=agent(), start=day(0),
                                           end=day(1), quantity=20)
        with pytest.raises(LoanError) as raised:  # return before pickup
            services.record_return(booking=booking, actor=owner)
        assert code_of(raised) == "state"
        with pytest.raises(LoanError):  # pickup before approval
            services.record_pickup(booking=booking, actor=owner)
        services.approve_booking(booking=booking, actor=owner)
        services.record_pickup(booking=booking, actor=owner, condition="Toutes propres",
                               photos=[image_upload()])
        with pytest.raises(LoanError) as raised:
            services.record_return(booking=booking, actor=owner, damaged=1)
        assert code_of(raised) == "damage_note"
        with pytest.raises(LoanError) as raised:
            services.record_return(booking=booking, actor=owner, damaged=21, damage_note="x")
        assert code_of(raised) == "damaged"
        services.record_return(booking=booking, actor=owner, condition="Sales",
                               damaged=1, damage_note="Pied tordu")
        booking.refresh_from_db()
        assert booking.status == BookingStatus.RETURNED
        assert (booking.pickup_condition, booking.return_condition) == ("Toutes propres",
                                                                        "Sales")
        assert booking.photos.filter(stage="pickup").count() == 1
        services.note_damage(item=item, actor=owner, note="Bâche déchirée")
        history = list(DamageNote.objects.filter(item=item).values_list("quantity", "note",
                                                                          "booking_id"))
        assert sorted(history, key=str) == sorted(
            [(1, "Pied tordu", booking.pk), (1, "Bâche déchirée", None)], key=str)


def test_a_late_return_gets_one_reminder_per_day(chatellerault, capture):
    with in_authority(chatellerault):
        owner = lender()
        item = lendable(owner)
        borrower = agent(email="tom@chatellerault.example")
        late = booking_row(item, borrower, start=day(-5), end=day(-2), quantity=2,
                           status=BookingStatus.PICKED_UP)
        booking_row(item, borrower, start=day(-5), end=day(0), quantity=2,
                    status=BookingStatus.PICKED_UP)  # due today: not late
        booking_row(item, borrower, start=day(-9), end=day(-7), quantity=2,
                    status=BookingStatus.RETURNED)
        with capture(execute=True):
            assert tasks.send_late_reminders() == 1
            assert tasks.send_late_reminders() == 0  # the same day: nothing more
        assert [m.to for m in mail.outbox] == [[borrower.email]]
        late.refresh_from_db()
        assert late.last_reminder_on == day(0)
        Booking.objects.filter(pk=late.pk).update(last_reminder_on=day(-1))
        with capture(execute=True):
            assert services.send_late_reminders() == 1  # a new day: one more
        assert len(mail.outbox) == 2


def test_the_beat_job_queues_in_every_live_authority():
    queued = tasks.send_late_reminders_everywhere.apply().get()
    assert queued >= 2


# --- Concurrency ---------------------------------------------------------------------

def _in_thread(function, *args):
    outcome = {}

    def run():
        try:
            outcome["value"] = function(*args)
        except BaseException as error:
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_two_simultaneous_approvals_for_the_last_units_exactly_one_succeeds(chatellerault):
    """Real transactions, on two connections: the item's row lock makes the second
    approval wait, then see the first one's units."""
    assert connection.settings_dict["NAME"].startswith("test_")
    tag = uuid.uuid4().hex[:8]

    def create():
        with tenant_context(chatellerault):
            owner = lender(name=f"Sports {tag}", email=f"owner-{tag}@chatellerault.example")
            item = lendable(owner, quantity=30, title=f"Barrières {tag}")
            first = services.request_booking(item=item, actor=owner, start=day(3),
                                              end=day(3), quantity=20)
            second = services.request_booking(item=item, actor=owner, start=day(3),
                                               end=day(4), quantity=15)
            return owner, item, first, second

    thread, outcome = _in_thread(create)
    thread.join(30)
    owner, item, first, second = outcome["value"]
    barrier = threading.Barrier(2)

    def approve(booking):
        with tenant_context(chatellerault):
            barrier.wait(10)
            try:
                services.approve_booking(booking=booking, actor=owner)
            except LoanError as error:
                return error.code
            return "approved"

    try:
        runs = [_in_thread(approve, booking) for booking in (first, second)]
        for thread, _outcome in runs:
            thread.join(30)
        results = sorted(outcome_["value"] for _thread, outcome_ in runs)
        assert results == ["approved", "overbooked"]

        def statuses():
            with tenant_context(chatellerault):
                return sorted(Booking.objects.filter(item_id=item.pk)
                              .values_list("status", flat=True))

        thread, outcome = _in_thread(statuses)
        thread.join(30)
        assert outcome["value"] == ["approved", "requested"]
    finally:
        def delete():
            with tenant_context(chatellerault):
                LendableItem.objects.filter(pk=item.pk).delete()
                LoanFeed.objects.filter(service_id=owner.service_id).delete()
                Site.objects.filter(pk=item.site_id).delete()
                owner.delete()
                Service.objects.filter(name=f"Sports {tag}").delete()

        thread, _ = _in_thread(delete)
        thread.join(30)
