"""Exports of the statistics facts.

CSV for a French spreadsheet: UTF-8 with a byte order mark (so that Excel reads the
accents), `;` between fields, a decimal comma, ISO dates (2026-03-02), booleans as 1/0,
and one header row of stable column names (the fact's field names, in English) that
scripts may rely on.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

from analytics.models import TransferFact

BOM = "\ufeff"
# A text cell starting with one of these is a formula (or starts one) for spreadsheet
# programs: =, +, - and @ begin formulas; a tab or carriage return may hide one behind.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """`text` made inert for a spreadsheet cell (OWASP CSV injection guidance): a leading
    single quote when it starts with a formula trigger, so that a category called
    `=HYPERLINK(…)` is shown as text and never evaluated. Every text cell of every
    spreadsheet export (CSV and XLSX) goes through here; numbers and dates never do
    (a negative number stays a number).

    Not used for the AGEC declaration CSV (analytics/agec.py): that file is read by
    machines against the official data.gouv.fr schema, not opened as a spreadsheet, and
    a quote would change its values.
    """
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text
CSV_COLUMNS = ("date", "transfer_id", "listing_id", "family", "category", "reference_code",
               "destination", "quantity", "value_eur", "weight_kg", "weight_is_estimated",
               "weight_avoided_kg", "co2e_avoided_kg", "factors_version", "giver_service",
               "receiver_service", "family_estimate")


def _cell(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str):
        return spreadsheet_text(value)
    return str(value)


def facts_csv(facts: Iterable[TransferFact]) -> str:
    """The facts as French-spreadsheet CSV text, BOM and header row included."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for fact in facts:
        writer.writerow([_cell(getattr(fact, column)) for column in CSV_COLUMNS])
    return buffer.getvalue()


MONTH_COLUMNS = ("month", "listings_posted", "listings_exchanged", "value_exchanged_eur",
                 "weight_avoided_kg", "co2e_avoided_kg")


def months_csv(months: Iterable[dict]) -> str:
    """Per-month aggregates (analytics.selectors.report()["months"]) as French-spreadsheet
    CSV text, BOM and header row included."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(MONTH_COLUMNS)
    for row in months:
        writer.writerow([_cell(row[column]) for column in MONTH_COLUMNS])
    return buffer.getvalue()


# The IT register's figures of the period (issue 19): one row per asset kind, then the
# total (item_type "total"); counts, kg and % as plain numbers, no serial number.
IT_COLUMNS = ("item_type", "retired", "reconditioned", "second_life", "listed", "donated",
              "recycled", "awaiting_exit", "reused", "reuse_share_percent",
              "started_second_life", "started_third_life_or_later", "recycled_weight_kg",
              "weight_avoided_kg", "co2e_avoided_kg")
IT_TOTAL = "total"


def _it_row(label: str, counts) -> list:
    return [label, counts.retired, counts.reconditioned, counts.second_life, counts.listed,
            counts.donated, counts.recycled, counts.awaiting_exit, counts.reused,
            counts.share, counts.started_second_life, counts.started_third_life,
            counts.recycled_weight_kg, counts.weight_avoided_kg, counts.co2e_avoided_kg]


def it_rows(figures, *, labels: bool = False) -> list[list]:
    """The rows of IT_COLUMNS for `figures` (None: no IT register, no rows); the asset
    kind's code (`computer`…, `total`), or with `labels` its French label."""
    if figures is None:
        return []
    return ([_it_row(row.label if labels else row.kind, row) for row in figures.by_kind]
            + [_it_row("Total" if labels else IT_TOTAL, figures)])


