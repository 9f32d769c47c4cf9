"""Six-monthly weight campaigns (issue 5, item 3): every write about them.

On 1 January and 1 July, `open_campaign` creates the campaign of the semester just
ended for an authority and mails its moderators (after commit). While open, its lines
follow the facts (`sync_lines`); moderators correct lines or category totals and
validate. A validated campaign is locked: a late transfer, a recomputed fact (rebuild
with new factors) or a moderator's correction becomes a WeightAdjustment (who, when,
before/after), and reports show the validated and the current figure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.models import (
    REUSE_DESTINATIONS,
    AdjustmentKind,
    CampaignStatus,
    TransferFact,
    WeightAdjustment,
    WeightCampaign,
    WeightCampaignCategory,
    WeightCampaignLine,
)
from analytics.notifications import campaign_opened
from tenants.crossing import OwnWork, in_authority
from tenants.models import Authority

log = logging.getLogger(__name__)
ZERO = Decimal("0.000")
SYSTEM = "system"


class CampaignError(Exception):
    """A refused campaign action; the message is for the user (French via gettext)."""


def semester_of(day: date) -> tuple[int, int]:
    return day.year, 1 if day.month <= 6 else 2


def previous_semester(today: date) -> tuple[int, int]:
    """The semester that ended before `today`'s (1 July → S1; 1 January → last S2)."""
    year, semester = semester_of(today)
    return (year - 1, 2) if semester == 1 else (year, 1)


def _semester_facts(campaign: WeightCampaign):
    return TransferFact.objects.filter(
        authority_id=campaign.authority_id, date__range=(campaign.start, campaign.end),
        destination__in=REUSE_DESTINATIONS).order_by()


def open_campaign(authority: Authority, year: int, semester: int) -> tuple[WeightCampaign, bool]:
    """The campaign of (year, semester), created with its lines when missing. Mails the
    moderators after commit when it is created. Idempotent (a second run does nothing)."""
    with transaction.atomic():
        campaign, created = WeightCampaign.objects.get_or_create(
            authority=authority, year=year, semester=semester)
        if created:
            sync_lines(campaign)
            transaction.on_commit(lambda: _notify(authority, campaign.pk))
    return campaign, created


def _notify(authority: Authority, campaign_id: int) -> None:
    try:
        with in_authority(authority, ground=OwnWork("weight campaign e-mail")):
            campaign_opened(WeightCampaign.objects.get(pk=campaign_id))
    except Exception:  # after commit: the campaign exists; the page shows it anyway
        log.exception("Could not mail the moderators about campaign %s", campaign_id)


def sync_lines(campaign: WeightCampaign) -> None:
    """Bring an open campaign's lines in line with the semester's reused facts (new
    facts added, estimates refreshed, vanished transfers removed; corrections kept)."""
    if campaign.is_locked:
        return
    facts = {f.transfer_id: f for f in _semester_facts(campaign).only(
        "transfer_id", "category", "quantity", "weight_avoided_kg")}
    lines = {line.transfer_id: line for line in campaign.lines.all()}
    to_create, to_update = [], []
    for transfer_id, fact in facts.items():
        line = lines.get(transfer_id)
        if line is None:
            to_create.append(WeightCampaignLine(
                campaign=campaign, transfer_id=transfer_id, category=fact.category,
                quantity=fact.quantity, estimated_kg=fact.weight_avoided_kg))
        elif (line.estimated_kg, line.category, line.quantity) != (
                fact.weight_avoided_kg, fact.category, fact.quantity):
            line.estimated_kg, line.category, line.quantity = (
                fact.weight_avoided_kg, fact.category, fact.quantity)
            to_update.append(line)
    WeightCampaignLine.objects.bulk_create(to_create, batch_size=1000)
    WeightCampaignLine.objects.bulk_update(to_update, ["estimated_kg", "category", "quantity"],
                                           batch_size=1000)
    campaign.lines.exclude(transfer_id__in=list(facts)).delete()
    existing = set(campaign.categories.values_list("category", flat=True))
    WeightCampaignCategory.objects.bulk_create([
        WeightCampaignCategory(campaign=campaign, category=category)
        for category in {f.category for f in facts.values()} - existing])


@dataclass
class CategoryFigures:
    category: str
    lines: list
    lines_kg: Decimal
    corrected_total_kg: Decimal | None
    validated_kg: Decimal | None
    adjustments_kg: Decimal

    @property
    def weight_kg(self) -> Decimal:
        """The figure of the category while open: its corrected total, or its lines."""
        return self.corrected_total_kg if self.corrected_total_kg is not None \
            else self.lines_kg

    @property
    def current_kg(self) -> Decimal:
        """After validation: the validated figure plus its adjustments."""
        base = self.validated_kg if self.validated_kg is not None else self.weight_kg
        return base + self.adjustments_kg


def category_figures(campaign: WeightCampaign) -> list[CategoryFigures]:
    """The campaign grouped by category (three queries)."""
    lines: dict[str, list] = {}
    for line in campaign.lines.all():
        lines.setdefault(line.category, []).append(line)
    adjustments = dict(campaign.adjustments.values("category").annotate(
        total=Sum("after_kg") - Sum("before_kg")).values_list("category", "total"))
    result = []
    for row in campaign.categories.all():
        rows = lines.get(row.category, [])
        result.append(CategoryFigures(
            row.category, rows, sum((line.weight_kg for line in rows), ZERO),
            row.corrected_total_kg, row.validated_kg,
            adjustments.get(row.category) or ZERO))
    for category in sorted(set(adjustments) - {r.category for r in result}):
        result.append(CategoryFigures(category, [], ZERO, None, ZERO,
                                      adjustments[category] or ZERO))
    return result


