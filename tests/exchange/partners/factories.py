"""Partners, grants, keys, webhooks and requests for tests (public schema).

The helpers `partner`, `grant`, `accept`, `api_key`, `offer` and `offered_listing` go
through exchange.partners.services, as the product does (audit lines, acceptance, the
full key returned once); the factory-boy factories below write rows directly, for the
states the services do not make (old rows of a data migration, a delivery already
queued) or where the service's side effects do not matter. Every table is in the public
schema: build them outside `in_authority(...)`."""

from __future__ import annotations

import itertools

import factory
from django.utils import timezone

from exchange.listings.models import Listing
from exchange.listings.projections import sync_listing
from exchange.partners import keys, services
from exchange.partners.models import (
    ApiKey,
    Partner,
    PartnerGrant,
    PartnerKind,
    PartnerRequest,
    Scope,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from tenants.validators import luhn_is_valid
from tests.conftest import in_authority
from tests.exchange.listings.factories import published_listing

ALL_SCOPES = [Scope.LISTINGS_READ, Scope.LISTINGS_REQUEST, Scope.STATS_READ]
_sirets = itertools.count(1)


def siret(n: int) -> str:
    """A valid SIRET built from `n`: its SIREN (first 9 digits) and the whole number
    both pass the Luhn check, as python-stdnum's SIRET check requires."""
    siren_head = f"7{n % 10**7:07d}"  # 8 digits, whatever n
    siren = next(siren_head + str(d) for d in range(10) if luhn_is_valid(siren_head + str(d)))
    base = siren + "0001"
    return next(base + str(digit) for digit in range(10) if luhn_is_valid(base + str(digit)))


def partner(**fields) -> Partner:
    n = next(_sirets)
    fields.setdefault("legal_name", f"Ressourcerie du Châtelleraudais n°{n}")
    fields.setdefault("kind", "ressourcerie")
    fields.setdefault("siret", siret(n))
    fields.setdefault("contact_name", "Camille Martin")
    fields.setdefault("contact_email", f"contact{n}@ressourcerie.example")
    fields.setdefault("departements", ["86"])
    return services.create_partner(actor_email="operateur@collectivrecup.example", **fields)


def grant(authority, the_partner, scopes=None, accepted: bool = True, **kwargs):
    """A grant of `authority` to `the_partner`, accepted by the partner unless
    `accepted=False` (then it reads nothing until `accept(grant)`)."""
    the_grant = services.grant_partner(authority=authority, partner=the_partner,
                                       scopes=ALL_SCOPES if scopes is None else scopes,
                                       actor_email=f"admin@{authority.slug}.example", **kwargs)
    return accept(the_grant) if accepted else the_grant


def accept(the_grant):
    """The partner accepts `the_grant` (as its e-mailed link would)."""
    return services.accept_grant(grant_id=the_grant.pk, partner_id=the_grant.partner_id)


def api_key(the_partner, **kwargs) -> tuple:
    return services.create_api_key(partner=the_partner, name="Logiciel de stock",
                                   actor_email="operateur@collectivrecup.example", **kwargs)


def offer(listing: Listing, when=None) -> None:
    """Offer a published listing to partners now (as the cascade would) and project it.
    Call inside `in_authority(...)`."""
    Listing.objects.filter(pk=listing.pk).update(
        offered_to_partners_at=when or timezone.now())
    sync_listing(listing.pk)


def offered_listing(authority, **data) -> Listing:
    with in_authority(authority):
        listing = published_listing(**data)
        offer(listing)
    return listing


# --- Rows written directly ------------------------------------------------------------

KEY_SECRET = "secret-de-test-du-partenaire"


class PartnerFactory(factory.django.DjangoModelFactory):
    """A ressourcerie of the Vienne (86) with a valid SIRET."""

    class Meta:
        model = Partner

    legal_name = factory.Sequence(lambda n: f"Recyclerie n°{n}")
    kind = PartnerKind.RESSOURCERIE
    # Far from the numbers `partner()` counts through: the two never share a SIRET.
    siret = factory.Sequence(lambda n: siret(5_000_000 + n))
    contact_name = "Camille Martin"
    contact_email = factory.Sequence(lambda n: f"contact{n}@recyclerie.example")
    departements = factory.LazyFunction(lambda: ["86"])


class PartnerGrantFactory(factory.django.DjangoModelFactory):
    """An authority's grant of every scope, accepted by the partner. Pass `authority`;
    `accepted_at=None` for one the partner has not accepted."""

    class Meta:
        model = PartnerGrant

    partner = factory.SubFactory(PartnerFactory)
    scopes = factory.LazyFunction(lambda: list(ALL_SCOPES))
    granted_by = factory.LazyAttribute(lambda grant: f"admin@{grant.authority.slug}.example")
    accepted_at = factory.LazyFunction(timezone.now)
    accepted_by = factory.LazyAttribute(lambda grant: grant.partner.contact_email)


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """A partner-wide key (operator-issued) unless `grant` and `authority` are given.
    Its full key, as the partner sends it, is `f"{key.prefix}.{KEY_SECRET}"`."""

    class Meta:
        model = ApiKey

    class Params:
        secret = KEY_SECRET

    partner = factory.SubFactory(PartnerFactory)
    name = "Logiciel de stock"
    prefix = factory.Sequence(lambda n: f"cr_{n:010x}")
    secret_hash = factory.LazyAttribute(lambda key: keys.digest(key.secret))
    created_by = "operateur@collectivrecup.example"


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    partner = factory.SubFactory(PartnerFactory)
    url = factory.Sequence(lambda n: f"https://recyclerie.example/hooks/{n}")
    secret = "whsec-partenaire-0123456789abcdef"


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    """An event queued for an endpoint, not sent yet. Pass `authority`."""

    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event = WebhookEvent.LISTING_OFFERED
    payload = factory.LazyFunction(lambda: {"title": "Chaises empilables"})


class PartnerRequestFactory(factory.django.DjangoModelFactory):
    """A partner asks for a listing (pending). Pass `authority` and `listing_id`."""

    class Meta:
        model = PartnerRequest

    partner = factory.SubFactory(PartnerFactory)
    message = "Pour notre atelier"
