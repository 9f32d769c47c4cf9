"""Loi AGEC figures of one authority (art. 58 of loi n° 2020-105, décret n° 2024-134,
arrêté du 13 janvier 2025 for the declaration; décret n° 2023-266 for retired IT).

- Per AGEC product category and year, what the law counts: the year's purchases excl.
  VAT as the finance team entered them (`AgecPurchase`: total, part from reuse, part
  with recycled materials) and the donations acquired (received on the platform from
  another authority, plus those received elsewhere, `ExternalDonation`). The share
  reached — (reuse purchases + donations acquired) / total purchases — sits next to the
  decree's minimum share (analytics/data/agec_shares.csv; a share the file does not
  give is reported as unknown, never guessed) with the gap in € to reach it.
- Internal transfers (between services of the same authority) are neither a purchase
  nor a donation: shown beside the declaration as purchases avoided, never declared.
- The rows of the annual data.gouv.fr declaration CSV, in its official columns, served
  only when every row validates against the official Table Schema (otherwise, what is
  missing: `DeclarationIncomplete`).
- The share of retired IT equipment sent to reuse (décret n° 2023-266).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db.models import Q, Sum

from analytics.agec_categories import agec_categories
from analytics.donation_grid import declaration_comment, received_donations_by_category
from analytics.it_reuse import it_figures, year_bounds
from analytics.models import (
    REUSE_DESTINATIONS,
    Destination,
    ReferenceItem,
    RetiredITStock,
    TransferFact,
)
from analytics.selectors import (
    PurchaseFigures,
    agec_purchases,
    external_donations_by_category,
    purchase_years,
)
from tenants.models import Authority
from tenants.validators import validate_siret_of

SHARES_CSV = Path(__file__).resolve().parent / "data" / "agec_shares.csv"
# The decree sets its shares for these years; a share applies until the next one.
MILESTONES = (2024, 2027, 2030)
NO_CATEGORY = ""
ZERO = Decimal("0.00")
CENT = Decimal("0.01")

DECLARATION_COLUMNS = ("annee", "siret", "raison_sociale", "type_produit_acquis",
                       "montant_total", "montant_reemploi_et_reutilisation",
                       "montant_produits_issus_don", "montant_produits_recycles",
                       "commentaires")
# Décret n° 2024-134, art. 1: the goods counted are acquired through public supply
# contracts (1°) or through donations of listed products (2°). A transfer between two
# services of one authority is neither: never declared, shown as purchases avoided.
DECREE_ACQUISITION_WORDING = (
    "« Les biens issus du réemploi ou de la réutilisation ou intégrant des matières "
    "recyclées […] peuvent être acquis par l'Etat, les collectivités territoriales et "
    "leurs groupements : 1° Au moyen de marchés publics de fournitures […] ; 2° Au moyen "
    "de dons portant sur une liste de produits établie par arrêté […] » "
    "(décret n° 2024-134 du 21 février 2024, art. 1)")
# How each row's donations were valued and where they come from (`commentaires`); the
# valuation (grid version, or estimated values) is analytics.donation_grid's to say.
PLATFORM_DONATIONS_NOTE = "Dons acquis sur Collectiv'Récup : {platform} €."
EXTERNAL_DONATIONS_NOTE = "Dons acquis hors plateforme : {external} €."

# Décret n° 2023-266: share of retired IT equipment to send to reuse, per year.
IT_TARGETS = {2023: 25, 2024: 35}
IT_TARGET_FROM_2025 = 50
IT_FAMILY = "Informatique et téléphonie"


@cache
def _shares() -> dict[tuple[str, int], tuple[int, str]]:
    with SHARES_CSV.open(encoding="utf-8", newline="") as handle:
        return {(row["agec_category"], int(row["from_year"])):
                (int(row["min_reuse_share_percent"]), row["source"])
                for row in csv.DictReader(handle)}


def minimum_share(agec_category: str, year: int) -> tuple[int | None, str]:
    """(minimum % of purchases from reuse, source) for the year, or (None, "") when the
    data file does not give it (before 2024, or a share we do not know)."""
    milestones = [m for m in MILESTONES if m <= year]
    if not milestones:
        return None, ""
    return _shares().get((agec_category, milestones[-1]), (None, ""))


def _agec_of_codes() -> dict[str, str]:
    return dict(ReferenceItem.objects.values_list("code", "agec_category"))


@dataclass
class AgecRow:
    """One AGEC category of one year, as the law counts it.

    `purchases` is None while the finance team has not entered the category's purchases.
    `platform_donations_eur`: items received on the platform from other authorities;
    `external_donations_eur`: donations acquired elsewhere (State's site, partners…);
    `internal_eur`: transfers between the authority's own services — purchases avoided,
    not declared."""

    category: str
    purchases: PurchaseFigures | None
    platform_donations_eur: Decimal
    external_donations_eur: Decimal
    internal_eur: Decimal
    minimum_share: int | None
    source: str

    @property
    def total_eur(self) -> Decimal | None:
        return None if self.purchases is None else self.purchases.total_eur

    @property
    def reuse_eur(self) -> Decimal:
        """Purchases from reuse only (the donations are their own column)."""
        return ZERO if self.purchases is None else self.purchases.reuse_eur

    @property
    def recycled_eur(self) -> Decimal:
        return ZERO if self.purchases is None else self.purchases.recycled_eur

    @property
    def donations_eur(self) -> Decimal:
        return self.platform_donations_eur + self.external_donations_eur

    @property
    def counted_eur(self) -> Decimal:
        """What counts towards the decree's share: reuse purchases + donations acquired."""
        return self.reuse_eur + self.donations_eur

    @property
    def share_reached(self) -> Decimal | None:
        """(reuse purchases + donations acquired) / total purchases, in %, one decimal;
        None without purchases (not entered, or a total of 0)."""
        if not self.total_eur:
            return None
        return (self.counted_eur * 100 / self.total_eur).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def gap_eur(self) -> Decimal | None:
        """€ of reuse purchases or donations still needed to reach the minimum share
        (0 once reached); None when the share or the purchases are unknown."""
        if self.minimum_share is None or self.total_eur is None:
            return None
        needed = (self.total_eur * self.minimum_share / 100).quantize(
            CENT, rounding=ROUND_HALF_UP)
        return max(needed - self.counted_eur, ZERO)

    @property
    def declarable(self) -> bool:
        """Has something the declaration counts: purchases entered, or donations."""
        return self.purchases is not None or bool(self.donations_eur)

    @property
    def lacks_purchases(self) -> bool:
        """Donations acquired but no purchases entered: montant_total would be empty,
        which the schema refuses."""
        return self.purchases is None and bool(self.donations_eur)


def _sum_by_category(facts, agec: dict[str, str]) -> dict[str, Decimal]:
    """Sum of `facts`' value_eur per AGEC category of their reference code."""
    sums: dict[str, Decimal] = {}
    for row in facts.values("reference_code").annotate(value=Sum("value_eur")).order_by():
        category = agec.get(row["reference_code"], NO_CATEGORY)
        if category != NO_CATEGORY:
            sums[category] = sums.get(category, ZERO) + (row["value"] or ZERO)
    return sums


def platform_donations_by_category(authority: Authority, year: int) -> dict[str, Decimal]:
    """Donations acquired on the platform in `year`, by AGEC category: items received
    from other authorities (a fact names its receiver once receipt is confirmed), valued
    by analytics.donation_grid (the arrêté du 29 février 2024's grid when it ships, else
    the estimated value). Only the categories with a donation."""
    return {label: value for label, value in
            received_donations_by_category(authority, year).items() if value}


def internal_reuse_by_category(authority: Authority, year: int) -> dict[str, Decimal]:
    """Transfers between the authority's own services in `year`, by AGEC category: the
    purchases they avoided (not declared)."""
    internal = TransferFact.objects.filter(
        authority=authority, date__year=year, destination=Destination.SAME_AUTHORITY)
    return _sum_by_category(internal, _agec_of_codes())


def agec_rows(authority: Authority, year: int) -> list[AgecRow]:
    """Every AGEC category with a figure in `year` (purchases entered, donations
    acquired, internal reuse), then the other categories whose minimum share the data
    file gives; in the order of the schema's enum. A handful of queries, whatever the
    number of facts."""
    purchases = agec_purchases(authority, year)
    platform = platform_donations_by_category(authority, year)
    external = external_donations_by_category(authority, year)
    internal = internal_reuse_by_category(authority, year)
    with_shares = {category for category, _from in _shares()}
    result = []
    for category in agec_categories():
        if not (category in purchases or platform.get(category) or external.get(category)
                or internal.get(category) or category in with_shares):
            continue
        share, source = minimum_share(category, year)
        result.append(AgecRow(category, purchases.get(category),
                              platform.get(category, ZERO), external.get(category, ZERO),
                              internal.get(category, ZERO), share, source))
    return result


def figure_years(authority: Authority, current: int) -> list[int]:
    """The years with figures to compare side by side: those with purchases or outside
    donations entered, those with reuse on the platform, and `current`; oldest first."""
    years = set(purchase_years(authority)) | {current}
    years |= {d.year for d in TransferFact.objects.filter(
        Q(authority=authority, destination=Destination.SAME_AUTHORITY)
        | Q(receiver_authority=authority, destination=Destination.OTHER_AUTHORITY)
    ).dates("date", "year")}
    return sorted(years)


def year_on_year(authority: Authority, years: list[int]) -> list[dict]:
    """Per category with a figure in one of `years`: its row of each year (None when
    the category has nothing that year), for the side-by-side view."""
    by_year = {year: {row.category: row for row in agec_rows(authority, year)
                      if row.declarable or row.internal_eur} for year in years}
    categories = [c for c in agec_categories() if any(c in rows for rows in by_year.values())]
    return [{"category": category,
             "years": [by_year[year].get(category) for year in years]}
            for category in categories]


# --- The declaration ----------------------------------------------------------------------

@dataclass
class Missing:
    """Something the declaration cannot do without. `kind`: "siret" (missing or not
    valid), "purchases" (a category with donations but no purchases entered),
    "nothing" (no purchases entered and no donations for the year)."""

    kind: str
    category: str = ""
    detail: str = ""


@dataclass
class Declaration:
    year: int
    rows: list[AgecRow]
    missing: list[Missing] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.missing


class DeclarationIncomplete(Exception):
    """The declaration would not validate against the official schema; `missing` says
    what to enter first."""

    def __init__(self, missing: list[Missing]):
        super().__init__(", ".join(m.kind for m in missing))
        self.missing = missing


def declaration(authority: Authority, year: int, rows: list[AgecRow] | None = None
                ) -> Declaration:
    """The rows to declare for `year` — one per category with purchases entered or
    donations acquired — and what is missing for the file to validate."""
    rows = agec_rows(authority, year) if rows is None else rows
    declared = [row for row in rows if row.declarable]
    missing = []
    if not authority.siret:
        missing.append(Missing("siret"))
    else:
        try:
            validate_siret_of(authority.siret, authority.siren)
        except ValidationError as error:
            missing.append(Missing("siret", detail=" ".join(error.messages)))
    missing += [Missing("purchases", row.category) for row in declared
                if row.lacks_purchases]
    if not declared:
        missing.append(Missing("nothing"))
    return Declaration(year, declared, missing)


def _amount(value: Decimal) -> str:
    """A `number` as the schema reads it: `.` decimal, no thousands separator."""
    return format(value.quantize(CENT, rounding=ROUND_HALF_UP), "f")


def _comment(row: AgecRow) -> str:
    parts = []
    if row.platform_donations_eur:
        parts += [PLATFORM_DONATIONS_NOTE.format(platform=_amount(row.platform_donations_eur)),
                  declaration_comment()]
    if row.external_donations_eur:
        parts.append(EXTERNAL_DONATIONS_NOTE.format(
            external=_amount(row.external_donations_eur)))
    return " ".join(parts)


def declaration_csv(authority: Authority, year: int) -> str:
    """The annual data.gouv.fr declaration, valid against its Table Schema: one row per
    AGEC category with purchases entered or donations acquired, the official columns,
    `,` separators and `.` decimals, UTF-8 without BOM. Raises DeclarationIncomplete
    (and writes nothing) when the file would not validate.

    montant_reemploi_et_reutilisation is the reuse purchases only: the schema describes
    it as « Montant HT des dépenses associées à l'achat de produits issus du réemploi ou
    de la réutilisation », and the donations have their own column
    (montant_produits_issus_don, « … l'acquisition de produits issus du don »). Internal
    transfers are in neither.

    Text cells are NOT escaped against spreadsheet formulas (exports.spreadsheet_text):
    the file's format is fixed by the official schema and read by the data.gouv.fr
    validator, where a leading quote would corrupt the values (raison_sociale, category
    labels); its text comes from the authority's registered name, the schema's category
    labels and our fixed comments, not from agents' input."""
    found = declaration(authority, year)
    if not found.ready:
        raise DeclarationIncomplete(found.missing)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(DECLARATION_COLUMNS)
    for row in found.rows:
        writer.writerow([
            year, authority.siret, authority.name, row.category, _amount(row.total_eur),
            _amount(row.reuse_eur), _amount(row.donations_eur), _amount(row.recycled_eur),
            _comment(row)])
    return buffer.getvalue()


# --- Décret n° 2023-266: retired IT equipment -------------------------------------------

def it_target(year: int) -> int | None:
    if year >= 2025:
        return IT_TARGET_FROM_2025
    return IT_TARGETS.get(year)


class ITShareSource:
    """Where the share's base comes from."""

    REGISTER = "register"  # the IT register's retirements of the year (exchange.itassets)
    STOCK = "stock"  # the retired stock the authority typed in (RetiredITStock)


@dataclass
class ITShare:
    """Décret n° 2023-266 of one year. From the register when it has retirements that
    year (`retired`, `sent_to_reuse` of those items), else from the hand-typed stock
    (`stock`, None when not recorded, over the IT items reused on the exchange)."""

    year: int
    stock: int | None
    sent_to_reuse: int
    target: int | None
    source: str = ITShareSource.STOCK
    retired: int | None = None

    @property
    def from_register(self) -> bool:
        return self.source == ITShareSource.REGISTER

    @property
    def base(self) -> int | None:
        """The share's denominator: items retired (register) or in stock (typed in)."""
        return self.retired if self.from_register else self.stock

    @property
    def share(self) -> Decimal | None:
        if not self.base:
            return None
        return (Decimal(self.sent_to_reuse) * 100 / self.base).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP)


