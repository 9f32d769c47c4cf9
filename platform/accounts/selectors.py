"""Reads on accounts."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import CharField, QuerySet, Value

from accounts.models import PLACES_CACHE, AccessChange, Service, SignInRecord, Site, User
from core.cache import cached

JOURNAL_PAGE_SIZE = 50


def access_journal() -> QuerySet[AccessChange]:
    """The journal of role and access changes of the current authority, latest first.
    Every line carries its people as text: no join, whatever the page size."""
    return AccessChange.objects.order_by("-created_at", "-pk")


def single_sign_ons() -> QuerySet[SignInRecord]:
    """ProConnect sign-in attempts that reached this authority, latest first (people as
    text, no join)."""
    return SignInRecord.objects.order_by("-created_at", "-pk")


def members_with_role(role: str, *, include_inactive: bool = False) -> QuerySet[User]:
    """The accounts of the current schema that hold `role` (active ones unless
    `include_inactive`), ordered by e-mail: who to notify, list or count. Choosing
    people is a read, not a permission decision (those are accounts.permissions)."""
    members = User.objects.filter(roles__contains=[role])
    if not include_inactive:
        members = members.filter(is_active=True)
    return members.order_by("email")


def addresses_of_role(role: str) -> list[str]:
    """The e-mail addresses of the current schema's active holders of `role`."""
    return list(members_with_role(role).values_list("email", flat=True))


@dataclass(frozen=True)
class PlaceChoices:
    """Every service and site of the authority as (id, name), by name: what the
    filters of the feed offer (inactive ones included: their listings remain)."""

    services: tuple[tuple[int, str], ...]
    sites: tuple[tuple[int, str], ...]


def place_choices() -> PlaceChoices:
    """The authority's services and sites, from the per-authority cache (core.cache;
    accounts.models invalidates it on every write), read in one query on a miss."""
    return cached(PLACES_CACHE, _read_place_choices)


def _read_place_choices() -> PlaceChoices:
    services = Service.objects.annotate(kind=Value("service", output_field=CharField()))
    sites = Site.objects.annotate(kind=Value("site", output_field=CharField()))
    rows = services.values_list("kind", "pk", "name").union(
        sites.values_list("kind", "pk", "name"), all=True).order_by("name", "pk")
    found: dict[str, list[tuple[int, str]]] = {"service": [], "site": []}
    for kind, pk, name in rows:
        found[kind].append((pk, name))
    return PlaceChoices(services=tuple(found["service"]), sites=tuple(found["site"]))
