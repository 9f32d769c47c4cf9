"""The finance team's AGEC figures (issue 16): services that write the year's purchases
per AGEC category — from the form or from an accounting export (CSV/XLSX) whose columns
the user maps — and the donations acquired outside the platform. Every change is
audited (AgecFigureChange, before/after). Reads are in analytics.selectors.

The import runs in three steps, each a plain function: `read_table` (validated upload →
headers and cells, by the reader every import shares: core.tables), `guess_mapping`
(which column is what, from the headers), `build_preview` (the rows, summed per
category, and every error with its line number); `apply_import` then writes all of it
or nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from analytics.agec_categories import agec_categories
from analytics.models import (
    AgecFigureChange,
    AgecPurchase,
    DonationSource,
    ExternalDonation,
    FigureChannel,
    FigureKind,
)
from analytics.selectors import PurchaseFigures
from core import tables
from core.tables import Table, TableLimits, normalise
from tenants.models import Authority

ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("999999999999.99")  # max_digits=14, decimal_places=2
MIN_YEAR, MAX_YEAR = 2020, 2100

# --- Amounts ------------------------------------------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u202f']")


def parse_amount(text) -> Decimal:
    """An amount in € as an accounting export or a person writes it: "1 555,00",
    "1555.00", "1 555 €", "1.555,00", "1,555.00". Raises ValueError with a message."""
    if isinstance(text, (int, float, Decimal)) and not isinstance(text, bool):
        value = Decimal(str(text))
    else:
        raw = _SPACES.sub("", str(text or "")).replace("€", "").replace("EUR", "")
        raw = raw.replace("eur", "")
        if not raw:
            raise ValueError(_("Enter an amount."))
        if "," in raw and "." in raw:
            # The last separator is the decimal one; the other groups thousands.
            if raw.rfind(",") > raw.rfind("."):
                raw = raw.replace(".", "").replace(",", ".")
            else:
                raw = raw.replace(",", "")
        elif "," in raw:
            raw = raw.replace(",", ".")
        if not re.fullmatch(r"[+-]?\d+(\.\d+)?", raw):
            raise ValueError(_("“%(value)s” is not an amount in euros.") % {"value": text})
        try:
            value = Decimal(raw)
        except InvalidOperation as exc:  # pragma: no cover - the regex rules it out
            raise ValueError(_("“%(value)s” is not an amount in euros.") % {"value": text}) from exc
    if value < 0:
        raise ValueError(_("Amounts cannot be negative."))
    if value > MAX_AMOUNT:
        raise ValueError(_("This amount is too large."))
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(_("At most two decimals (cents)."))
    return value.quantize(Decimal("0.01"))


def figure_errors(figures: PurchaseFigures) -> dict[str, str]:
    """The constraint errors of one category's figures, by field (empty when valid):
    the same rules as the table's CHECK constraints, said before the database does."""
    errors = {}
    if figures.reuse_eur > figures.total_eur:
        errors["reuse_eur"] = _("The reuse part cannot exceed the total.")
    if figures.recycled_eur > figures.total_eur:
        errors["recycled_eur"] = _("The recycled part cannot exceed the total.")
    return errors


def check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError(_("Choose a year between %(min)s and %(max)s.")
                              % {"min": MIN_YEAR, "max": MAX_YEAR}, code="year")


# --- Saving a year's purchases --------------------------------------------------------

def _as_json(figures: PurchaseFigures | None) -> dict:
    if figures is None:
        return {}
    return {"total_eur": str(figures.total_eur), "reuse_eur": str(figures.reuse_eur),
            "recycled_eur": str(figures.recycled_eur)}


def _cents(figures: PurchaseFigures) -> PurchaseFigures:
    cent = Decimal("0.01")
    return PurchaseFigures(Decimal(figures.total_eur).quantize(cent),
                           Decimal(figures.reuse_eur).quantize(cent),
                           Decimal(figures.recycled_eur).quantize(cent))


def _figures_of(row: AgecPurchase) -> PurchaseFigures:
    return PurchaseFigures(row.total_eur, row.reuse_eur, row.recycled_eur)


class PurchaseErrors(ValidationError):
    """Some categories' figures break a rule: `by_category[label][field] = message`."""

    def __init__(self, by_category: dict[str, dict[str, str]]):
        self.by_category = by_category
        super().__init__([msg for errs in by_category.values() for msg in errs.values()])


