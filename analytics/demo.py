"""Demo AGEC purchases (issue 16) for `make run`: the finance team's figures of the
current and the previous year, so that the demo's declaration has a total for every
category the platform can fill.

Plausible, deterministic figures: for every AGEC category a reference item points at,
purchases excl. VAT of a few thousand euros (more for a larger authority), always at
least ten times what the authority obtained through the platform in that category, a
small part bought from reuse and a part with recycled materials. Idempotent: a year
that already has purchases is left as it is."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_UP, Decimal

from django.db.models import Q, Sum

from analytics.agec_categories import agec_categories
from analytics.models import AgecPurchase, ReferenceItem, TransferFact
from analytics.purchases import save_purchases
from analytics.selectors import PurchaseFigures
from tenants.models import Authority

DEMO_ACTOR = "demo"
# Yearly purchases excl. VAT of a 30,000-inhabitant town, per category (€), and the part
# with recycled materials (%); categories not listed get BASE_DEFAULT and 5 %.
BASE = {
    "Mobilier et aménagement d'intérieur": (48000, 10),
    "Matériel informatique et téléphonie": (95000, 5),
    "Papier": (22000, 60),
    "Fournitures de bureau": (18000, 20),
    "Consommables d'impression": (12000, 15),
    "Gros électroménager, y compris appareils professionnels": (15000, 5),
    "Articles et équipement sportifs": (9000, 5),
    "Jeux et jouets": (6000, 10),
    "Produits textiles à l'exception des équipements de protection individuels": (11000, 15),
}
BASE_DEFAULT = (8000, 5)
REUSE_PERCENT = Decimal("4")


def _platform_value(authority: Authority, year: int) -> dict[str, Decimal]:
    """€ the authority moved or received through the platform in `year`, per AGEC
    category (family-level facts count in the family's most common category)."""
    agec_of_code = dict(ReferenceItem.objects.values_list("code", "agec_category"))
    family_category: dict[str, str] = {}
    for family, category in ReferenceItem.objects.exclude(agec_category="").values_list(
            "family_fr", "agec_category").order_by("family_fr", "code"):
        family_category.setdefault(family, category)
    rows = (TransferFact.objects
            .filter(Q(authority=authority) | Q(receiver_authority=authority),
                    date__year=year)
            .values("reference_code", "family").annotate(value=Sum("value_eur")).order_by())
    sums: dict[str, Decimal] = {}
    for row in rows:
        category = (agec_of_code.get(row["reference_code"])
                    or family_category.get(row["family"]) or "")
        if category:
            sums[category] = sums.get(category, Decimal(0)) + (row["value"] or 0)
    return sums


def _round_up(value: Decimal, step: int = 100) -> Decimal:
    return (value / step).quantize(Decimal(1), rounding=ROUND_UP) * step


def demo_figures(authority: Authority, year: int) -> dict[str, PurchaseFigures]:
    scale = Decimal(max(authority.population or 30000, 5000)) / Decimal(30000)
    used = set(ReferenceItem.objects.exclude(agec_category="").values_list(
        "agec_category", flat=True))
    platform = _platform_value(authority, year)
    figures = {}
    for label in agec_categories():
        if label not in used and label not in platform:
            continue
        base, recycled_percent = BASE.get(label, BASE_DEFAULT)
        through_platform = Decimal(platform.get(label, 0))
        total = max(_round_up(Decimal(base) * scale), _round_up(through_platform * 10))
        figures[label] = PurchaseFigures(
            total_eur=total.quantize(Decimal("0.01")),
            reuse_eur=(total * REUSE_PERCENT / 100).quantize(Decimal("0.01")),
            recycled_eur=(total * recycled_percent / 100).quantize(Decimal("0.01")))
    return figures


def seed_demo_purchases(authority: Authority, today: date) -> int:
    """The purchases of `today`'s year and the previous one, for years without any.
    Returns how many category lines were created."""
    created = 0
    for year in (today.year - 1, today.year):
        if AgecPurchase.objects.filter(authority=authority, year=year).exists():
            continue
        created += save_purchases(authority, year, demo_figures(authority, year),
                                  actor_label=DEMO_ACTOR)
    return created
