"""Reads of partners, grants, keys and the partner feed (public schema)."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from exchange.catalogue.models import CatalogueEntry
from tenants.models import Authority

from .models import ApiKey, Partner, PartnerAuditEntry, PartnerGrant, WebhookDelivery


def live_grants(today: date | None = None) -> QuerySet[PartnerGrant]:
    """Grants in force today: not revoked, within their agreement's dates."""
    today = today or timezone.localdate()
    return PartnerGrant.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=today),
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        revoked_at__isnull=True)


def granting_authority_ids(partner: Partner, scope: str) -> list[int]:
    """Authorities that grant `scope` to `partner` today."""
    return list(live_grants().filter(partner=partner, scopes__contains=[scope])
                .values_list("authority_id", flat=True))


def grant_of(partner: Partner, authority: Authority, scope: str) -> PartnerGrant | None:
    return (live_grants().filter(partner=partner, authority=authority,
                                 scopes__contains=[scope]).first())


def grants_of(authority: Authority) -> QuerySet[PartnerGrant]:
    """Every grant of `authority`, live ones first, with its partner."""
    return (PartnerGrant.objects.filter(authority=authority).select_related("partner")
            .order_by(F("revoked_at").desc(nulls_first=True), "partner__legal_name",
                      "-created_at"))


def partners_granted_by(authority: Authority) -> QuerySet[Partner]:
    """Partners with a live grant of `authority` (any scope): those its agents may give to."""
    return Partner.objects.filter(
        pk__in=live_grants().filter(authority=authority).values("partner_id"))


def keys_of(authority: Authority) -> QuerySet[ApiKey]:
    """Keys created by `authority`'s admins."""
    return ApiKey.objects.filter(authority=authority).select_related("partner")


def deliveries_of(authority: Authority | None, limit: int = 100) -> QuerySet[WebhookDelivery]:
    """Webhook deliveries about `authority` (None: all, for operators), newest first."""
    deliveries = WebhookDelivery.objects.select_related("endpoint__partner")
    if authority is not None:
        deliveries = deliveries.filter(authority=authority)
    return deliveries[:limit]


def audit_of(authority: Authority, limit: int = 50) -> QuerySet[PartnerAuditEntry]:
    return PartnerAuditEntry.objects.filter(authority=authority).select_related("partner")[
        :limit]


def offered_entries(partner: Partner, *, category: str = "", reference_code: str = "",
                    departement: str = "", authority_slug: str = "",
                    updated_since: datetime | None = None) -> QuerySet[CatalogueEntry]:
    """Offered catalogue entries of the authorities granting `listings:read` to `partner`,
    in sync order (updated_at, id), with their authority."""
    entries = (CatalogueEntry.objects
               .filter(offered_at__isnull=False,
                       authority_id__in=granting_authority_ids(partner, "listings:read"))
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
    from tenants.selectors import current_authority

    authority = current_authority()
    if authority is None:
        return ""
    partner = partners_granted_by(authority).filter(pk=partner_id).first()
    return partner.legal_name if partner else ""


# No € here: the issue allows no € value in any partner response, and the sum of one
# transfer would be one listing's value.
FIGURES = ("items", "weight_kg", "weight_avoided_kg", "co2e_avoided_kg")


def partner_stats(authority_ids: list[int], start: date | None = None,
                  end: date | None = None) -> list[dict]:
    """Aggregates of the facts of `authority_ids` (three queries whatever their number):
    per authority, totals, by destination and by item type. Never a single listing."""
    from django.db.models import Sum

    from analytics.models import TransferFact

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
    """The grant under which `authority` gives to partner `partner_id` today (its
    agreement PDF, reference and dates), for the transfer record of a donation."""
    return (live_grants().filter(authority=authority, partner_id=partner_id)
            .select_related("partner").first())


def requests_to(authority: Authority, limit: int = 50) -> QuerySet:
    """The partners' latest requests for `authority`'s listings, with their partner."""
    from .models import PartnerRequest

    return (PartnerRequest.objects.filter(authority=authority).select_related("partner")
            [:limit])


def offered_photo_name(partner: Partner, authority: Authority, listing_id: int,
                       photo_id: int, size: str) -> str | None:
    """The stored file of a photo of an offered listing the partner may read (scope
    `listings:read` from `authority`), or None. `size` is "full" or "thumb"."""
    from django_tenants.utils import schema_context

    from exchange.models import ListingPhoto

    if grant_of(partner, authority, "listings:read") is None:
        return None
    if not CatalogueEntry.objects.filter(authority=authority, listing_id=listing_id,
                                         offered_at__isnull=False,
                                         photo_ids__contains=[photo_id]).exists():
        return None
    with schema_context(authority.schema_name):
        photo = ListingPhoto.objects.filter(pk=photo_id, listing_id=listing_id).first()
        if photo is None:
            return None
        return (photo.image if size == "full" else photo.thumbnail).name