@transaction.atomic
def save_purchases(authority: Authority, year: int,
                   figures: dict[str, PurchaseFigures | None], *, actor_label: str,
                   channel: str = FigureChannel.FORM, replace_missing: bool = False) -> int:
    """Write the year's figures of the categories in `figures` (None: the category's
    line is removed). With `replace_missing`, categories absent from `figures` are
    removed too. Only lines that change are written and audited. Returns how many
    lines changed. Raises PurchaseErrors (nothing written) when a line breaks a rule."""
    check_year(year)
    labels = agec_categories()
    unknown = [label for label in figures if label not in labels]
    if unknown:
        raise ValidationError(_("Unknown AGEC category: %(label)s") % {"label": unknown[0]})
    errors = {label: errs for label, value in figures.items()
              if value is not None and (errs := figure_errors(value))}
    if errors:
        raise PurchaseErrors(errors)
    figures = {label: None if value is None else _cents(value)
               for label, value in figures.items()}
    existing = {row.category: row for row in AgecPurchase.objects.select_for_update()
                .filter(authority=authority, year=year)}
    wanted = dict(figures)
    if replace_missing:
        for label in existing:
            wanted.setdefault(label, None)
    changes = []
    for label in labels:
        if label not in wanted:
            continue
        after, row = wanted[label], existing.get(label)
        before = _figures_of(row) if row else None
        if before == after:
            continue
        if after is None:
            row.delete()
        elif row is None:
            AgecPurchase.objects.create(authority=authority, year=year, category=label,
                                        total_eur=after.total_eur, reuse_eur=after.reuse_eur,
                                        recycled_eur=after.recycled_eur,
                                        updated_by_label=actor_label)
        else:
            row.total_eur, row.reuse_eur, row.recycled_eur = (
                after.total_eur, after.reuse_eur, after.recycled_eur)
            row.updated_by_label = actor_label
            row.save()
        changes.append(AgecFigureChange(
            authority=authority, year=year, category=label, what=FigureKind.PURCHASE,
            actor_label=actor_label, before=_as_json(before), after=_as_json(after),
            channel=channel))
    AgecFigureChange.objects.bulk_create(changes)
    return len(changes)


# --- Donations acquired outside the platform ------------------------------------------

def _donation_json(donation: ExternalDonation) -> dict:
    return {"amount_eur": str(donation.amount_eur), "source": donation.source,
            "description": donation.description,
            "received_on": donation.received_on.isoformat() if donation.received_on else ""}


@transaction.atomic
def add_external_donation(authority: Authority, *, year: int, category: str,
                          amount_eur: Decimal, source: str, description: str = "",
                          received_on: date | None = None,
                          actor_label: str) -> ExternalDonation:
    check_year(year)
    if category not in agec_categories():
        raise ValidationError(_("Unknown AGEC category: %(label)s") % {"label": category})
    if source not in DonationSource.values:
        raise ValidationError(_("Choose where the donation comes from."))
    if amount_eur < 0:
        raise ValidationError(_("Amounts cannot be negative."))
    if received_on is not None and received_on.year != year:
        raise ValidationError(_("The date of receipt must fall in %(year)s.") % {"year": year})
    donation = ExternalDonation.objects.create(
        authority=authority, year=year, category=category, amount_eur=amount_eur,
        source=source, description=description, received_on=received_on,
        created_by_label=actor_label)
    AgecFigureChange.objects.create(
        authority=authority, year=year, category=category, what=FigureKind.DONATION,
        actor_label=actor_label, before={}, after=_donation_json(donation),
        channel=FigureChannel.FORM)
    return donation


@transaction.atomic
def delete_external_donation(authority: Authority, donation_id: int, *,
                             actor_label: str) -> ExternalDonation:
    """Remove one of `authority`'s donations (ExternalDonation.DoesNotExist for any
    other id, including another authority's)."""
    donation = ExternalDonation.objects.select_for_update().get(authority=authority,
                                                                pk=donation_id)
    AgecFigureChange.objects.create(
        authority=authority, year=donation.year, category=donation.category,
        what=FigureKind.DONATION, actor_label=actor_label, before=_donation_json(donation),
        after={}, channel=FigureChannel.FORM)
    donation.delete()
    return donation


# --- Import: reading the upload --------------------------------------------------------
# The generic reader is core.tables; these names stay for the purchases' callers.

LIMITS = TableLimits()  # 2 MB, 2,000 lines, 40 columns
MAX_IMPORT_BYTES = LIMITS.max_bytes
MAX_IMPORT_ROWS = LIMITS.max_rows
MAX_XLSX_UNCOMPRESSED = LIMITS.max_xlsx_uncompressed


def read_table(name: str, data: bytes) -> Table:
    """The sheet of an uploaded accounting export (core.tables.read_table, with the
    purchases' limits). Raises ValidationError."""
    return tables.read_table(name, data, LIMITS)


# --- Import: mapping the columns -------------------------------------------------------

ROLES = ("category", "total", "reuse", "recycled")


_HINTS = {
    "reuse": ("reemploi", "reutilis", "reuse", "seconde main", "occasion"),
    "recycled": ("recycl",),
    "total": ("total", "montant ht", "achats", "montant", "amount"),
    "category": ("categorie", "type produit", "type de produit", "famille", "produit",
                 "category", "nature"),
}


