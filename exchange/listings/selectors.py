"""Reads on listings: feed and search, personal lists, moderation queue, figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from analytics import selectors as fact_selectors
from analytics.models import ReferenceItem
from core.cache import cached
from exchange.listings.models import (
    CATEGORIES_CACHE,
    SEARCH_CONFIG,
    SETTINGS_CACHE,
    Category,
    ClosureReason,
    ContactRequest,
    ExchangeSettings,
    Listing,
    ListingPhoto,
    ListingStatus,
    Transfer,
    WantedRequest,
)
from exchange.listings.permissions import can_see_every_status, is_held_by_someone_else
from tenants.models import Authority

SORTS = {
    "recent": ("-published_at", "-id"),
    "oldest": ("published_at", "id"),
    "title": ("title", "id"),
}


def exchange_settings() -> ExchangeSettings:
    """The authority's settings row (a read: never writes).

    The row is created when the authority is provisioned (`ensure_exchange_settings`,
    called by `seed_categories`, exchange.listings.services; a data migration for older
    authorities). Should it be missing all the same, the defaults are returned unsaved
    (pk 1, so that saving the settings form creates the row).

    Read through the per-authority cache (core.cache; ExchangeSettings.save() and
    delete() invalidate it): each call returns its own copy."""
    return cached(SETTINGS_CACHE, _read_exchange_settings)


def _read_exchange_settings() -> ExchangeSettings:
    return ExchangeSettings.objects.filter(pk=1).first() or ExchangeSettings(pk=1)


@dataclass
class FeedFilters:
    q: str = ""
    category: int | None = None
    service: int | None = None
    site: int | None = None
    condition: str = ""
    published_since: date | None = None
    sort: str = "recent"


def _with_cards(queryset: QuerySet[Listing]) -> QuerySet[Listing]:
    """What a listing card shows, in a fixed number of queries."""
    return queryset.select_related("category__parent", "service", "site").prefetch_related(
        "photos")


# What a card shows (exchange/listings/_cards.html), and no more: the rows are read and
# turned into objects for every card of every feed page.
CARD_FIELDS = ("title", "category__name", "quantity", "condition", "reserved_for",
               "service__name", "site__name", "published_at", "status")


def feed_cards(listings: QuerySet[Listing]) -> QuerySet[Listing]:
    """`listings` with what a card of the feed shows, in ONE query: the category, the
    service and the site joined, `card_photo_id` (the first photo, as
    `listing.photos.all|first` would give, or None) and `quantity_left` annotated, only
    the columns a card shows (CARD_FIELDS: any other is read by one query per card),
    and no photo prefetch (a card shows one thumbnail only)."""
    first_photo = (ListingPhoto.objects.filter(listing=OuterRef("pk"))
                   .order_by("position", "id").values("pk")[:1])
    return with_quantity_left(
        listings.prefetch_related(None).select_related(None)
        .select_related("category", "service", "site").only(*CARD_FIELDS)
        .annotate(card_photo_id=Subquery(first_photo)))


def published_listings(filters: FeedFilters | None = None) -> QuerySet[Listing]:
    """The feed: published listings, searched in French without accents, filtered, sorted.

    A family in `category` matches its item types too.
    """
    return _filtered(Listing.objects.filter(status=ListingStatus.PUBLISHED),
                     filters or FeedFilters())


def _filtered(listings: QuerySet[Listing], filters: FeedFilters) -> QuerySet[Listing]:
    """Search (French, accent-insensitive, stemmed), filter and sort `listings`."""
    if filters.q.strip():
        query = SearchQuery(filters.q.strip(), config=SEARCH_CONFIG, search_type="websearch")
        listings = listings.filter(search_vector=query).annotate(
            rank=SearchRank(F("search_vector"), query))
    if filters.category:
        listings = listings.filter(Q(category_id=filters.category)
                                   | Q(category__parent_id=filters.category))
    if filters.service:
        listings = listings.filter(service_id=filters.service)
    if filters.site:
        listings = listings.filter(site_id=filters.site)
    if filters.condition:
        listings = listings.filter(condition=filters.condition)
    if filters.published_since:
        listings = listings.filter(published_at__gte=timezone.make_aware(
            datetime.combine(filters.published_since, time.min)))
    order = SORTS.get(filters.sort, SORTS["recent"])
    if filters.q.strip() and filters.sort == "relevance":
        order = ("-rank", "-published_at")
    return _with_cards(listings).order_by(*order)


def listings_visible_to(user, filters: FeedFilters | None = None,
                        status: str = "") -> QuerySet[Listing]:
    """Listings a member may list (the API's list): published ones plus the member's own
    in any status; moderators see every status. Searched and filtered like the feed,
    with `quantity_left` annotated."""
    listings = Listing.objects.all()
    if not can_see_every_status(user):
        listings = listings.filter(Q(status=ListingStatus.PUBLISHED) | Q(poster_id=user.pk))
    if status:
        listings = listings.filter(status=status)
    return with_quantity_left(_filtered(listings, filters or FeedFilters()))


def with_quantity_left(listings: QuerySet[Listing]) -> QuerySet[Listing]:
    """Annotate `quantity_left` (quantity minus the items already transferred) in the
    same query, as services.closure.quantity_left computes it for one listing."""
    given = (Transfer.objects.filter(listing=OuterRef("pk")).values("listing")
             .annotate(total=Sum("quantity")).values("total"))
    return listings.annotate(
        quantity_left=F("quantity") - Coalesce(Subquery(given), Value(0)))


def listings_of(user) -> QuerySet[Listing]:
    return _with_cards(Listing.objects.filter(poster=user)).annotate(
        contact_count=Count("contacts")).order_by("-created_at")


def moderation_queue() -> QuerySet[Listing]:
    return _with_cards(Listing.objects.filter(status=ListingStatus.PENDING)).select_related(
        "poster", "held_by").order_by("submitted_at", "id")


def status_counts() -> dict[str, int]:
    counts = dict(Listing.objects.values_list("status").annotate(n=Count("id")))
    return {status: counts.get(status, 0) for status in ListingStatus.values}


def contacts_on(listing: Listing) -> QuerySet[ContactRequest]:
    return listing.contacts.select_related("sender__service").order_by("-created_at")


def visible_categories() -> QuerySet[Category]:
    rules = exchange_settings()
    categories = Category.objects.filter(is_hidden=False).select_related("parent")
    if not rules.it_enabled:
        categories = categories.exclude(kind="it")
    if not rules.appliances_enabled:
        categories = categories.exclude(kind="appliance")
    return categories.exclude(parent__is_hidden=True)


@dataclass(frozen=True)
class CategoryOption:
    """A visible category as the forms' <select>s offer it (plain data: cached)."""

    pk: int
    name: str
    parent_id: int | None
    parent_name: str


def visible_category_options() -> tuple[CategoryOption, ...]:
    """`visible_categories()` as plain data, in its order, from the per-authority cache
    (core.cache; Category's and ExchangeSettings' writes invalidate it): the category
    <select> of the feed, the listing form and the saved searches."""
    return cached(CATEGORIES_CACHE, lambda: tuple(
        CategoryOption(pk=c.pk, name=c.name, parent_id=c.parent_id,
                       parent_name=c.parent.name if c.parent_id else "")
        for c in visible_categories()))


def _lexemes(texts: list[str]) -> list[set[str]]:
    """The words of each text as the French search configuration reduces them
    (accents dropped, stemmed: « Écrans » and « ecran » give the same word), one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tsvector_to_array(to_tsvector(%s::regconfig, t)) "
            "FROM unnest(%s::text[]) WITH ORDINALITY AS x(t, i) ORDER BY i",
            [SEARCH_CONFIG, texts])
        return [set(row[0]) for row in cursor.fetchall()]


def suggest_category(title: str) -> CategoryOption | None:
    """The item type a listing titled `title` most likely belongs to, among the visible
    ones, from the words its name and its reference item's label share with the title
    (accents and plurals ignored); None when no word matches. A suggestion for the
    agent to confirm, never applied by itself.

    Scoring: a word of the item type's name counts twice a word of its reference
    label only, and the title's first word twice the others; ties go to the shorter
    name, then to the usual order."""
    title = " ".join(title.split())[:120]
    items = [option for option in visible_category_options() if option.parent_id is not None]
    if not title or not items:
        return None
    codes = dict(Category.objects.filter(pk__in=[o.pk for o in items])
                 .values_list("pk", "reference_code"))
    labels = dict(ReferenceItem.objects.filter(code__in=[c for c in codes.values() if c])
                  .values_list("code", "label_fr"))
    # French puts the noun first (« Chaises de bureau », « Écran 24 pouces »): the
    # title's first word that is not a stop word weighs more.
    title_words = title.split()[:20]
    words = _lexemes([*title_words, *(o.name for o in items),
                      *(labels.get(codes.get(o.pk), "") for o in items)])
    per_word, words = words[:len(title_words)], words[len(title_words):]
    names, references = words[:len(items)], words[len(items):]
    title_lexemes = set().union(*per_word)
    if not title_lexemes:
        return None
    first = next(iter(next(w for w in per_word if w)))

    def score(index: int) -> tuple[int, int, int]:
        points = 0
        for word in title_lexemes:
            weight = 2 if word == first else 1
            if word in names[index]:
                points += 2 * weight
            elif word in references[index]:
                points += weight
        return points, -len(names[index]), -index

    best = max(range(len(items)), key=score)
    return items[best] if score(best)[0] > 0 else None


def category_tree() -> list[Category]:
    """The families, each with its item types (`children`), every item type with the
    label of its reference item (`reference_label`, "" when unknown): two queries."""
    families = list(Category.objects.filter(parent=None).prefetch_related("children"))
    references = dict(ReferenceItem.objects.values_list("code", "label_fr"))
    for family in families:
        for item in family.children.all():
            item.reference_label = references.get(item.reference_code, "")
    return families


def reference_item_of(category: Category) -> ReferenceItem | None:
    """The reference item an item type stands for (None for a family)."""
    if not category.reference_code:
        return None
    return ReferenceItem.objects.filter(code=category.reference_code).first()


def receiving_authority(transfer: Transfer) -> Authority | None:
    """The authority of the platform `transfer` went to, if any (its record names it)."""
    if not transfer.recipient_authority_slug:
        return None
    return Authority.objects.filter(slug=transfer.recipient_authority_slug).first()


def active_wanted_requests() -> QuerySet[WantedRequest]:
    return WantedRequest.objects.filter(is_active=True).select_related(
        "author__service", "category")


@dataclass
class Figures:
    """What the moderators' dashboard and the API summary show for a period."""
    listings_posted: int
    listings_exchanged: int
    value_exchanged_eur: Decimal
    weight_avoided_kg: Decimal
    co2e_avoided_kg: Decimal
    by_status: dict[str, int]


def moderator_figures(authority, start: date, end: date) -> Figures:
    """Figures over [start, end] (dates included), inside `authority`'s schema.

    Where each number comes from:
    - listings that found a taker, € given, kg and kg CO2e avoided:
      `analytics.selectors.period_totals`, the statistics facts the report also reads
      (a listing "found a taker" when at least one of its items was given to a service,
      an authority or a partner; transfers awaiting a moderator's confirmation do not
      count);
    - listings posted: the report's definition (`listings_posted_by_month`: submitted
      for review in the period), read from the listings (facts hold transfers only);
    - by_status: how many listings are in each status today, read from the listings
      (a count of listings, not a figure of transfers)."""
    totals = fact_selectors.period_totals(authority, start, end,
                                          listings_posted_by_month(start, end))
    return Figures(**totals, by_status=status_counts())


# --- What the statistics read from the listings (analytics.sources) ------------------
# The facts hold transfers, never listings nor people: these few figures come from the
# listings of the current schema (call them inside the authority's schema).

# Reasons whose items were reused (the facts' reuse destinations).
REUSE_REASONS = (ClosureReason.EXCHANGED_INTERNAL, ClosureReason.EXCHANGED_OTHER_AUTHORITY,
                 ClosureReason.GIVEN_TO_PARTNER)


def listings_posted_by_month(start: date, end: date) -> dict[date, int]:
    """Listings posted per month of [start, end]: submitted for review (submitted_at,
    Europe/Paris date, in the period) and not back to draft. Keys: first days of month."""
    rows = (Listing.objects.filter(submitted_at__date__range=(start, end))
            .exclude(status=ListingStatus.DRAFT)
            .annotate(month=TruncMonth("submitted_at")).values("month")
            .annotate(count=Count("id")).order_by())
    counts: dict[date, int] = {}
    for row in rows:
        month = row["month"]
        month = month.date() if hasattr(month, "date") else month
        counts[month] = counts.get(month, 0) + row["count"]
    return counts


def listings_published_between(start: date, end: date) -> dict[int, date]:
    """Listing id → Europe/Paris date of publication, for the listings published
    (published_at's date) in [start, end]. One query."""
    return {pk: timezone.localtime(at).date() for pk, at in Listing.objects.filter(
        published_at__date__range=(start, end)).values_list("id", "published_at")}


def publication_dates(listing_ids: list[int]) -> dict[int, date]:
    """Listing id → Europe/Paris date of publication, for those of `listing_ids` that
    were published. One query."""
    return {pk: timezone.localtime(at).date() for pk, at in Listing.objects.filter(
        pk__in=list(listing_ids), published_at__isnull=False).values_list(
        "id", "published_at")}


def reused_transfer_ids(*, poster=None, service_id: int | None = None) -> list[int]:
    """Ids of the transfers whose items were reused (REUSE_REASONS): of the listings of
    `poster`, or received by service `service_id` (exactly one of the two)."""
    if (poster is None) == (service_id is None):
        raise ValueError("Give a poster or a service id, not both.")
    transfers = (Transfer.objects.filter(listing__poster=poster) if poster is not None
                 else Transfer.objects.filter(recipient_service_id=service_id))
    return list(transfers.filter(reason__in=REUSE_REASONS).values_list("pk", flat=True))


def held_by_someone_else(listing: Listing, user):
    """The moderator holding `listing` when that is not `user` and the hold still runs
    (services refuse anyone else's decision meanwhile); None otherwise."""
    return listing.held_by if is_held_by_someone_else(user, listing) else None


# --- Agent pages ---------------------------------------------------------------------

def listings_for_pages() -> QuerySet[Listing]:
    """Listings with what their detail page shows about them (poster, photos…)."""
    return _with_cards(Listing.objects.select_related("poster"))


def events_of(listing: Listing) -> QuerySet:
    """The audit trail of a listing, oldest first."""
    return listing.events.select_related("actor").order_by("created_at", "id")


def transfers_of(listing: Listing) -> QuerySet[Transfer]:
    return listing.transfers.select_related("recipient_service").order_by("created_at", "id")


def transfers_awaiting_confirmation() -> QuerySet[Transfer]:
    """Free transfers above the legal cap that a moderator must confirm, oldest first."""
    return (Transfer.objects.filter(confirmation_required=True, confirmed_at__isnull=True)
            .select_related("listing", "actor").order_by("created_at", "id"))


def saved_searches_of(user) -> QuerySet:
    return user.saved_searches.select_related("category").order_by("-created_at")


def latest_listings(count: int = 4) -> list[Listing]:
    """The newest published listings, for the home page (as feed cards: one query)."""
    return list(feed_cards(published_listings())[:count])


def last_contact_by(listing: Listing, user) -> ContactRequest | None:
    """The member's latest "I am interested" on this listing, if any."""
    return listing.contacts.filter(sender_id=user.pk).order_by("-created_at").first()