def _locked(campaign: WeightCampaign) -> WeightCampaign:
    return WeightCampaign.objects.select_for_update().get(pk=campaign.pk)


def correct_line(campaign: WeightCampaign, transfer_id: int, weight_kg: Decimal | None,
                 actor) -> None:
    """Correct one line's weight (None: back to the estimate). Open campaigns only."""
    with transaction.atomic():
        if _locked(campaign).is_locked:
            raise CampaignError(_("This semester is validated: record a correction instead."))
        updated = campaign.lines.filter(transfer_id=transfer_id).update(corrected_kg=weight_kg)
        if not updated:
            raise CampaignError(_("This transfer is not part of the campaign."))


def correct_category(campaign: WeightCampaign, category: str, total_kg: Decimal | None,
                     actor) -> None:
    """Set a category total (None: back to the sum of its lines). On a validated
    campaign, records a correction adjustment instead (before/after, who, when)."""
    with transaction.atomic():
        campaign = _locked(campaign)
        row = campaign.categories.filter(category=category).first()
        if row is None:
            raise CampaignError(_("This category is not part of the campaign."))
        if not campaign.is_locked:
            row.corrected_total_kg = total_kg
            row.save(update_fields=["corrected_total_kg"])
            return
        if total_kg is None:
            raise CampaignError(_("Enter the corrected total in kg."))
        current = next(f.current_kg for f in category_figures(campaign)
                       if f.category == category)
        if total_kg != current:
            WeightAdjustment.objects.create(
                campaign=campaign, kind=AdjustmentKind.CORRECTION, category=category,
                before_kg=current, after_kg=total_kg, actor_id=actor.pk, actor=actor.email)


def validate(campaign: WeightCampaign, actor) -> WeightCampaign:
    """Lock the campaign: each category's figure and the total become the validated
    ones; from now on changes are adjustments."""
    with transaction.atomic():
        campaign = _locked(campaign)
        if campaign.is_locked:
            raise CampaignError(_("This semester is already validated."))
        sync_lines(campaign)
        total = ZERO
        for figures in category_figures(campaign):
            campaign.categories.filter(category=figures.category).update(
                validated_kg=figures.weight_kg)
            total += figures.weight_kg
        campaign.status = CampaignStatus.VALIDATED
        campaign.validated_at = timezone.now()
        campaign.validated_by_id, campaign.validated_by = actor.pk, actor.email
        campaign.validated_weight_kg = total
        campaign.save()
    return campaign


FactChange = tuple[int, date, str, "Decimal | None", "Decimal | None"]


def note_fact_changes(authority_id: int, changes: list[FactChange]) -> int:
    """Called when facts change (record_transfer, rebuild_facts), with (transfer_id,
    date, category, before kg or None, after kg or None) per fact: the open campaigns'
    lines follow the facts, and each change dated in a validated semester becomes an
    adjustment (before/after, by the system). Returns how many adjustments."""
    if changes:
        _follow_facts(authority_id)
    changes = [c for c in changes if (c[3] or ZERO) != (c[4] or ZERO)]
    if not changes:
        return 0
    locked = {(c.year, c.semester): c for c in WeightCampaign.objects.filter(
        authority_id=authority_id, status=CampaignStatus.VALIDATED)}
    if not locked:
        return 0
    adjustments = []
    for transfer_id, day, category, before_kg, after_kg in changes:
        campaign = locked.get(semester_of(day))
        if campaign is None:
            continue
        kind = (AdjustmentKind.LATE_TRANSFER if before_kg is None else
                AdjustmentKind.FACT_REMOVED if after_kg is None else
                AdjustmentKind.FACT_CHANGED)
        adjustments.append(WeightAdjustment(
            campaign=campaign, kind=kind, transfer_id=transfer_id, category=category,
            before_kg=before_kg or ZERO, after_kg=after_kg or ZERO, actor=SYSTEM))
    WeightAdjustment.objects.bulk_create(adjustments, batch_size=1000)
    return len(adjustments)


def _follow_facts(authority_id: int) -> None:
    """The open campaigns' lines follow the facts as they are written (so the campaign
    page, a GET, only reads). Open campaigns are few (the semesters not yet validated)."""
    for campaign in WeightCampaign.objects.filter(authority_id=authority_id,
                                                  status=CampaignStatus.OPEN):
        sync_lines(campaign)


def note_fact_change(authority_id: int, transfer_id: int, day: date, category: str,
                     before_kg: Decimal | None, after_kg: Decimal | None) -> int:
    """One fact's change (see note_fact_changes)."""
    return note_fact_changes(authority_id, [(transfer_id, day, category, before_kg,
                                             after_kg)])


def campaigns_between(authority: Authority, start: date, end: date) -> list[dict]:
    """Campaigns whose semester overlaps [start, end], with validated and current kg
    (two queries)."""
    campaigns = list(WeightCampaign.objects.filter(authority=authority).order_by(
        "year", "semester"))
    campaigns = [c for c in campaigns if c.start <= end and c.end >= start]
    deltas = dict(WeightAdjustment.objects.filter(campaign__in=campaigns).values(
        "campaign").annotate(total=Sum("after_kg") - Sum("before_kg"),
                             ).values_list("campaign", "total")) if campaigns else {}
    counts = dict(WeightAdjustment.objects.filter(campaign__in=campaigns).values(
        "campaign").annotate(n=Count("id")).values_list("campaign", "n")) if campaigns else {}
    rows = []
    for campaign in campaigns:
        validated = campaign.validated_weight_kg
        rows.append({
            "campaign": campaign,
            "validated_kg": validated,
            "current_kg": (validated + (deltas.get(campaign.pk) or ZERO))
            if validated is not None else None,
            "adjustments": counts.get(campaign.pk, 0),
        })
    return rows
