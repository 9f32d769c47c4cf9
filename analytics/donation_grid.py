"""Donations acquired, valued for the AGEC declaration (`montant_produits_issus_don`).

Décret n° 2024-134 (art. 1, 2°) lets the State and local authorities count goods acquired
through donations, valued with a flat-rate grid fixed by the « arrêté du 29 février 2024
fixant la grille de valeur forfaitaire permettant la comptabilisation des acquisitions de
dons » (NOR TRED2403742A, JORF n° 0056 du 7 mars 2024,
https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000049241790).

**The grid is not applied: its figures could not be found.** Searched on 2026-12-04 with
the stored public reference text (`search`, corpora pages, docs and code; `find_string`):
"arrêté 29 février 2024 réemploi valorisation dons", "JORFTEXT000049241790",
"TRED2403742A", "barème forfaitaire biens issus du don décret 2024-134", "prix de
référence dons loi AGEC article 58", "grille de valeur forfaitaire … comptabilisation
des dons", the annex's likely rows (laptops, modular buildings), Légifrance / juriblio /
tricoteuses mirrors, etalab/lois-non-codifiees-et-reglements-francais (no 2024 arrêtés).
Found: the arrêté's existence and object —
https://www.actu-environnement.com/ae/news/obligation-achat-commande-publique-liste-produits-remploi-matieres-recyclees-43641.php4
(« le second arrêté fixe la grille de valeur forfaitaire »),
https://www.doctrine.fr/l/texts/decrets/JORFTEXT000049184670 (décret n° 2024-134 and its
two arrêtés), https://www.faceaurisque.com/decret-n-2024-134-du-21-fevrier-2024-… (« la
valorisation des dons est réalisée sur la base d'un barème prévu par arrêté »), and
https://blog.achatsolutions.fr/agec, which gives the NOR and quotes two rows only (a
laptop under 5 years: 200 €; modular buildings in a set of 100 modules or more: 100 €).
The annex itself was not found, and two quoted rows are not a grid: nothing is invented.

Until the grid ships, received donations are valued with the platform's estimated value
(`TransferFact.value_eur`, the giver's estimate pro rata) and `declaration_comment()` says
so, for the declaration's `commentaires`. To apply the grid, add
`analytics/data/donation_grid.csv` (format in `GRID_PATH`'s section of
docs/architecture.md): `grid_version()` then names it, `grid_value()` values with it,
and the comment names the version used.

Donations acquired on the platform are the transfers another authority gave to
`authority` once it confirmed receipt (destination other_authority, the fact names its
receiver). Partners only receive on the platform (destination partner is an outgoing
gift): no transfer from a partner to an authority exists to count yet. Donations
received elsewhere are entered by the finance team (i16-purchases), not here.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

from django.db.models import Sum

from analytics.agec_categories import agec_categories
from analytics.models import Destination, ReferenceItem, TransferFact
from tenants.models import Authority

GRID_PATH = Path(__file__).resolve().parent / "data" / "donation_grid.csv"
ARRETE = ("arrêté du 29 février 2024 fixant la grille de valeur forfaitaire permettant "
          "la comptabilisation des acquisitions de dons (NOR TRED2403742A)")
ARRETE_URL = "https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000049241790"
CENTS = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Grid:
    """The arrêté's grid as shipped: its version and a value per item, keyed by
    reference item code (analytics.ReferenceItem.code) and by AGEC category label."""

    version: str
    by_code: dict[str, Decimal]
    by_category: dict[str, Decimal]


@cache
def _grid() -> Grid | None:
    """The grid file, or None while none ships. Lines starting with `#` are its header
    (text, date, URL, `# version: …`); then CSV rows `reference_code,agec_category,
    product_fr,value_eur` (value of one item, € HT; one of the two keys may be empty)."""
    if not GRID_PATH.exists():
        return None
    version = ""
    lines = []
    with GRID_PATH.open(encoding="utf-8", newline="") as handle:
        for line in handle:
            if line.startswith("#"):
                key, _sep, value = line[1:].partition(":")
                if key.strip().lower() == "version":
                    version = value.strip()
            elif line.strip():
                lines.append(line)
    by_code, by_category = {}, {}
    for row in csv.DictReader(lines):
        value = Decimal(row["value_eur"])
        if row.get("reference_code"):
            by_code[row["reference_code"]] = value
        if row.get("agec_category"):
            by_category[row["agec_category"]] = value
    if not version:
        raise ValueError(f"{GRID_PATH.name} has no '# version:' line")
    return Grid(version, by_code, by_category)


def grid_version() -> str | None:
    """The version of the arrêté's grid in use, or None: the grid is not shipped."""
    grid = _grid()
    return grid.version if grid is not None else None


