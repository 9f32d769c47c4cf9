"""Make stored rows equal to the rows wanted, in bulk: the diff that both projections of
the listings (statistics facts, catalogue entries) apply when they are rebuilt."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


def differs(row: Any, values: dict) -> bool:
    """Whether `row` holds other values than `values` (field name → value)."""
    return any(getattr(row, name) != value for name, value in values.items())


@dataclass(frozen=True)
class RowChanges:
    """What to write: rows to create, rows already updated in memory (save them with
    bulk_update), how many were unchanged, and the stored rows nobody wants any more."""

    to_create: list
    to_update: list
    unchanged: int
    orphans: dict


def plan_changes(existing: dict[Hashable, Any], wanted: dict[Hashable, dict], *,
                 build: Callable[[Hashable, dict], Any], now: datetime) -> RowChanges:
    """Compare `existing` rows (key → row) with `wanted` values (key → field values).

    A wanted key without a row gets `build(key, values)`; a row whose values differ is
    updated in memory and stamped `updated_at = now`; rows whose key is not wanted are
    the orphans. Writes nothing: the caller saves in bulk, in its transaction."""
    to_create, to_update, unchanged = [], [], 0
    for key, values in wanted.items():
        row = existing.get(key)
        if row is None:
            to_create.append(build(key, values))
        elif differs(row, values):
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = now
            to_update.append(row)
        else:
            unchanged += 1
    orphans = {key: row for key, row in existing.items() if key not in wanted}
    return RowChanges(to_create, to_update, unchanged, orphans)
