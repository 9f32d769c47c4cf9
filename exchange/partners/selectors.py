"""Reads of partners, grants, keys and the partner feed (public schema)."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from analytics.models import TransferFact
from exchange.catalogue.models import CatalogueEntry
from exchange.listings.models import ListingPhoto
from exchange.partners.models import (
    ApiKey,
    Partner,
    PartnerAuditEntry,
    PartnerGrant,
    PartnerRequest,
    WebhookDelivery,
)
from tenants.crossing import live_authorities
from tenants.models import Authority
from tenants.selectors import current_authority


def live_grants(today: date | None = None) -> QuerySet[PartnerGrant]:
    """Grants in force today on the authority's side: not revoked, within their
    agreement's dates (accepted by the partner or still pending)."""
    today = today or timezone.localdate()
    return PartnerGrant.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=today),
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        revoked_at__isnull=True)


def effective_grants(today: date | None = None) -> QuerySet[PartnerGrant]:
    """Grants that give access now: live, accepted by the partner, of a live authority
    (tenants.crossing.live_authorities: suspended, closed, deleted ones give nothing)."""
    return live_grants(today).filter(
        accepted_at__isnull=False,
        authority_id__in=live_authorities().order_by().values("pk"))


def readable_grants(partner: Partner, scope: str,
                    key: ApiKey | None = None) -> QuerySet[PartnerGrant]:
    """The effective grants with `scope` through which `key` (a key of `partner`) reads:
    only its own grant for a grant key; every grant of the partner for an
    operator-issued key (or no key: the partner itself, e.g. a webhook)."""
    grants = effective_grants().filter(partner=partner, scopes__contains=[scope])
    if key is not None and key.partner_id != partner.pk:
        return grants.none()
    if key is not None and key.grant_id is not None:
        grants = grants.filter(pk=key.grant_id)
    return grants


def granting_authority_ids(partner: Partner, scope: str,
                           key: ApiKey | None = None) -> list[int]:
    """Authorities whose data `key` (of `partner`) may read with `scope` now."""
    return list(readable_grants(partner, scope, key).values_list("authority_id", flat=True))


def grant_of(partner: Partner, authority: Authority, scope: str,
             key: ApiKey | None = None) -> PartnerGrant | None:
    return readable_grants(partner, scope, key).filter(authority=authority).first()


def grants_of(authority: Authority) -> QuerySet[PartnerGrant]:
    """Every grant of `authority`, live ones first, with its partner."""
    return (PartnerGrant.objects.filter(authority=authority).select_related("partner")
            .order_by(F("revoked_at").desc(nulls_first=True), "partner__legal_name",
                      "-created_at"))


def partners_granted_by(authority: Authority) -> QuerySet[Partner]:
    """Partners with an accepted live grant of `authority` (any scope): those its agents
    may give to."""
    return Partner.objects.filter(
        pk__in=live_grants().filter(authority=authority, accepted_at__isnull=False)
        .values("partner_id"))


def partners_with_open_grant(authority: Authority) -> QuerySet[Partner]:
    """Partners with an unrevoked grant of `authority`, accepted or pending: those its
    admin may create a key for (a key of a pending grant reads nothing until then)."""
    return Partner.objects.filter(
        pk__in=PartnerGrant.objects.filter(authority=authority, revoked_at__isnull=True)
        .values("partner_id"))


def keys_of(authority: Authority) -> QuerySet[ApiKey]:
    """Every key that can read `authority`'s data, or could: the keys of its grants,
    and the operator-issued keys of the partners it grants (unrevoked grants, pending
    included). One query, with partner and grant."""
    granted = PartnerGrant.objects.filter(authority=authority, revoked_at__isnull=True)
    return (ApiKey.objects
            .filter(Q(grant__authority=authority)
                    | Q(grant__isnull=True, partner_id__in=granted.values("partner_id")))
            .select_related("partner", "grant"))


def deliveries_of(authority: Authority | None, limit: int = 100) -> QuerySet[WebhookDelivery]:
    """Webhook deliveries about `authority` (None: all, for operators), newest first."""
    deliveries = WebhookDelivery.objects.select_related("endpoint__partner")
    if authority is not None:
        deliveries = deliveries.filter(authority=authority)
    return deliveries[:limit]


def audit_of(authority: Authority, limit: int = 50) -> QuerySet[PartnerAuditEntry]:
    return PartnerAuditEntry.objects.filter(authority=authority).select_related("partner")[
        :limit]


