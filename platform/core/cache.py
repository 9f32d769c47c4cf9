"""A read-through cache of small per-authority reads that nearly every page makes and
that change rarely: the exchange settings, the visible categories, the services and
sites the feed's filters offer.

    value = cached("exchange_settings", build)   # build() runs on a miss only
    invalidate("exchange_settings")               # where the data is written

Keys carry the schema the connection points at (`connection.schema_name`): two
authorities never read each other's values, whatever the cache's own key function.
They also carry `VERSION`, raised when the shape of a cached value changes, so that a
release never reads values pickled by the previous code.

`invalidate` deletes at once (the request or test that wrote reads the new value) and
again after the transaction commits: a read that ran between the write and the commit
may have cached the old rows, and would otherwise keep them. Writes that skip the model
(`bulk_create`, `update()`, COPY) must call `invalidate` themselves; `TIMEOUT` bounds
what a forgotten one costs.

Cached values are plain data or model instances (pickled by the cache backend: each
read gets its own copy, mutating it changes nothing in the cache).

A cache that fails (Redis stopped) is logged and read around: pages read the database
as before the cache existed, they do not fail with it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import connection, transaction

T = TypeVar("T")
logger = logging.getLogger(__name__)

VERSION = 1
TIMEOUT = 15 * 60  # seconds
_MISSING = object()


def key(name: str, schema: str | None = None) -> str:
    """The cache key of `name` for `schema` (by default the connection's schema)."""
    schema = schema or getattr(connection, "schema_name", "public")
    return f"authority:{schema}:{name}:v{VERSION}"


def cached(name: str, build: Callable[[], T], timeout: int = TIMEOUT) -> T:
    """The value cached under `name` for the current authority, or `build()`'s, cached."""
    entry = key(name)
    try:
        value = cache.get(entry, _MISSING)
    except Exception:
        logger.warning("cache unavailable: %s read from the database", name, exc_info=True)
        return build()
    if value is _MISSING:
        value = build()
        try:
            cache.set(entry, value, timeout)
        except Exception:
            logger.warning("cache unavailable: %s not kept", name, exc_info=True)
    return value


# The version of everything the feed's cards and filters show (the listings, their
# photos and transfers, the categories, services and sites, the exchange settings that
# choose the categories shown): forgotten by
# every write of these (their models' save() and delete(), the services' bulk
# updates), so that the next feed renders its cards anew under a new version.
LISTING_CARDS = "listing_cards"


def version(name: str) -> str:
    """A token that changes each time `name` is invalidated for the current authority
    (for keys of values too many to forget one by one: key them on the version)."""
    return cached(name, lambda: uuid.uuid4().hex)


def invalidate(*names: str, schema: str | None = None) -> None:
    """Forget `names` for `schema` (by default the connection's), now and after commit."""
    keys = [key(name, schema) for name in names]
    _forget(keys)
    transaction.on_commit(lambda: _forget(keys))


def _forget(keys: list[str]) -> None:
    try:
        cache.delete_many(keys)
    except Exception:
        logger.warning("cache unavailable: %s not forgotten", ", ".join(keys), exc_info=True)
