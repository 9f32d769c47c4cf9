"""Helpers of the retirement batches' tests: laptops retired into a batch, erased; a
partner the authority gives to under its agreement. Build inside `in_authority(...)`
(partners live in the public schema: build them outside)."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from exchange.itassets import batches
from exchange.itassets.models import ErasureMethod, ErasureResult
from tests.accounts.factories import it_staff
from tests.exchange.itassets.factories import asset

ERASED_ON = date(2026, 3, 2)


def laptops(count: int, actor, prefix: str = "LAP") -> list:
    return [asset(actor, serial_number=f"{prefix}{n:04d}", inventory_number=f"INV-{prefix}-{n}",
                  model="ThinkPad T480") for n in range(1, count + 1)]


def retired_batch(count: int = 3, actor=None, *, erased: bool = True,
                  result: str = ErasureResult.OK, prefix: str = "LAP"):
    """A batch of `count` laptops retired by `actor` (IT team), their data erased
    (with `result`) unless `erased=False`. Returns (batch, items, actor)."""
    actor = actor or it_staff()
    batch = batches.create_batch(actor=actor)
    items = batches.retire_assets(batch=batch, actor=actor, assets=laptops(count, actor, prefix))
    if erased:
        batches.record_erasure(batch=batch, items=items, actor=actor,
                               method=ErasureMethod.OVERWRITE, tool="Blancco Drive Eraser",
                               operator_name="Léa Martin", erased_on=ERASED_ON, result=result)
    return batch, items, actor


def pdf_text(content: bytes) -> str:
    """The PDF's text, every run of blanks and line ends (a wrapped table cell) as one
    space."""
    return " ".join(" ".join(page.extract_text() for page in
                             PdfReader(io.BytesIO(content)).pages).split())