def it_reuse_share(authority: Authority, year: int) -> ITShare:
    """Décret n° 2023-266: the share of retired IT equipment sent to reuse in `year`.

    When the authority's IT register has items retired in `year`, from the register:
    those items sent to reuse (second life in-house, listed on the exchange, donated;
    whenever they left) over those items (analytics.it_reuse). Otherwise — no register,
    or nothing retired through it that year — the fallback the authority typed in: IT
    items reused on the exchange during `year` (reused facts of the IT family; a
    transfer to another public body counts) over the retired items in stock on
    1 January (None when not recorded)."""
    figures = it_figures(authority, *year_bounds(year))
    if figures is not None and figures.retired:
        return ITShare(year, None, figures.reused, it_target(year),
                       source=ITShareSource.REGISTER, retired=figures.retired)
    stock = RetiredITStock.objects.filter(authority=authority, year=year).values_list(
        "items_in_stock", flat=True).first()
    codes = list(ReferenceItem.objects.filter(family_fr=IT_FAMILY).values_list(
        "code", flat=True))
    sent = TransferFact.objects.filter(
        Q(authority=authority), date__year=year, destination__in=REUSE_DESTINATIONS,
        reference_code__in=codes).aggregate(total=Sum("quantity"))["total"] or 0
    return ITShare(year, stock, sent, it_target(year))
