"""Helpers of the IT register's tests: build inside `in_authority(...)`."""

from __future__ import annotations

from exchange.itassets import services
from tests.accounts.factories import it_staff


def asset(actor=None, *, serial_number: str = "PF3K9ZQ1", kind: str = "computer", **data):
    """An asset added through the service (so with its « created » event)."""
    return services.create_asset(actor=actor or it_staff(), kind=kind,
                                 serial_number=serial_number,
                                 make=data.pop("make", "Lenovo"),
                                 model=data.pop("model", "ThinkPad T14"), **data)
