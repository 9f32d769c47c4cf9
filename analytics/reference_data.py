"""Reading the reference items CSV."""

import csv
from decimal import Decimal
from pathlib import Path

CSV_PATH = Path(__file__).resolve().parent / "data" / "reference_items.csv"

IT_FAMILIES = {"Informatique et téléphonie", "Reprographie et impression"}
APPLIANCE_FAMILIES = {"Électroménager"}


def read_reference_rows() -> list[dict]:
    """Rows of reference_items.csv with decimals parsed, in file order."""
    with CSV_PATH.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["typical_weight_kg"] = Decimal(row["typical_weight_kg"])
        row["co2e_kg_per_item"] = Decimal(row["co2e_kg_per_item"])
    return rows
