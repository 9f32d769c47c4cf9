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

from .models import TransferFact

BOM = "\ufeff"
CSV_COLUMNS = ("date", "transfer_id", "listing_id", "family", "category", "reference_code",
               "destination", "quantity", "value_eur", "weight_kg", "weight_is_estimated",
               "weight_avoided_kg", "co2e_avoided_kg", "factors_version", "giver_service",
               "receiver_service")


def _cell(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if hasattr(value, "isoformat"):
        return value.isoformat()
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