def grid_value(category_or_reference: str, quantity: int, *,
               estimate: Decimal | None = None) -> Decimal | None:
    """The grid's value of `quantity` items of a reference item code or an AGEC category
    label (the code's row first). Without the grid, or without a row for it, `estimate`
    (the platform's estimated value, which may be None)."""
    grid = _grid()
    if grid is not None:
        unit = grid.by_code.get(category_or_reference,
                                grid.by_category.get(category_or_reference))
        if unit is not None:
            return (unit * quantity).quantize(CENTS, rounding=ROUND_HALF_UP)
    return estimate


def _agec_of_codes_and_families() -> tuple[dict[str, str], dict[str, str]]:
    """(reference code → AGEC label, family → AGEC label) from one query. A family maps
    to a label only when all its reference items share that one label (a donation
    posted in « Mobilier » itself is furniture; one posted in « Petits objets » could be
    toys or sports goods, and is left out rather than guessed)."""
    by_code: dict[str, str] = {}
    labels_of_family: dict[str, set[str]] = {}
    for code, family, label in ReferenceItem.objects.values_list(
            "code", "family_fr", "agec_category"):
        by_code[code] = label
        labels_of_family.setdefault(family, set()).add(label)
    by_family = {family: next(iter(labels)) for family, labels in labels_of_family.items()
                 if len(labels) == 1 and "" not in labels}
    return by_code, by_family


def received_donations_by_category(authority: Authority, year: int) -> dict[str, Decimal]:
    """Donations `authority` acquired on the platform in `year`, valued (the grid when it
    ships, else the estimated value), per AGEC label of the declaration's schema
    (`agec_categories()`, every label, in its order; 0 where nothing was received).
    Items without an AGEC category are left out. Two queries, whatever the number of
    facts."""
    by_code, by_family = _agec_of_codes_and_families()
    rows = TransferFact.objects.filter(
        receiver_authority=authority, destination=Destination.OTHER_AUTHORITY,
        date__range=(date(year, 1, 1), date(year, 12, 31))).order_by().values(
        "reference_code", "family", "category").annotate(
        quantity=Sum("quantity"), value=Sum("value_eur"))
    totals = dict.fromkeys(agec_categories(), ZERO)
    for row in rows:
        code = row["reference_code"]
        label = (by_code.get(code, "") if code
                 else by_family.get(row["family"] or row["category"], ""))
        if label not in totals:
            continue
        estimate = row["value"] or ZERO
        value = grid_value(code, row["quantity"], estimate=None) if code else None
        if value is None:
            value = grid_value(label, row["quantity"], estimate=estimate)
        totals[label] += value
    return totals


def declaration_comment() -> str:
    """What the declaration's `commentaires` says of how donations were valued."""
    version = grid_version()
    if version is None:
        return ("Dons reçus valorisés à leur valeur estimée sur Collectiv'Récup : la "
                f"grille forfaitaire de l'{ARRETE} n'a pas pu être appliquée "
                f"({ARRETE_URL}) ; ces montants sont des estimations.")
    return (f"Dons reçus valorisés selon la grille forfaitaire de l'{ARRETE}, "
            f"version {version} ({ARRETE_URL}).")