def offered_entries(partner: Partner, *, key: ApiKey | None = None, category: str = "",
                    reference_code: str = "", departement: str = "", authority_slug: str = "",
                    updated_since: datetime | None = None) -> QuerySet[CatalogueEntry]:
    """Offered catalogue entries of the authorities whose `listings:read` grant `key`
    reads through (see readable_grants), in sync order (updated_at, id), with their
    authority. Suspended, closed and deleted authorities give nothing."""
    entries = (CatalogueEntry.objects
               .filter(offered_at__isnull=False,
                       authority_id__in=granting_authority_ids(partner, "listings:read", key))
               .select_related("authority").order_by("updated_at", "id"))
    if category:
        entries = entries.filter(Q(category__iexact=category) | Q(family__iexact=category))
    if reference_code:
        entries = entries.filter(reference_code=reference_code)
    if departement:
        entries = entries.filter(authority__departement=departement)
    if authority_slug:
        entries = entries.filter(authority__slug=authority_slug)
    if updated_since is not None:
        entries = entries.filter(updated_at__gt=updated_since)
    return entries


def granted_partner_name(partner_id: int) -> str:
    """The name of partner `partner_id` if the current authority grants it access, else ""."""
    authority = current_authority()
    if authority is None:
        return ""
    partner = partners_granted_by(authority).filter(pk=partner_id).first()
    return partner.legal_name if partner else ""


def partner_by_id(partner_id: int) -> Partner | None:
    """Partner `partner_id`, granted or not (a transfer record names it for good)."""
    return Partner.objects.filter(pk=partner_id).first()


# No € here: the issue allows no € value in any partner response, and the sum of one
# transfer would be one listing's value.
FIGURES = ("items", "weight_kg", "weight_avoided_kg", "co2e_avoided_kg")


def partner_stats(authority_ids: list[int], start: date | None = None,
                  end: date | None = None) -> list[dict]:
    """Aggregates of the facts of `authority_ids` (three queries whatever their number):
    per authority, totals, by destination and by item type. Never a single listing."""
    facts = TransferFact.objects.filter(authority_id__in=authority_ids).order_by()
    if start:
        facts = facts.filter(date__gte=start)
    if end:
        facts = facts.filter(date__lte=end)
    sums = {"items": Sum("quantity"), "weight_kg": Sum("weight_kg"),
            "weight_avoided_kg": Sum("weight_avoided_kg"),
            "co2e_avoided_kg": Sum("co2e_avoided_kg")}
    zero = dict.fromkeys(FIGURES, 0)
    authorities = Authority.objects.filter(pk__in=authority_ids).order_by("slug")
    result = {a.pk: {"authority": a, "totals": dict(zero), "by_destination": [],
                     "by_category": []} for a in authorities}
    for row in facts.values("authority_id", "destination").annotate(**sums).order_by(
            "authority_id", "destination"):
        figures = {name: row[name] or 0 for name in FIGURES}
        entry = result[row["authority_id"]]
        entry["by_destination"].append({"destination": row["destination"], **figures})
        for name in FIGURES:
            entry["totals"][name] += figures[name]
    for row in facts.values("authority_id", "family", "category", "reference_code").annotate(
            **sums).order_by("authority_id", "family", "category"):
        result[row["authority_id"]]["by_category"].append(
            {"family": row["family"], "category": row["category"],
             "reference_code": row["reference_code"],
             **{name: row[name] or 0 for name in FIGURES}})
    return list(result.values())


def after_cursor(entries: QuerySet[CatalogueEntry], updated_at: datetime,
                 pk: int) -> QuerySet[CatalogueEntry]:
    """Entries strictly after (updated_at, pk) in sync order (keyset pagination)."""
    return entries.filter(Q(updated_at__gt=updated_at) | Q(updated_at=updated_at, pk__gt=pk))


def donation_agreement(authority: Authority, partner_id: int) -> PartnerGrant | None:
    """The accepted grant under which `authority` gives to partner `partner_id` today
    (its agreement PDF, reference and dates), for the transfer record of a donation."""
    return (live_grants().filter(authority=authority, partner_id=partner_id,
                                 accepted_at__isnull=False)
            .select_related("partner").first())


def requests_to(authority: Authority, limit: int = 50) -> QuerySet:
    """The partners' latest requests for `authority`'s listings, with their partner."""
    return (PartnerRequest.objects.filter(authority=authority).select_related("partner")
            [:limit])


def offered_photo_name(partner: Partner, authority: Authority, listing_id: int,
                       photo_id: int, size: str, key: ApiKey | None = None) -> str | None:
    """The stored file of a photo of an offered listing `key` may read (scope
    `listings:read` from `authority`), or None. `size` is "full" or "thumb".
    Call it inside `in_authority(authority, ground=PartnerGrantGround(...))`."""
    if not CatalogueEntry.objects.filter(authority=authority, listing_id=listing_id,
                                         offered_at__isnull=False,
                                         photo_ids__contains=[photo_id]).exists():
        return None
    photo = ListingPhoto.objects.filter(pk=photo_id, listing_id=listing_id).first()
    if photo is None:
        return None
    return (photo.image if size == "full" else photo.thumbnail).name
