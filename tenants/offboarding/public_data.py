"""What the apps above tenants keep about an authority in the public schema, declared by
each of them, so that offboarding handles it without importing them.

An authority's own schema is dropped whole, and exported and imported table by table
(catalog.py), whatever the apps put there. Its rows in the public schema are another
matter: catalogue entries, partner grants, sharing agreements, statistics settings and
facts belong to apps that sit above tenants. Each of those apps declares, from its
AppConfig.ready(), a `PublicData`:

- `withdraw(authority, withdrawal)`: when the authority's data is deleted
  (deletion.py), remove or close every row of the app that serves the authority's data
  to others; returns how many rows of each kind changed, for the audit log;
- `restore(authority, rows)`: when an export is imported into a new authority
  (restore.py), bring back the app's public rows that are data rather than derived
  (`rows(table)`: the export's rows of that public table, [] when it has none);
- `rebuild(authority)`: after every `restore`, recompute what the app derives from the
  authority's imported data (statistics facts from its transfers).

Every part is optional. Apps run in the order they are installed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tenants.models import Authority

ExportedRows = Callable[[str], list[dict]]


@dataclass(frozen=True)
class Withdrawal:
    """When the authority's data was deleted, and the text that rows closed on that
    account record as who closed them."""

    at: datetime
    by: str = "platform: data deleted"


@dataclass(frozen=True)
class PublicData:
    """What one app keeps about an authority in the public schema (see the module)."""

    withdraw: Callable[[Authority, Withdrawal], dict[str, int]] | None = None
    restore: Callable[[Authority, ExportedRows], None] | None = None
    rebuild: Callable[[Authority], object] | None = None


_DECLARED: dict[str, PublicData] = {}


def declare_public_data(label: str, data: PublicData) -> None:
    """Called once per app (`label`, the app's label), from its AppConfig.ready();
    calling again replaces the declaration."""
    _DECLARED[label] = data


def withdraw_everywhere(authority: Authority, withdrawal: Withdrawal) -> dict[str, int]:
    """Every declared withdrawal; the counts of all apps in one dict."""
    counts: dict[str, int] = {}
    for data in _DECLARED.values():
        if data.withdraw is not None:
            counts.update(data.withdraw(authority, withdrawal))
    return counts


def restore_everywhere(authority: Authority, rows: ExportedRows) -> None:
    """Every declared restore, then every declared rebuild (derived data is computed
    from what was restored)."""
    for data in _DECLARED.values():
        if data.restore is not None:
            data.restore(authority, rows)
    for data in _DECLARED.values():
        if data.rebuild is not None:
            data.rebuild(authority)
