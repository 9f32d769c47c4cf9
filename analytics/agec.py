"""Loi AGEC figures of one authority (décret n° 2024-134 and décret n° 2023-266).

- Per AGEC product category and year: the € value of items obtained through reuse —
  internal transfers (same authority) and items received from other authorities
  (donations) — next to the decree's minimum share, from analytics/data/agec_shares.csv.
  A share the file does not give is reported as unknown, never guessed.
- The rows of the annual data.gouv.fr declaration CSV, in its official columns.
- The share of retired IT equipment sent to reuse (décret n° 2023-266).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.db.models import Q, Sum

from analytics.models import (
    REUSE_DESTINATIONS,
    Destination,
    ReferenceItem,
    RetiredITStock,
    TransferFact,
)
from tenants.models import Authority

SHARES_CSV = Path(__file__).resolve().parent / "data" / "agec_shares.csv"
# The decree sets its shares for these years; a share applies until the next one.
MILESTONES = (2024, 2027, 2030)
NO_CATEGORY = ""
ZERO = Decimal("0.00")

DECLARATION_COLUMNS = ("annee", "siret", "raison_sociale", "type_produit_acquis",
                       "montant_total", "montant_reemploi_et_reutilisation",
                       "montant_produits_issus_don", "montant_produits_recycles",
                       "commentaires")
DECLARATION_COMMENT = (
    "montant_total à compléter par le service des finances (achats annuels HT de la "
    "catégorie). montant_reemploi_et_reutilisation = cessions internes {internal} € + "
    "dons reçus d'autres collectivités {donations} € (compris dans "
    "montant_produits_issus_don), valeurs estimées sur Collectiv'Récup.")

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
    category: str
    internal_eur: Decimal
    donations_eur: Decimal
    minimum_share: int | None
    source: str

    @property
    def reuse_eur(self) -> Decimal:
        return self.internal_eur + self.donations_eur


def agec_rows(authority: Authority, year: int) -> list[AgecRow]:
    """Per AGEC category (those with a value in `year`, then the others of the data
    file): € obtained through reuse. Items without an AGEC category are left out.
    Two GROUP BY queries, whatever the number of facts."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    agec = _agec_of_codes()
    internal = TransferFact.objects.filter(
        authority=authority, date__range=(start, end),
        destination=Destination.SAME_AUTHORITY).values("reference_code").annotate(
        value=Sum("value_eur")).order_by()
    received = TransferFact.objects.filter(
        receiver_authority=authority, date__range=(start, end),
        destination=Destination.OTHER_AUTHORITY).values("reference_code").annotate(
        value=Sum("value_eur")).order_by()
    sums: dict[str, list[Decimal]] = {}
    for index, rows in ((0, internal), (1, received)):
        for row in rows:
            category = agec.get(row["reference_code"], NO_CATEGORY)
            if category == NO_CATEGORY:
                continue
            sums.setdefault(category, [ZERO, ZERO])[index] += row["value"] or ZERO
    for category, _from in _shares():
        sums.setdefault(category, [ZERO, ZERO])
    result = []
    for category in sorted(sums, key=lambda c: (-(sums[c][0] + sums[c][1]), c)):
        share, source = minimum_share(category, year)
        result.append(AgecRow(category, sums[category][0], sums[category][1], share, source))
    return result


def _amount(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def declaration_csv(authority: Authority, year: int) -> str:
    """The rows of the annual data.gouv.fr declaration: one per AGEC category with a
    value, the official columns, `,` separators and `.` decimals (open-data usage),
    UTF-8 without BOM. siret is the authority's own (`Authority.siret`, empty until
    entered); montant_total stays empty: the finance team completes it.

    Text cells are NOT escaped against spreadsheet formulas (exports.spreadsheet_text):
    the file's format is fixed by the official schema and read by the data.gouv.fr
    validator, where a leading quote would corrupt the values (raison_sociale, category
    codes); its text comes from the authority's registered name, the decree's category
    codes and our fixed comment, not from agents' input."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(DECLARATION_COLUMNS)
    for row in agec_rows(authority, year):
        if not row.reuse_eur:
            continue
        writer.writerow([
            year, authority.siret, authority.name, row.category, "", _amount(row.reuse_eur),
            _amount(row.donations_eur), "",
            DECLARATION_COMMENT.format(internal=_amount(row.internal_eur),
                                       donations=_amount(row.donations_eur))])
    return buffer.getvalue()


def it_target(year: int) -> int | None:
    if year >= 2025:
        return IT_TARGET_FROM_2025
    return IT_TARGETS.get(year)


@dataclass
class ITShare:
    year: int
    stock: int | None
    sent_to_reuse: int
    target: int | None

    @property
    def share(self) -> Decimal | None:
        if not self.stock:
            return None
        return (Decimal(self.sent_to_reuse) * 100 / self.stock).quantize(Decimal("0.1"))


def it_reuse_share(authority: Authority, year: int) -> ITShare:
    """Décret n° 2023-266: IT items sent to reuse during `year` (reused facts whose
    reference item is of the IT family; a transfer to another public body counts) over
    the retired items in stock on 1 January, as recorded (None when not recorded)."""
    stock = RetiredITStock.objects.filter(authority=authority, year=year).values_list(
        "items_in_stock", flat=True).first()
    codes = list(ReferenceItem.objects.filter(family_fr=IT_FAMILY).values_list(
        "code", flat=True))
    sent = TransferFact.objects.filter(
        Q(authority=authority), date__year=year, destination__in=REUSE_DESTINATIONS,
        reference_code__in=codes).aggregate(total=Sum("quantity"))["total"] or 0
    return ITShare(year, stock, sent, it_target(year))
