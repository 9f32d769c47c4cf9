"""Background work of the exchange: contact delivery that loses nothing when the mail
server or the broker is down, and the periodic jobs (expiry, reminders, resending)
that run in every authority serving data."""

from __future__ import annotations

import re
import threading
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from smtplib import SMTPException

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection, connections
from django.utils import timezone
from django_tenants.utils import tenant_context
from kombu import pools as kombu_pools
from kombu.exceptions import OperationalError

from analytics import tasks as analytics_tasks
from collectivrecup.celery import app
from core import outbox
from core.models import OutboxMessage, OutboxStatus
from exchange.listings import reminders, selectors, tasks
from exchange.listings.errors import ExchangeError
from exchange.listings.models import (
    Category,
    ClosureReason,
    ContactRequest,
    ContactStatus,
    Listing,
    ListingStatus,
)
from exchange.listings.selectors import exchange_settings
from exchange.listings.services import expiry
from exchange.listings.services.closure import close_listing
from exchange.listings.services.contact import contact_poster, queue_contact
from exchange.listings.services.expiry import extend_listing
from exchange.listings.services.moderation import approve_listing
from exchange.listings.services.posting import create_listing
from exchange.partners import tasks as partner_tasks
from tenants.models import Authority, AuthorityStatus
from tests.accounts.factories import ServiceFactory, SiteFactory, agent, moderator
from tests.exchange.listings.factories import ContactRequestFactory

BROKEN_BACKEND = "tests.exchange.listings.test_tasks.BrokenSMTPBackend"
FLAKY_BACKEND = "tests.exchange.listings.test_tasks.FlakySMTPBackend"
LOCMEM_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MAX_ATTEMPTS = tasks.send_contact_request.max_retries + 1


class BrokenSMTPBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise SMTPException("Connection unexpectedly closed")


class ThreadRecordingBackend(LocmemBackend):
    """Delivers to the outbox and notes which thread sent each message."""

    threads: list[tuple[int, str]] = []

    def send_messages(self, email_messages):
        for message in email_messages:
            ThreadRecordingBackend.threads.append((threading.get_ident(), message.subject))
        return super().send_messages(email_messages)


class FlakySMTPBackend(LocmemBackend):
    """A mail server that fails `failures_left` times, then delivers to the outbox."""

    failures_left = 0

    def send_messages(self, email_messages):
        if FlakySMTPBackend.failures_left > 0:
            FlakySMTPBackend.failures_left -= 1
            raise SMTPException("421 Service not available, try again later")
        return super().send_messages(email_messages)


@pytest.fixture(autouse=True)
def _usable_broker_pools():
    """Eager calls borrow a producer from the app's broker pool too. A test that switched
    brokers and closed a pool (tests/platform_core/test_celery.py) leaves kombu's
    registries holding closed pools: forget them, so this module runs in any order."""
    for group in (kombu_pools.connections, kombu_pools.producers):
        for key, pool in list(group.items()):  # keys are already eq-hashes
            if pool._closed or getattr(getattr(pool, "connections", None), "_closed", False):
                dict.__delitem__(group, key)
    app._pool = None
    app.amqp._producer_pool = None
    yield


# --- An authority with people in it ----------------------------------------------------

def make_world(authority: Authority, domain: str, tag: str = "") -> dict:
    schools = ServiceFactory(name=f"Direction des écoles{tag}")
    sports = ServiceFactory(name=f"Direction des sports{tag}")
    return {
        "authority": authority,
        "poster": agent(email=f"camille@{domain}", first_name="Camille",
                        last_name="Martin", service=schools),
        "other": agent(email=f"julien@{domain}", first_name="Julien", last_name="Roux",
                       service=sports),
        "moderators": [moderator(email=f"nadia@{domain}"),
                       moderator(email=f"alain@{domain}")],
        "site": SiteFactory(name=f"Centre technique municipal{tag}"),
        "chairs": Category.objects.get(name="Chaise visiteur / empilable"),
        "schools": schools,
        "sports": sports,
    }


def published(world, **overrides) -> Listing:
    data = {"title": "Chaises empilables en hêtre", "description": "Lot de chaises visiteur",
            "category": world["chairs"], "quantity": 10, "condition": "good",
            "estimated_value": Decimal("300.00"), "site": world["site"]}
    data.update(overrides)
    listing = create_listing(poster=world["poster"], submit=True, **data)
    return approve_listing(listing=listing, actor=world["moderators"][0])