def guess_mapping(headers: list[str]) -> dict[str, int | None]:
    """Which column holds what, guessed from the header names (accents and case
    ignored); None where no header fits. A column serves one role at most."""
    names = [normalise(h) for h in headers]
    mapping: dict[str, int | None] = {}
    taken: set[int] = set()
    for role in ("reuse", "recycled", "total", "category"):
        mapping[role] = None
        for hint in _HINTS[role]:
            found = next((i for i, n in enumerate(names) if hint in n and i not in taken), None)
            if found is not None:
                mapping[role] = found
                taken.add(found)
                break
    return {role: mapping[role] for role in ROLES}


def _category_index() -> dict[str, str]:
    return {normalise(label): label for label in agec_categories()}


def match_category(value: str) -> str | None:
    """The AGEC label `value` names, accents, case and punctuation ignored."""
    return _category_index().get(normalise(value))


# --- Import: preview and apply ---------------------------------------------------------

@dataclass
class ImportLine:
    line: int
    category: str
    figures: PurchaseFigures


@dataclass
class Preview:
    """What an import would write: the lines read, the totals per category (several
    lines of one category are added up), and every error with its line number."""

    lines: list[ImportLine] = field(default_factory=list)
    totals: dict[str, PurchaseFigures] = field(default_factory=dict)
    errors: list[tuple[int | None, str]] = field(default_factory=list)
    unknown_categories: list[tuple[int, str]] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors and bool(self.totals)


def check_mapping(mapping: dict[str, int | None], width: int) -> list[str]:
    """What is wrong with a mapping the user confirmed (empty when it is usable)."""
    problems = []
    if mapping.get("category") is None:
        problems.append(_("Choose the column holding the category."))
    if mapping.get("total") is None:
        problems.append(_("Choose the column holding the total purchases."))
    used = [i for i in mapping.values() if i is not None]
    if any(not 0 <= i < width for i in used):
        problems.append(_("Choose columns of the file."))
    if len(used) != len(set(used)):
        problems.append(_("One column cannot serve two purposes."))
    return problems


def build_preview(table: Table, mapping: dict[str, int | None]) -> Preview:
    """Read every data line with `mapping`; blank lines are skipped."""
    preview = Preview()
    problems = check_mapping(mapping, len(table.headers))
    if problems:
        preview.errors.extend((None, p) for p in problems)
        return preview
    sums: dict[str, list[Decimal]] = {}
    for offset, row in enumerate(table.rows):
        number = table.first_line + offset
        if not any(row):
            continue
        raw_category = row[mapping["category"]]
        label = match_category(raw_category)
        line_errors = []
        if label is None:
            if raw_category:
                preview.unknown_categories.append((number, raw_category))
                line_errors.append(_("unknown category “%(value)s”") % {"value": raw_category})
            else:
                line_errors.append(_("no category"))
        amounts = []
        for role in ("total", "reuse", "recycled"):
            index = mapping.get(role)
            if index is None or (role != "total" and row[index] == ""):
                amounts.append(ZERO)
                continue
            try:
                amounts.append(parse_amount(row[index]))
            except ValueError as exc:
                line_errors.append(f"{table.headers[index] or role}: {exc}")
                amounts.append(ZERO)
        if line_errors:
            preview.errors.extend((number, e) for e in line_errors)
            continue
        figures = PurchaseFigures(*amounts)
        preview.lines.append(ImportLine(number, label, figures))
        total = sums.setdefault(label, [ZERO, ZERO, ZERO])
        for i, amount in enumerate(amounts):
            total[i] += amount
    labels = agec_categories()
    for label in labels:
        if label in sums:
            figures = PurchaseFigures(*sums[label])
            for message in figure_errors(figures).values():
                lines = ", ".join(str(x.line) for x in preview.lines if x.category == label)
                preview.errors.append((None, _("%(category)s (lines %(lines)s): %(message)s")
                                       % {"category": label, "lines": lines,
                                          "message": message}))
            preview.totals[label] = figures
    if not preview.totals and not preview.errors:
        preview.errors.append((None, _("The file has no line to import.")))
    preview.errors.sort(key=lambda e: (e[0] is None, e[0] or 0))
    return preview


def apply_import(authority: Authority, year: int, table: Table,
                 mapping: dict[str, int | None], *, actor_label: str) -> int:
    """Write the import's category totals, all or nothing: the preview is built again
    from the stored table, and any error writes nothing (ValidationError listing
    them). Categories not in the file keep their figures. Returns the lines changed."""
    preview = build_preview(table, mapping)
    if not preview.is_valid:
        raise ValidationError([_("Line %(line)s: %(message)s") % {"line": n, "message": m}
                               if n else m for n, m in preview.errors])
    return save_purchases(authority, year, dict(preview.totals), actor_label=actor_label,
                          channel=FigureChannel.IMPORT)
