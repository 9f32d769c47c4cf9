"""The world of the boundary matrix, built once per test module, and its actors.

Authority A (chatellerault) owns the data under test: listings with distinctive €
values, agents with distinctive e-mails, a listing shared with B, a listing offered
to partners, a transfer to B. Authority B (grand-chatellerault) shares with A (an
active sharing agreement) and grants the same partner as A. Authority C (created here,
then suspended) shares with B and grants a partner of its own.

Every object of A is created after A's id sequences jump past anything B holds, so a
URL naming an object of A, asked on B's host, names nothing there (a 404 that proves
no id crosses schemas) rather than one of B's own rows.

Partners are let in as issue 12 says: a grant takes effect once the partner accepts
it, and an admin's key belongs to its authority's grant. Should that change, adjust
`accept_grant` and `key_for_grant` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client, TestCase
from django.utils import timezone

from tenants.models import Authority
from tests.conftest import client_for, in_authority, verified_operator_client

# --- The third authority, created once per session (creating a schema costs seconds) -

SUSPENDED = {"slug": "matrix-suspended", "name": "Commune suspendue (matrice)",
             "kind": "commune", "email_domains": ["suspendue.example"],
             "departement": "86", "population": 4000}


def _valid_siren(prefix: str = "21869997") -> str:
    from tenants.validators import luhn_is_valid

    return next(prefix + str(d) for d in range(10) if luhn_is_valid(prefix + str(d)))


def _valid_siret(siren_prefix: str) -> str:
    """A SIRET whose SIREN and whole number both pass the Luhn check."""
    from tenants.validators import luhn_is_valid

    head = _valid_siren(siren_prefix) + "0001"
    return next(head + str(d) for d in range(10) if luhn_is_valid(head + str(d)))


@pytest.fixture(scope="session")
def _suspended_schema(django_db_setup, django_db_blocker):
    from tenants.services import create_authority

    with django_db_blocker.unblock():
        if not Authority.objects.filter(slug=SUSPENDED["slug"]).exists():
            create_authority(**SUSPENDED, siren=_valid_siren(), status="active")


# --- What must not leak: A's € values, A's agents' e-mails, listing titles ----------

VALUE_PRIVATE = Decimal("2109.87")   # published, neither shared nor offered
VALUE_SHARED = Decimal("3210.98")    # shared with B (B's agents see the listing, not €)
VALUE_OFFERED = Decimal("4321.09")   # offered to partners (they see it, not €)
TITLE_SHARED_A = "Vitrine réfrigérée MTXA-SHARED-5813"
TITLE_OFFERED_A = "Armoire forte MTXA-OFFERED-7531"
IT_SERIAL_A = "SN-MTXA-IT-8642"  # an IT asset of A that its agent does not hold
IT_BATCH_SERIAL_A = "SN-MTXA-IT-BATCH-9753"  # an asset of A retired, erased, recycled
TITLE_OFFERED_C = "Bureau double MTXC-OFFERED-2468"
TITLE_SHARED_C = "Table pliante MTXC-SHARED-1357"
A_EMAILS = {
    "agent": "mtx.agent-secret@chatellerault.example",
    "moderator": "mtx.moderatrice-secret@chatellerault.example",
    "admin": "mtx.admin-secret@chatellerault.example",
}


def euro_renderings(value: Decimal) -> list[str]:
    """The ways a page, a CSV or a JSON body may write `value`."""
    units, cents = f"{value:.2f}".split(".")
    grouped = f"{int(units):,}".replace(",", " ")
    forms = {f"{units}.{cents}", f"{units},{cents}"}
    for space in (" ", "\u00a0", "\u202f"):
        forms.add(grouped.replace(" ", space) + "," + cents)
        forms.add(grouped.replace(" ", space) + "." + cents)
    return sorted(forms)


# --- Actors -------------------------------------------------------------------------

ANONYMOUS = "anonymous"
AGENT_A = "agent_a"
AGENT_B = "agent_b"
MODERATOR_B = "moderator_b"
ADMIN_B = "admin_b"
B_SESSION_AT_A = "b_session_at_a"
PARTNER_KEY_A = "partner_key_a"
PARTNER_KEY_B = "partner_key_b"
REVOKED_KEY = "revoked_key"
REVOKED_GRANT_KEY = "revoked_grant_key"  # its key untouched, A's grant revoked
SUSPENDED_KEY = "suspended_key"
OPERATOR = "operator"

ACTORS = [ANONYMOUS, AGENT_A, AGENT_B, MODERATOR_B, ADMIN_B, B_SESSION_AT_A,
          PARTNER_KEY_A, PARTNER_KEY_B, REVOKED_KEY, REVOKED_GRANT_KEY, SUSPENDED_KEY,
          OPERATOR]

# Where each actor goes for an authority's routes: agents of B ask THEIR host for A's
# objects (ids and slugs of A in the URL); everyone else knocks at A's door with
# whatever it holds (B's session cookie for B_SESSION_AT_A, a key, an operator's
# session of the public schema).
TENANT_HOST_OF = {AGENT_B: "b", MODERATOR_B: "b", ADMIN_B: "b"}


@dataclass
class Credentials:
    """What an actor sends: cookies (its session) and headers (its key)."""

    cookies: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    """Everything the rows need: authorities, objects of A, actors' credentials."""

    a: Authority
    b: Authority
    c: Authority
    objects: dict[str, object]
    credentials: dict[str, Credentials]
    secrets: list[tuple[str, list[str], frozenset[str]]]  # (what, markers, who may see)

    def host_for(self, actor: str, host_kind: str) -> str:
        from tests.boundaries.routes import PUBLIC

        if host_kind == PUBLIC:
            return settings.BASE_DOMAIN
        from tests.conftest import host_of

        return host_of(self.b if TENANT_HOST_OF.get(actor) == "b" else self.a)

    def client(self, actor: str, host_kind: str) -> Client:
        """A fresh client per request: a row that logs out or sets a language cookie
        changes nothing for the next row."""
        credentials = self.credentials[actor]
        client = Client(HTTP_HOST=self.host_for(actor, host_kind),
                        raise_request_exception=False, **credentials.headers)
        for name, value in credentials.cookies.items():
            client.cookies[name] = value
        return client


