"""A dependency that is down is not a bug: the database, the broker, the cache or the
file store not answering makes a request fail with a clean 503 ("try again in a
moment", a Retry-After header), never a 500 page or a stack trace.

`is_unavailable(exc)` says whether an exception (or one it was raised from) means that
a dependency did not answer; collectivrecup.errors answers pages with it, and the API's
error handler (core/api/errors.py) its problem+json 503. Nothing here imports the
drivers at module level beyond what Django itself loads: each family is looked up only
if its library is installed.
"""

from __future__ import annotations

import smtplib

from django.db import InterfaceError, OperationalError

# Seconds a client should wait before trying again (Retry-After): PostgreSQL restarting,
# a broker failing over or the store recovering take seconds, not minutes.
RETRY_AFTER_SECONDS = 10


def _optional(module: str, *names: str) -> tuple[type, ...]:
    """Exception classes of an optional library (none if it is not installed)."""
    try:
        # Imported here: each driver is optional for this module (redis without
        # REDIS_URL, botocore without a bucket).
        loaded = __import__(module, fromlist=list(names))
    except ImportError:
        return ()
    return tuple(getattr(loaded, name) for name in names if hasattr(loaded, name))


def _families() -> tuple[tuple[type, ...], tuple[type, ...]]:
    """(connection errors of the database, broker and cache; S3's transport errors)."""
    # ConnectionError: a refused or reset socket (a mail server or the store down);
    # SMTPException: a mail server answering 4xx/5xx to a mail sent during a request.
    down = (OperationalError, InterfaceError, ConnectionError, smtplib.SMTPException,
            *_optional("kombu.exceptions", "OperationalError"),
            *_optional("redis.exceptions", "ConnectionError", "TimeoutError", "BusyLoadingError"),
            *_optional("psycopg", "OperationalError", "InterfaceError"))
    store = _optional("botocore.exceptions", "EndpointConnectionError", "ConnectionClosedError",
                      "ReadTimeoutError", "ConnectTimeoutError")
    return down, store


_FAMILIES: tuple[tuple[type, ...], tuple[type, ...]] | None = None


def _server_side_client_error(exc: BaseException) -> bool:
    """botocore's ClientError for a 5xx answer (InternalError, SlowDown, ServiceUnavailable):
    the store failing, not a missing object or a refused key."""
    response = getattr(exc, "response", None)
    if type(exc).__name__ != "ClientError" or not isinstance(response, dict):
        return False
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    return int(status) >= 500


def _loaded_families() -> tuple[tuple[type, ...], tuple[type, ...]]:
    global _FAMILIES
    if _FAMILIES is None:
        _FAMILIES = _families()
    return _FAMILIES


def _in_chain(exc: BaseException | None, classes: tuple[type, ...], *,
              store_answers: bool) -> bool:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, classes) or (store_answers and _server_side_client_error(exc)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def is_unavailable(exc: BaseException | None) -> bool:
    """True when `exc`, or an exception it was raised from or during, says that a
    dependency (database, broker, cache, file store) did not answer."""
    down, store = _loaded_families()
    return _in_chain(exc, down + store, store_answers=True)


def is_store_unavailable(exc: BaseException | None) -> bool:
    """True when `exc` (or its chain) says that the file store alone did not answer: its
    endpoint unreachable or answering 5xx. What a form that stores files tells its user
    apart from the other outages, keeping what they typed (exchange.listings.photos)."""
    _down, store = _loaded_families()
    return _in_chain(exc, store, store_answers=True)