@pytest.fixture
def world(chatellerault):
    """Châtellerault (as a worker or a request sees it: the real Authority row), with a
    poster, a second agent of another service, two moderators and a pickup site."""
    with tenant_context(chatellerault):
        yield make_world(chatellerault, "chatellerault.example")


@pytest.fixture
def mail_server_down(settings):
    settings.EMAIL_BACKEND = BROKEN_BACKEND


@pytest.fixture
def eager_retries():
    """Test settings propagate eager errors, so a task's first failure reaches its caller
    (as celery.exceptions.Retry) and no retry runs. Without propagation, eager retries
    run one after the other, as a worker would run them over hours."""
    saved = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = saved


def contact(world, listing, capture, message="Pour la salle de réunion du 2e étage"):
    """The other agent clicks "I am interested"; what follows the commit runs."""
    with capture(execute=True):
        return contact_poster(listing=listing, sender=world["other"],
                              message=message)


# --- A failing mail server loses nothing -----------------------------------------------

@pytest.mark.django_db
def test_a_failing_mail_server_loses_no_contact(world, settings, mail_server_down,
                                                django_capture_on_commit_callbacks):
    listing = published(world)
    mail.outbox.clear()

    stored = contact(world, listing, django_capture_on_commit_callbacks)  # no 500, no raise

    stored.refresh_from_db()
    assert stored.status == ContactStatus.FAILED
    assert stored.attempts == 1  # the Retry reached queue_contact, which swallowed it
    assert stored.last_error.startswith("SMTPException")
    assert mail.outbox == []
    assert list(selectors.contacts_on(listing)) == [stored]  # the poster still sees it

    settings.EMAIL_BACKEND = LOCMEM_BACKEND  # the mail server is back
    assert tasks.resend_pending_contacts_here(older_than=timedelta(0)) == 1

    stored.refresh_from_db()
    assert stored.status == ContactStatus.SENT and stored.sent_at is not None
    assert stored.attempts == 2
    [message] = mail.outbox
    assert message.to == ["camille@chatellerault.example"]
    assert sorted(message.cc) == ["alain@chatellerault.example", "nadia@chatellerault.example"]
    assert message.reply_to == ["julien@chatellerault.example"]
    for detail in ("Julien Roux", "Direction des sports", "julien@chatellerault.example",
                   "Pour la salle de réunion du 2e étage",
                   f"://chatellerault.localhost/listings/{listing.pk}/"):
        assert detail in message.body
    assert "300" not in message.body  # the value stays between poster and moderators

    # A second sweep finds nothing to do and mails nobody.
    assert tasks.resend_pending_contacts_here(older_than=timedelta(0)) == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_every_retry_is_counted_and_the_last_failure_is_swallowed(world, mail_server_down,
                                                                   eager_retries):
    listing = published(world)
    stored = ContactRequestFactory(listing=listing, sender=world["other"])
    queue_contact(stored)  # all retries fail: still no raise
    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (ContactStatus.FAILED, MAX_ATTEMPTS)
    assert stored.last_error.startswith("SMTPException")
    assert mail.outbox == []


