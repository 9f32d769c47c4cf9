"""Reads on sharing. `sharing_partners_of` is THE rule of who sees whom: pages, the API,
search, photos and contacts all go through it (and through `shared_entries_for`)."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import Exists, F, Q, QuerySet
from django.utils import timezone

from exchange.catalogue.models import CatalogueEntry
from exchange.catalogue.selectors import live_entries
from exchange.listings.models import SEARCH_CONFIG, Category
from exchange.listings.selectors import SORTS, FeedFilters
from exchange.sharing.models import (
    AgreementStatus,
    MembershipStatus,
    NetworkMembership,
    SharingAgreement,
    SharingEvent,
    SharingNetwork,
)
from tenants.crossing import live_authorities
from tenants.models import Authority


def sharing_partners_of(authority: Authority) -> QuerySet[Authority]:
    """Authorities whose shared listings `authority`'s agents may see: an active
    agreement with it, or a network where both are members; both sides live now
    (tenants.crossing.live_authorities: trial or active, data not deleted), so a
    suspended, closed or deleted authority neither sees nor is seen. A lazy queryset:
    used as a subquery it adds no round trip."""
    active = SharingAgreement.objects.filter(status=AgreementStatus.ACTIVE)
    networks = NetworkMembership.objects.filter(
        authority=authority, status=MembershipStatus.MEMBER).values("network")
    return (live_authorities().filter(
        Q(pk__in=active.filter(recipient=authority).values("proposer"))
        | Q(pk__in=active.filter(proposer=authority).values("recipient"))
        | Q(pk__in=NetworkMembership.objects.filter(
            network__in=networks, status=MembershipStatus.MEMBER).values("authority")))
        .exclude(pk=authority.pk)
        .filter(Exists(live_authorities().filter(pk=authority.pk))).order_by("name"))


def shares_with(viewer: Authority, owner: Authority) -> bool:
    return sharing_partners_of(viewer).filter(pk=owner.pk).exists()


def shared_entries_for(authority: Authority) -> QuerySet[CatalogueEntry]:
    """The shared feed of `authority`: published shared listings of its partners.

    The partners' ids are read first (one small query, at every call: an agreement that
    ends hides at once) and passed as a list: PostgreSQL then knows how many partners
    there are and plans the search and the count well (as a subquery it guessed 2
    partners out of 100 and ran the full-text search once per partner: 390 ms → ms)."""
    partner_ids = list(sharing_partners_of(authority).values_list("pk", flat=True))
    return (live_entries().filter(is_shared=True, authority_id__in=partner_ids)
            .select_related("authority"))


def shared_entry(viewer: Authority, owner_slug: str, listing_id: int) -> CatalogueEntry | None:
    """One entry of the viewer's shared feed, or None (not shared, not a partner…)."""
    return shared_entries_for(viewer).filter(authority__slug=owner_slug,
                                             listing_id=listing_id).first()


def agreements_of(authority: Authority) -> QuerySet[SharingAgreement]:
    return (SharingAgreement.objects.filter(Q(proposer=authority) | Q(recipient=authority))
            .select_related("proposer", "recipient"))


def networks_of(authority: Authority) -> QuerySet[NetworkMembership]:
    """The authority's memberships (invited, member…), with their network's members."""
    return (NetworkMembership.objects.filter(authority=authority)
            .select_related("network").prefetch_related("network__memberships__authority")
            .order_by("network__name"))


def proposable_authorities(authority: Authority) -> QuerySet[Authority]:
    """Authorities `authority` could propose to share with: live, not itself, without a
    proposed or active agreement with it."""
    live = SharingAgreement.objects.filter(
        status__in=[AgreementStatus.PROPOSED, AgreementStatus.ACTIVE])
    return (live_authorities().exclude(pk=authority.pk)
            .exclude(pk__in=live.filter(proposer=authority).values("recipient"))
            .exclude(pk__in=live.filter(recipient=authority).values("proposer"))
            .order_by("name"))


def events_of(authority: Authority, limit: int = 50) -> QuerySet[SharingEvent]:
    return (SharingEvent.objects.filter(Q(authority=authority) | Q(other_authority=authority))
            .select_related("authority", "other_authority", "network")[:limit])


def network_members(network: SharingNetwork) -> QuerySet[NetworkMembership]:
    return network.memberships.select_related("authority")


# --- The shared feed ("Autres collectivités") -----------------------------------------

def shared_feed(authority: Authority, filters=None,
                owner_slug: str = "") -> QuerySet[CatalogueEntry]:
    """The viewer's shared feed, searched and filtered like its own feed (French FTS
    without accents, category or family, condition, published since, sort) and by
    owner authority. Categories are matched by name: every authority's tree is seeded
    from the same reference items."""
    filters = filters or FeedFilters()
    entries = shared_entries_for(authority)
    if owner_slug:
        entries = entries.filter(authority__slug=owner_slug)
    if filters.q.strip():
        query = SearchQuery(filters.q.strip(), config=SEARCH_CONFIG, search_type="websearch")
        entries = entries.filter(search_vector=query).annotate(
            rank=SearchRank(F("search_vector"), query))
    if filters.category:
        category = Category.objects.filter(pk=filters.category).first()
        if category is None:
            return entries.none()
        entries = entries.filter(family=category.name) if category.parent_id is None else \
            entries.filter(category=category.name)
    if filters.condition:
        entries = entries.filter(condition=filters.condition)
    if filters.published_since:
        entries = entries.filter(published_at__gte=timezone.make_aware(
            datetime.combine(filters.published_since, time.min)))
    order = SORTS.get(filters.sort, SORTS["recent"])
    if filters.q.strip() and filters.sort == "relevance":
        order = ("-rank", "-published_at")
    return entries.order_by(*order)


def other_authorities(authority: Authority) -> QuerySet[Authority]:
    """Every other live authority (to invite to a network)."""
    return live_authorities().exclude(pk=authority.pk).order_by("name")
