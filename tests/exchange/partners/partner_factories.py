"""Partners, grants and keys for tests (public schema), made through the services."""

from __future__ import annotations

import itertools

from django.utils import timezone

from exchange.listings.models import Listing
from exchange.listings.projections import sync_listing
from exchange.partners import services
from exchange.partners.models import Partner, Scope
from tests.conftest import in_authority

ALL_SCOPES = [Scope.LISTINGS_READ, Scope.LISTINGS_REQUEST, Scope.STATS_READ]
_sirets = itertools.count(1)


def siret(n: int) -> str:
    """A valid SIRET built from `n`: its SIREN (first 9 digits) and the whole number
    both pass the Luhn check, as python-stdnum's SIRET check requires."""
    from tenants.validators import luhn_is_valid as luhn_valid

    siren_head = f"7{n % 10**7:07d}"  # 8 digits, whatever n
    siren = next(siren_head + str(d) for d in range(10) if luhn_valid(siren_head + str(d)))
    base = siren + "0001"
    return next(base + str(digit) for digit in range(10) if luhn_valid(base + str(digit)))


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
    from tests.exchange.factories import published_listing

    with in_authority(authority):
        listing = published_listing(**data)
        offer(listing)
    return listing