def _cookies(client: Client) -> dict[str, str]:
    return {name: morsel.value for name, morsel in client.cookies.items()}


# --- Partner access: the only place to adjust when grants and keys change ----------

def accept_grant(grant) -> None:
    """The partner accepts `grant`, as its e-mailed link would (issue 12: a grant takes
    effect when the partner accepts it)."""
    from tests.exchange.partners.factories import accept

    accept(grant)


def grant_by(authority: Authority, partner, admin):
    """`admin` of `authority` grants `partner` every access (not yet accepted)."""
    from exchange.partners import services
    from tests.exchange.partners.factories import ALL_SCOPES

    return services.grant_partner(authority=authority, partner=partner, scopes=ALL_SCOPES,
                                  actor_email=admin.email)


def key_for_grant(grant, actor_email: str) -> str:
    """A key an authority admin creates for its grant; returns the full key."""
    from exchange.partners import services

    _api_key, full_key = services.create_api_key(
        partner=grant.partner, name="Logiciel de stock", actor_email=actor_email,
        authority=grant.authority)
    return full_key


# --- Building the world --------------------------------------------------------------

def _jump_sequences(authority: Authority, start: int = 700_000) -> None:
    """Move every id sequence of `authority`'s schema past what any other test schema
    holds (not undone by the rollback; harmless: ids only grow)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) "
                       "FROM pg_sequences "
                       "WHERE schemaname = %s", [authority.schema_name])
        for (sequence,) in cursor.fetchall():
            cursor.execute("SELECT setval(%s::regclass, GREATEST(%s, COALESCE("
                           "pg_sequence_last_value(%s::regclass), 0)))",
                           [sequence, start, sequence])


def _share(first: Authority, second: Authority, first_admin, second_admin):
    from exchange.sharing import services as sharing

    with in_authority(first):
        agreement = sharing.propose_agreement(authority=first, actor=first_admin,
                                              other=second)
    with in_authority(second):
        return sharing.accept_agreement(agreement=agreement, authority=second,
                                        actor=second_admin)


def _offer(listing) -> None:
    from exchange.listings.models import Listing
    from exchange.listings.projections import sync_listing

    Listing.objects.filter(pk=listing.pk).update(offered_to_partners_at=timezone.now())
    sync_listing(listing.pk)


def _build(a: Authority, b: Authority, c: Authority) -> World:
    from exchange.listings import photos
    from exchange.listings.models import ClosureReason, Listing, Visibility
    from exchange.listings.recipients import Recipient
    from exchange.listings.services.closure import close_listing
    from exchange.listings.services.moderation import approve_listing
    from exchange.listings.services.saved_searches import save_search
    from exchange.listings.services.visibility import set_visibility
    from exchange.listings.services.wanted import create_wanted_request
    from exchange.partners.models import ApiKey
    from exchange.partners.services import revoke_api_key, revoke_grant
    from exchange.sharing import services as sharing
    from exchange.sharing.models import NetworkMembership, TransferReceipt
    from exchange.sharing.receipts import confirm_receipt
    from tenants.lifecycle import change_status
    from tests.accounts.factories import agent, authority_admin, moderator, operator
    from tests.exchange.listings.factories import (
        CategoryFactory,
        StandardReplyFactory,
        image_upload,
        published_listing,
    )
    from tests.exchange.partners.factories import partner
    from tests.tenants.factories import AuthorityExportFactory

    objects: dict[str, object] = {}
    credentials: dict[str, Credentials] = {ANONYMOUS: Credentials()}
    _jump_sequences(a)
    with TestCase.captureOnCommitCallbacks(execute=True):
        with in_authority(a):
            a_agent = agent(email=A_EMAILS["agent"])
            a_moderator = moderator(email=A_EMAILS["moderator"])
            a_admin = authority_admin(email=A_EMAILS["admin"])
            listing = published_listing(poster=a_agent, approver=a_moderator,
                                        estimated_value=VALUE_PRIVATE)
            shared = published_listing(poster=a_agent, approver=a_moderator,
                                       title=TITLE_SHARED_A, estimated_value=VALUE_SHARED)
            set_visibility(listing=shared, actor=a_agent,
                           visibility=Visibility.SHARED)
            offered = published_listing(poster=a_agent, approver=a_moderator,
                                        title=TITLE_OFFERED_A, estimated_value=VALUE_OFFERED)
            photo = photos.add_photo(listing=offered, actor=a_agent, upload=image_upload())
            shared_photo = photos.add_photo(listing=shared, actor=a_agent,
                                            upload=image_upload())
            for edited in (offered, shared):  # a new photo sends it back to moderation
                approve_listing(listing=Listing.objects.get(pk=edited.pk),
                                actor=a_moderator)
            given = published_listing(poster=a_agent, approver=a_moderator,
                                      estimated_value=Decimal("600.00"))
            objects.update(
                a_agent=a_agent, a_listing=listing, a_shared=shared, a_offered=offered,
                a_photo=photo, a_shared_photo=shared_photo, a_given=given,
                a_service=a_agent.service, a_site=listing.site,
                a_category=CategoryFactory(name="Catégorie MTXA"),
                a_reply=StandardReplyFactory(title="Réponse MTXA", body="…"),
                a_wanted=create_wanted_request(author=a_agent,
                                               title="Recherche MTXA"),
                a_saved_search=save_search(user=a_agent, query="chaise"),
            )
            # Loans (issue 18): an item A's agent's service lends, with a photo; a booking
            # waiting for an answer and one picked up with a photo of the items.
            from exchange.loans import services as loans  # (only this world needs them)

            item = loans.create_item(actor=a_agent, title="Barnum MTXA", quantity=4,
                                     site=listing.site)
            soon = timezone.localdate() + timedelta(days=3)
            picked = loans.request_booking(item=item, actor=a_agent, start=soon, end=soon,
                                           quantity=1)
            loans.approve_booking(booking=picked, actor=a_agent)
            loans.record_pickup(booking=picked, actor=a_agent, photos=[image_upload()])
            objects.update(
                a_loan_item=item,
                a_loan_photo=loans.add_item_photo(item=item, actor=a_agent,
                                                  upload=image_upload()),
                a_booking=loans.request_booking(item=item, actor=a_agent, start=soon,
                                                end=soon, quantity=1),
                a_booking_picked=picked, a_booking_photo=picked.photos.get(),
                a_loan_feed=loans.feed_for(a_agent.service),
            )
            # The IT register (issue 19): an asset A's agent holds, added by the IT team.
            from exchange.itassets.models import ITAsset  # (only this world needs it)

            objects["a_it_asset"] = ITAsset.objects.create(
                kind="computer", make="Dell", serial_number=IT_SERIAL_A,
                holder_service=a_agent.service)
            # A retirement batch (issue 19): an asset retired, erased, then recycled
            # under the removal slip <batch>-R1.
            from exchange.itassets import batches as it_batches  # (only this world)

            it_batch = it_batches.create_batch(actor=a_admin)
            retired = it_batches.retire_assets(batch=it_batch, actor=a_admin, assets=[
                ITAsset.objects.create(kind="computer", serial_number=IT_BATCH_SERIAL_A)])
            it_batches.record_erasure(batch=it_batch, items=retired, actor=a_admin,
                                      method="overwrite", operator_name="MTX",
                                      erased_on=timezone.localdate(), result="ok")
            [slip] = it_batches.send_to_recycling(batch=it_batch, items=retired,
                                                  actor=a_admin, recycler_name="Envie",
                                                  recycler_kind="insertion")
            objects.update(a_it_batch=it_batch, a_it_slip=slip)
            credentials[AGENT_A] = Credentials(_cookies(client_for(a, a_agent)))
        with in_authority(b):
            b_agent, b_moderator, b_admin = agent(
                email="mtx.agent@grand-chatellerault.example"), moderator(
                email="mtx.moderateur@grand-chatellerault.example"), authority_admin(
                email="mtx.admin@grand-chatellerault.example")
            for name, user in ((AGENT_B, b_agent), (MODERATOR_B, b_moderator),
                               (ADMIN_B, b_admin)):
                credentials[name] = Credentials(_cookies(client_for(b, user)))
            credentials[B_SESSION_AT_A] = credentials[ADMIN_B]
        with in_authority(c):
            c_admin = authority_admin(email="mtx.admin@suspendue.example")
            c_shared = published_listing(title=TITLE_SHARED_C)
        objects["agreement_ab"] = _share(a, b, a_admin, b_admin)
        objects["agreement_bc"] = _share(b, c, b_admin, c_admin)
        with in_authority(a):  # a network of A alone: B is not in it
            objects["a_network"] = sharing.create_network(authority=a, actor=a_admin,
                                                          name="Réseau MTXA")
        with in_authority(c):
            set_visibility(listing=c_shared, actor=c_shared.poster,
                           visibility=Visibility.SHARED)
            c_offered = published_listing(title=TITLE_OFFERED_C)
        with in_authority(a):
            _offer(offered)
            # Two transfers of A to B (A and B share): B confirms receipt of the first,
            # the second awaits B's moderators.
            objects["a_transfer"], objects["a_transfer_pending"] = (
                close_listing(listing=given, actor=a_agent, quantity=2,
                              reason=ClosureReason.EXCHANGED_OTHER_AUTHORITY,
                              recipient=Recipient.authority(b.slug))
                for _ in range(2))
            # Transports of A (issue 18): one asked for by its agent, one planned in a
            # round of A's team by A's admin (no actor of the matrix plans in A).
            from tests.exchange.logistics.helpers import ask, plan, team  # (this world only)

            objects["a_team"] = team("Équipe MTXA")
            objects["a_transport"], planned = (
                ask(given, a_agent, transfer=objects["a_transfer"], quantity=1)
                for _ in range(2))
            objects["a_round"] = plan(a_admin, [planned], the_team=objects["a_team"])
            objects["a_transport_planned"] = planned
        with in_authority(c):
            _offer(c_offered)
        receipt = TransferReceipt.objects.get(giver=a, transfer_id=objects["a_transfer"].pk)
        with in_authority(b):
            confirm_receipt(receipt_id=receipt.pk, authority=b, actor=b_moderator)
        objects["receipt_pending"] = TransferReceipt.objects.get(
            giver=a, transfer_id=objects["a_transfer_pending"].pk)
        objects["a_network_membership"] = NetworkMembership.objects.get(
            network=objects["a_network"], authority=a)
        objects.update(c_offered=c_offered, c_shared=c_shared)

    # Partners: one partner granted by A and by B, one key per grant; a revoked key of
    # A's grant; a partner granted by C alone, whose key outlives C's suspension.
    ressourcerie = partner(legal_name="Ressourcerie MTX", siret=_valid_siret("79797971"))
    grant_a = grant_by(a, ressourcerie, a_admin)
    grant_b = grant_by(b, ressourcerie, b_admin)
    accept_grant(grant_a)
    accept_grant(grant_b)
    revoked = key_for_grant(grant_a, a_admin.email)
    revoke_api_key(api_key=ApiKey.objects.get(prefix=revoked.split(".")[0]),
                   actor_email=a_admin.email, authority=a)
    # Another partner: A granted it, its key was made, then A revoked the grant.
    grant_revoked = grant_by(a, partner(legal_name="Association MTX",
                                        siret=_valid_siret("79797973")), a_admin)
    accept_grant(grant_revoked)
    revoked_grant_key = key_for_grant(grant_revoked, a_admin.email)
    revoke_grant(grant=grant_revoked, actor_email=a_admin.email, authority=a)
    credentials[REVOKED_GRANT_KEY] = Credentials(
        headers={"HTTP_AUTHORIZATION": f"Bearer {revoked_grant_key}"})
    # A grant of A the partner has not accepted yet (its e-mailed link is a row).
    objects["grant_pending"] = grant_by(a, partner(legal_name="Recyclerie en attente MTX",
                                                   siret=_valid_siret("79797974")), a_admin)
    grant_c = grant_by(c, partner(legal_name="Recyclerie MTX",
                                  siret=_valid_siret("79797972")), c_admin)
    accept_grant(grant_c)
    suspended_key = key_for_grant(grant_c, c_admin.email)
    credentials[PARTNER_KEY_A] = Credentials(
        headers={"HTTP_AUTHORIZATION": f"Bearer {key_for_grant(grant_a, a_admin.email)}"})
    credentials[PARTNER_KEY_B] = Credentials(
        headers={"HTTP_AUTHORIZATION": f"Bearer {key_for_grant(grant_b, b_admin.email)}"})
    credentials[REVOKED_KEY] = Credentials(headers={"HTTP_AUTHORIZATION": f"Bearer {revoked}"})
    credentials[SUSPENDED_KEY] = Credentials(
        headers={"HTTP_AUTHORIZATION": f"Bearer {suspended_key}"})
    objects.update(grant_a=grant_a, grant_b=grant_b, grant_c=grant_c,
                   key_a=ApiKey.objects.filter(authority=a).order_by("-pk").first())

    # An export of A under way (pending: no file yet), as its admin asked for it.
    objects["a_export"] = AuthorityExportFactory(authority=a, requested_by=a_admin.email)

    # A's AGEC figures of the year (issue 16): its purchases and a donation received
    # elsewhere, valued like its private listing and entered by its admin.
    from analytics import purchases as agec_purchases  # (only this world needs them)
    from analytics.selectors import PurchaseFigures

    this_year = timezone.localdate().year
    agec_purchases.save_purchases(a, this_year, {"Papier": PurchaseFigures(
        VALUE_PRIVATE, Decimal("0"), Decimal("0"))}, actor_label=a_admin.email)
    objects["a_donation"] = agec_purchases.add_external_donation(
        a, year=this_year, category="Papier", amount_eur=VALUE_PRIVATE, source="other",
        actor_label=a_admin.email)

    the_operator = operator()
    objects["operator_without_device"] = operator()
    credentials[OPERATOR] = Credentials(_cookies(verified_operator_client(the_operator)))
    change_status(c, "suspended", actor=the_operator, reason="Matrice : suspendue")
    c.refresh_from_db()
    connection.set_schema_to_public()

    a_insiders = frozenset({AGENT_A, OPERATOR})
    secrets = [
        # A's agent does not hold it: only A's IT team (no actor here) sees it.
        ("A's IT asset serial number", [IT_SERIAL_A, IT_BATCH_SERIAL_A], frozenset()),
        ("A's € value (private listing)", euro_renderings(VALUE_PRIVATE), a_insiders),
        ("A's € value (shared listing)", euro_renderings(VALUE_SHARED), a_insiders),
        ("A's € value (offered listing)", euro_renderings(VALUE_OFFERED), a_insiders),
        ("A's agents' e-mails", sorted(A_EMAILS.values()), a_insiders),
        ("A's listing offered to partners", [TITLE_OFFERED_A],
         a_insiders | {PARTNER_KEY_A}),
        ("A's listing shared with B", [TITLE_SHARED_A],
         a_insiders | {AGENT_B, MODERATOR_B, ADMIN_B}),
        ("suspended C's offered listing", [TITLE_OFFERED_C], frozenset({OPERATOR})),
        ("suspended C's shared listing", [TITLE_SHARED_C], frozenset({OPERATOR})),
    ]
    return World(a=a, b=b, c=c, objects=objects, credentials=credentials, secrets=secrets)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, _suspended_schema):
    """The world, in a transaction held for the whole module and rolled back after it;
    each test runs in a savepoint inside it (pytest-django's `db`)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build(Authority.objects.get(slug="chatellerault"),
                         Authority.objects.get(slug="grand-chatellerault"),
                         Authority.objects.get(slug=SUSPENDED["slug"]))
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            connection.set_schema_to_public()