def it_csv(figures) -> str:
    """The IT register's figures (analytics.it_reuse.ITFigures) as French-spreadsheet
    CSV text, BOM and header row included; an empty share when nothing was retired."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(IT_COLUMNS)
    for row in it_rows(figures):
        writer.writerow(["" if value is None else _cell(value) for value in row])
    return buffer.getvalue()


# XLSX: French headers for people (the CSV keeps stable English names for scripts).
XLSX_FACT_HEADERS = (
    ("date", "Date"), ("transfer_id", "N° de transfert"), ("listing_id", "N° d'annonce"),
    ("family", "Famille"), ("category", "Catégorie"), ("reference_code", "Type de référence"),
    ("destination", "Destination"), ("quantity", "Quantité"), ("value_eur", "Valeur (€)"),
    ("weight_kg", "Poids (kg)"), ("weight_is_estimated", "Poids estimé"),
    ("weight_avoided_kg", "Poids évité (kg)"), ("co2e_avoided_kg", "CO2e évité (kg)"),
    ("factors_version", "Version des facteurs"), ("giver_service", "Service donneur"),
    ("receiver_service", "Service receveur"),
    ("family_estimate", "Moyenne de la famille"),
)
XLSX_IT_HEADERS = tuple(zip(IT_COLUMNS, (
    "Type de matériel", "Réformés", "Reconditionnés", "Nouveau détenteur (collectivité)",
    "Proposés sur la bourse", "Donnés", "Recyclés", "Encore dans un lot", "Réemployés",
    "Part réemployée (%)", "Deuxième vie", "Troisième vie ou plus", "Poids recyclé (kg)",
    "Poids évité (kg)", "CO2e évité (kg)"), strict=True))
XLSX_MONTH_HEADERS = (
    ("month", "Mois"), ("listings_posted", "Annonces déposées"),
    ("listings_exchanged", "Annonces ayant trouvé preneur"),
    ("value_exchanged_eur", "Valeur donnée (€)"), ("weight_avoided_kg", "Poids évité (kg)"),
    ("co2e_avoided_kg", "CO2e évité (kg)"),
)


def _xlsx_value(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        return spreadsheet_text(value)
    return value


RECEIVED_COLUMNS = ("date", "giver_authority", "transfer_id", "family", "category",
                    "reference_code", "quantity", "value_eur", "weight_avoided_kg",
                    "co2e_avoided_kg", "factors_version")
XLSX_RECEIVED_HEADERS = (
    ("date", "Date"), ("giver_authority", "Collectivité donneuse"),
    ("transfer_id", "N° de transfert"), ("family", "Famille"), ("category", "Catégorie"),
    ("reference_code", "Type de référence"), ("quantity", "Quantité"),
    ("value_eur", "Valeur (€)"), ("weight_avoided_kg", "Poids évité (kg)"),
    ("co2e_avoided_kg", "CO2e évité (kg)"), ("factors_version", "Version des facteurs"),
)


def _received_value(fact: TransferFact, column: str):
    if column == "giver_authority":
        return fact.authority.name
    return getattr(fact, column)


def received_csv(facts: Iterable[TransferFact]) -> str:
    """Items received from other authorities (analytics.selectors.received_between) as
    French-spreadsheet CSV text: one row per fact, the giving authority named."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(RECEIVED_COLUMNS)
    for fact in facts:
        writer.writerow([_cell(_received_value(fact, column)) for column in RECEIVED_COLUMNS])
    return buffer.getvalue()


def report_xlsx(facts: Iterable[TransferFact], months: Iterable[dict],
                received: Iterable[TransferFact] = (), it=None) -> bytes:
    """A workbook of four sheets, « Transferts » (one row per fact), « Par mois »,
    « Reçus d'autres collectivités » (items received, purchases avoided) and
    « Informatique » (the IT register's figures, `it`: analytics.it_reuse.ITFigures),
    French headers in bold, numbers and dates as such (not text)."""
    # openpyxl is heavy and only this export (one view) needs it: loaded on the first
    # spreadsheet, not by every process that imports the statistics.
    from openpyxl import Workbook
    from openpyxl.styles import Font  # (same reason)

    workbook = Workbook()
    bold = Font(bold=True)
    transfers = workbook.active
    transfers.title = "Transferts"
    per_month = workbook.create_sheet("Par mois")
    from_others = workbook.create_sheet("Reçus d'autres collectivités")
    it_sheet = workbook.create_sheet("Informatique")
    # Every text cell is escaped (_xlsx_value), headers included, though constant.
    sheets = ((transfers, XLSX_FACT_HEADERS, (
        [_xlsx_value(getattr(fact, field)) for field, _label in XLSX_FACT_HEADERS]
        for fact in facts)),
        (per_month, XLSX_MONTH_HEADERS, (
            [_xlsx_value(row[field]) for field, _label in XLSX_MONTH_HEADERS]
            for row in months)),
        (from_others, XLSX_RECEIVED_HEADERS, (
            [_xlsx_value(_received_value(fact, field)) for field, _label
             in XLSX_RECEIVED_HEADERS] for fact in received)),
        (it_sheet, XLSX_IT_HEADERS, (
            [_xlsx_value(value) for value in row] for row in it_rows(it, labels=True))))
    for sheet, headers, rows in sheets:
        sheet.append([spreadsheet_text(label) for _field, label in headers])
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        for row in rows:
            sheet.append(row)
    for sheet in (transfers, from_others):
        for row in sheet.iter_rows(min_row=2, min_col=1, max_col=1):
            for cell in row:
                cell.number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