@pytest.mark.django_db
def test_retries_never_multiply_mails(world, settings, eager_retries,
                                      django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = FLAKY_BACKEND
    FlakySMTPBackend.failures_left = 2
    listing = published(world)
    mail.outbox.clear()

    stored = contact(world, listing, django_capture_on_commit_callbacks)

    stored.refresh_from_db()
    assert (stored.status, stored.attempts, stored.last_error) == (ContactStatus.SENT, 3, "")
    assert len(mail.outbox) == 1
    # A redelivered message or a late sweep finds it sent and does nothing.
    assert tasks.send_contact_request.delay(stored.pk).get() == "nothing to do"
    assert tasks.resend_pending_contacts_here(older_than=timedelta(0)) == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_contact_cc_follows_the_authority_settings(world, django_capture_on_commit_callbacks):
    rules = exchange_settings()
    rules.contact_cc = ["reemploi@chatellerault.example"]
    rules.save()
    listing = published(world)
    mail.outbox.clear()
    contact(world, listing, django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.cc == ["reemploi@chatellerault.example"]


@pytest.mark.django_db
def test_a_broker_outage_keeps_the_request_pending(world, monkeypatch,
                                                   django_capture_on_commit_callbacks):
    listing = published(world)
    mail.outbox.clear()

    def broker_down(*args, **kwargs):
        raise OperationalError("[Errno 111] Connection refused")

    monkeypatch.setattr(tasks.send_contact_request, "delay", broker_down)
    stored = contact(world, listing, django_capture_on_commit_callbacks)  # still succeeds

    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (ContactStatus.PENDING, 0)
    assert mail.outbox == []
    # The sweep cannot queue either while the broker is down, and says so quietly.
    assert tasks.resend_pending_contacts_here(older_than=timedelta(0)) == 1
    stored.refresh_from_db()
    assert stored.status == ContactStatus.PENDING

    monkeypatch.undo()  # the broker is back
    assert tasks.resend_pending_contacts_here(older_than=timedelta(0)) == 1
    stored.refresh_from_db()
    assert stored.status == ContactStatus.SENT
    assert [m.to for m in mail.outbox] == [["camille@chatellerault.example"]]


@pytest.mark.django_db
def test_the_sweep_leaves_running_retry_chains_and_old_requests_alone(world, monkeypatch):
    listing = published(world)
    now = timezone.now()

    def request(status, attempts, age):
        row = ContactRequestFactory(listing=listing, sender=world["other"],
                                    status=status, attempts=attempts)
        ContactRequest.objects.filter(pk=row.pk).update(created_at=now - age)
        return row.pk

    fresh_pending = request(ContactStatus.PENDING, 0, timedelta(seconds=10))
    stuck_pending = request(ContactStatus.PENDING, 0, timedelta(minutes=10))
    fresh_failure = request(ContactStatus.FAILED, 1, timedelta(seconds=10))
    retrying = request(ContactStatus.FAILED, 2, timedelta(minutes=30))
    exhausted = request(ContactStatus.FAILED, MAX_ATTEMPTS, timedelta(hours=12))
    too_old = request(ContactStatus.FAILED, 9, tasks.RESEND_WINDOW + timedelta(hours=1))
    sent = request(ContactStatus.SENT, 1, timedelta(hours=1))

    queued = []
    monkeypatch.setattr(tasks.send_contact_request, "delay",
                        lambda pk, **kw: queued.append((pk, kw)))
    assert tasks.resend_pending_contacts_here() == 3
    # Pending ones get the usual retry chain; failed ones one attempt, no new chain.
    assert queued == [(stuck_pending, {}), (exhausted, {"retry": False}),
                      (retrying, {"retry": False})]
    assert {fresh_pending, fresh_failure, too_old, sent}.isdisjoint(pk for pk, _ in queued)


@pytest.mark.django_db
def test_a_sweep_attempt_records_a_failure_without_starting_a_chain(world, mail_server_down):
    listing = published(world)
    stored = ContactRequestFactory(listing=listing, sender=world["other"],
                                   status=ContactStatus.FAILED, attempts=MAX_ATTEMPTS)
    assert tasks.resend_pending_contacts_here(older_than=timedelta(0)) == 1
    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (ContactStatus.FAILED, MAX_ATTEMPTS + 1)


# --- Rate limit -------------------------------------------------------------------------

@pytest.mark.django_db
def test_contacts_are_rate_limited_per_agent_per_hour(world):
    rules = exchange_settings()
    rules.contacts_per_hour = 3
    rules.save()
    first, second = published(world), published(world, title="Armoire haute à rideaux")
    for listing in (first, second, first):
        contact_poster(listing=listing, sender=world["other"])
    with pytest.raises(ExchangeError) as refused:
        contact_poster(listing=second, sender=world["other"])
    assert refused.value.code == "rate_limited"
    assert ContactRequest.objects.filter(sender=world["other"]).count() == 3

    # Another agent is not held back by Julien's contacts.
    third = agent(email="lea@chatellerault.example", service=world["sports"])
    contact_poster(listing=second, sender=third)

    # An hour later, Julien may contact again.
    ContactRequest.objects.filter(sender=world["other"]).update(
        created_at=timezone.now() - timedelta(minutes=61))
    contact_poster(listing=second, sender=world["other"])
    assert ContactRequest.objects.filter(sender=world["other"]).count() == 4


# --- Periodic jobs over every authority ------------------------------------------------------

def test_every_scheduled_job_is_a_registered_task():
    # What a worker does when it starts: import the task modules of every installed app
    # (autodiscovery), so a job whose module is never found fails here.
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled == {"exchange.expire_listings_everywhere",
                         "exchange.send_expiry_reminders_everywhere",
                         "exchange.send_outcome_reminders_everywhere",
                         "exchange.resend_pending_contacts_everywhere",
                         "exchange.share_waiting_listings_everywhere",
                         "exchange.delete_expired_pending_photos_everywhere",
                         "tenants.send_trial_reminders",
                         "analytics.open_weight_campaigns_everywhere",
                         "billing.flag_overdue_invoices",
                         "partners.offer_due_listings_everywhere", "partners.retry_webhooks",
                         "sharing.expire_transfer_receipts",
                         "collectivrecup.sweep_outbox_everywhere",
                         "tenants.refill_spare_schemas", "tenants.prune_sign_in_handoffs",
                         "loans.send_late_reminders_everywhere"}
    assert scheduled <= set(app.tasks)


@pytest.mark.django_db
def test_expiry_runs_in_every_authority_serving_data(world, grand_chatellerault):
    here = published(world)
    with tenant_context(grand_chatellerault):
        there_world = make_world(grand_chatellerault, "grand-chatellerault.example")
        there = published(there_world)
    past = timezone.now() - timedelta(minutes=1)
    for authority, listing in ((world["authority"], here), (grand_chatellerault, there)):
        with tenant_context(authority):
            Listing.objects.filter(pk=listing.pk).update(expires_at=past)
    Authority.objects.filter(pk=grand_chatellerault.pk).update(
        status=AuthorityStatus.SUSPENDED)

    connection.set_schema_to_public()  # where beat queues the job
    assert tasks.expire_listings_everywhere.delay().get() >= 1

    with tenant_context(world["authority"]):
        assert Listing.objects.get(pk=here.pk).status == ListingStatus.EXPIRED
    with tenant_context(grand_chatellerault):
        assert Listing.objects.get(pk=there.pk).status == ListingStatus.PUBLISHED

    Authority.objects.filter(pk=grand_chatellerault.pk).update(status=AuthorityStatus.ACTIVE)
    connection.set_schema_to_public()
    tasks.expire_listings_everywhere.delay()
    with tenant_context(grand_chatellerault):
        assert Listing.objects.get(pk=there.pk).status == ListingStatus.EXPIRED


@pytest.mark.django_db
def test_a_failing_authority_does_not_stop_the_others(world, grand_chatellerault,
                                                     monkeypatch):
    seen = []

    def expire(now=None):
        seen.append(connection.schema_name)
        if connection.schema_name == "chatellerault":
            raise RuntimeError("boom")
        return 0

    monkeypatch.setattr(expiry, "expire_due_listings", expire)
    connection.set_schema_to_public()
    tasks.expire_listings_everywhere.delay()
    assert {"chatellerault", "grand_chatellerault"} <= set(seen)


def test_a_per_authority_job_does_nothing_in_the_public_schema(db):
    connection.set_schema_to_public()
    assert tasks.expire_listings() == 0
    assert tasks.send_outcome_reminders() == 0


@pytest.mark.django_db
def test_expiry_reminder_goes_once_a_week_before_with_a_link_to_extend(
        world, django_capture_on_commit_callbacks):
    soon = published(world)
    later = published(world, title="Bureau d'angle")
    now = timezone.now()
    Listing.objects.filter(pk=soon.pk).update(expires_at=now + timedelta(days=6, hours=20))
    Listing.objects.filter(pk=later.pk).update(expires_at=now + timedelta(days=12))
    mail.outbox.clear()

    connection.set_schema_to_public()
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends after commit
        tasks.send_expiry_reminders_everywhere.delay()

    [message] = mail.outbox
    assert message.to == ["camille@chatellerault.example"]
    assert "Chaises empilables en hêtre" in message.subject
    assert f"://chatellerault.localhost/listings/{soon.pk}/" in message.body
    assert "300" not in message.body
    with tenant_context(world["authority"]):
        soon.refresh_from_db()
        assert soon.expiry_reminder_sent_at is not None
        assert Listing.objects.get(pk=later.pk).expiry_reminder_sent_at is None

    connection.set_schema_to_public()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_expiry_reminders_everywhere.delay()  # the next day: not again
    assert len(mail.outbox) == 1

    with tenant_context(world["authority"]):
        # Extended, it will be reminded again a week before its new date.
        extend_listing(listing=soon, actor=world["poster"])
        soon.refresh_from_db()
        assert soon.expiry_reminder_sent_at is None
        assert reminders.send_expiry_reminders(now=soon.expires_at - timedelta(days=3)) == 1


@pytest.mark.django_db
def test_an_expiry_reminder_the_mail_server_refuses_is_sent_once_it_accepts(
        world, settings, mail_server_down, django_capture_on_commit_callbacks):
    """Recorded once with the listing's mark; the outbox tries again until the server
    takes it, and the next run of the job does not remind a second time."""
    listing = published(world)
    Listing.objects.filter(pk=listing.pk).update(expires_at=timezone.now() + timedelta(days=2))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_expiry_reminders() == 1
    listing.refresh_from_db()
    assert listing.expiry_reminder_sent_at is not None
    [row] = OutboxMessage.objects.filter(kind="exchange.expiry_reminder")
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert reminders.send_expiry_reminders() == 0  # the next run: already reminded
    settings.EMAIL_BACKEND = LOCMEM_BACKEND
    outbox.sweep_here(now=row.next_attempt_at + timedelta(seconds=1))
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT
    assert [m.to for m in mail.outbox] == [[listing.poster.email]]


URL = re.compile(r"https?://\S+")


@pytest.mark.django_db
def test_outcome_reminder_a_week_after_the_first_contact(
        world, django_capture_on_commit_callbacks):
    listing = published(world)
    untouched = published(world, title="Armoire basse")  # no contact: no reminder
    recent = published(world, title="Table de réunion")
    lea = agent(email="lea@chatellerault.example", first_name="Léa", last_name="Petit",
                service=ServiceFactory(name="Médiathèque"))
    for sender in (world["other"], lea, world["other"]):
        contact_poster(listing=listing, sender=sender)
    contact_poster(listing=recent, sender=lea)
    eight_days_ago = timezone.now() - timedelta(days=8)
    ContactRequest.objects.filter(listing=listing).update(created_at=eight_days_ago)
    mail.outbox.clear()

    connection.set_schema_to_public()
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends after commit
        tasks.send_outcome_reminders_everywhere.delay()

    [message] = mail.outbox
    assert message.to == ["camille@chatellerault.example"]
    assert "Chaises empilables en hêtre" in message.subject
    for detail in ("Julien Roux", "Direction des sports", "Léa Petit", "Médiathèque"):
        assert detail in message.body
    assert "300" not in message.body
    links = [url for url in URL.findall(message.body) if "/outcome/" in url]
    assert len(links) == 4  # given to Julien, given to Léa, still available, withdrawn
    assert all(url.split("/")[2] == "chatellerault.localhost" for url in links)
    actions = sorted(reminders.read_outcome_token(url.rstrip("/").rsplit("/", 1)[1]).action
                     for url in links)
    assert actions == ["available", "given", "given", "withdrawn"]
    with tenant_context(world["authority"]):
        listing.refresh_from_db()
        assert listing.outcome_reminder_sent_at is not None
        for other in (untouched, recent):
            other.refresh_from_db()
            assert other.outcome_reminder_sent_at is None

    connection.set_schema_to_public()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_outcome_reminders_everywhere.delay()  # the next day: nothing new
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_still_available_restarts_the_reminder_clock(world):
    listing = published(world)
    contact_poster(listing=listing, sender=world["other"])
    start = timezone.now()
    assert reminders.send_outcome_reminders(now=start + timedelta(days=6)) == 0
    assert reminders.send_outcome_reminders(now=start + timedelta(days=7, hours=1)) == 1

    # Two days later the poster answers "still available": the clock starts again.
    with time_travel(start + timedelta(days=9)):
        reminders.keep_available(listing=listing, actor=world["poster"])
    assert reminders.send_outcome_reminders(now=start + timedelta(days=15)) == 0
    assert reminders.send_outcome_reminders(now=start + timedelta(days=16, hours=1)) == 1

    close_listing(listing=listing, actor=world["poster"],
                  reason=ClosureReason.WITHDRAWN)
    assert reminders.send_outcome_reminders(now=start + timedelta(days=40)) == 0


class time_travel:
    """Make timezone.now() answer `moment` (services read the clock through it)."""

    def __init__(self, moment):
        self.moment = moment

    def __enter__(self):
        self.saved = timezone.now
        timezone.now = lambda: self.moment

    def __exit__(self, *exc):
        timezone.now = self.saved


# --- Through a real broker and a real worker ---------------------------------------------

def _forget_connection_pool(close: bool = False):
    """Drop the app's broker pools (and the producers using them) so the next call uses
    the current settings. Only the test broker's pool is closed: kombu keeps pools in
    a registry by broker, and a closed default pool would break every later eager call."""
    if close and app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def filesystem_broker(tmp_path):
    """The local default transport, in a folder of this test (as tests/platform_core/
    test_celery.py does, but without closing the default broker's pool)."""
    queue, control = tmp_path / "queue", tmp_path / "control"
    queue.mkdir()
    control.mkdir()
    saved = {key: app.conf[key] for key in
             ("broker_url", "broker_transport_options", "task_always_eager")}
    app.conf.update(
        broker_url="filesystem://",
        broker_transport_options={"data_folder_in": str(queue), "data_folder_out": str(queue),
                                  "control_folder": str(control)},
        task_always_eager=False,  # results stay ignored: the test reads the database
    )
    _forget_connection_pool()
    try:
        yield queue
    finally:
        _forget_connection_pool(close=True)
        app.conf.update(saved)


def committed(function, *args):
    """Run `function(*args)` in a thread of its own, hence on a connection of its own in
    autocommit: what it writes is committed at once, and a worker thread sees it (this
    test's own transaction it would not). Its after-commit hooks run as in production."""
    outcome = {}

    def run():
        try:
            outcome["value"] = function(*args)
        except BaseException as error:  # re-raised in the test's thread
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@pytest.fixture
def committed_world(chatellerault):
    """People of Châtellerault, committed (see `committed`), deleted afterwards."""
    assert connection.settings_dict["NAME"].startswith("test_")  # never a real database
    tag = uuid.uuid4().hex[:8]

    def create():
        with tenant_context(chatellerault):
            return make_world(chatellerault, f"{tag}.chatellerault.example", f" {tag}")

    def delete():
        with tenant_context(chatellerault):
            Listing.objects.filter(poster=world["poster"]).delete()
            for user in (world["poster"], world["other"], *world["moderators"]):
                user.delete()
            for row in (world["site"], world["schools"], world["sports"]):
                row.delete()

    world = committed(create)
    try:
        yield world
    finally:
        committed(delete)


@pytest.mark.django_db  # so that the test database is set up even when run alone
def test_a_worker_delivers_the_contact_in_the_authority_that_queued_it(filesystem_broker,
                                                                       committed_world,
                                                                       settings):
    world = committed_world
    settings.EMAIL_BACKEND = "tests.exchange.listings.test_tasks.ThreadRecordingBackend"
    ThreadRecordingBackend.threads.clear()
    mail.outbox.clear()

    def agent_clicks_contact():
        with tenant_context(world["authority"]):
            listing = published(world)
            stored = contact_poster(listing=listing, sender=world["other"],
                                    message="Je passe jeudi")  # commits, queues
            return listing, stored

    def status_once_sent_or_late(contact_id):
        deadline = time.monotonic() + 20
        with tenant_context(world["authority"]):
            while True:
                status = ContactRequest.objects.get(pk=contact_id).status
                if status == ContactStatus.SENT or time.monotonic() > deadline:
                    return status
                time.sleep(0.1)

    # Starting a worker closes this thread's connection (celery's Django fixup): from
    # here on, the database is only read and written from threads of their own.
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        listing, stored = committed(agent_clicks_contact)
        status = committed(status_once_sent_or_late, stored.pk)
    assert status == ContactStatus.SENT
    contact_mails = [m for m in mail.outbox if m.reply_to == [world["other"].email]]
    assert len(contact_mails) == 1
    assert contact_mails[0].to == [world["poster"].email]
    assert f"://chatellerault.localhost/listings/{listing.pk}/" in contact_mails[0].body
    assert "Je passe jeudi" in contact_mails[0].body
    # Sent by the worker's thread, not eagerly by this one.
    [(sender_thread, _)] = [entry for entry in ThreadRecordingBackend.threads
                            if entry[1] == contact_mails[0].subject]
    assert sender_thread != threading.get_ident()


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["suspended", "closed"])
def test_a_job_queued_before_a_suspension_or_closure_does_nothing_when_it_runs(world, how):
    """The fan-out picks live authorities; a job already queued re-checks when the
    worker runs it (tenants.crossing.is_live), so nothing expires nor is mailed."""
    listing = published(world)
    Listing.objects.filter(pk=listing.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    mail.outbox.clear()
    gone = Authority.all_objects.get(pk=world["authority"].pk)
    gone.status = how
    gone.save(update_fields=["status"])
    with tenant_context(gone):  # as the worker runs it, with the row as it is now
        assert tasks.expire_listings() == 0
        assert tasks.send_outcome_reminders() == 0
        assert partner_tasks.offer_due_listings() == 0
        assert analytics_tasks.open_weight_campaign() == "not in a live authority"
        assert Listing.objects.get(pk=listing.pk).status == ListingStatus.PUBLISHED
    assert mail.outbox == []
