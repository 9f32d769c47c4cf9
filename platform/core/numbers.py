"""Numbers and amounts as text for documents built outside templates (the PDFs of
analytics and exchange): rounded half up, then written by Django's localisation
(formats.number_format, grouping forced) in the active language — « 1 555,00 € » in
French. Templates use `floatformat` with the « g » suffix instead; machine-readable
exports (CSV, JSON, API) keep their plain decimals."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats


def number_text(value, places: int = 1) -> str:
    """`value` rounded half up to `places` decimals, grouped: 1234.56 → "1 234,6"."""
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    return formats.number_format(rounded, places, use_l10n=True, force_grouping=True)


def euros_text(value) -> str:
    """An amount in euros: 1555 → "1 555,00 €"."""
    return f"{number_text(value, 2)} €"
