"""`/readyz`: can this process serve? One check per dependency.

The checks run at once, each in a thread of its own, and the probe waits at most
READINESS_CHECK_TIMEOUT seconds for them: a dependency that hangs (packets dropped by a
firewall) costs the probe that long and is reported as "timeout", instead of holding a
gunicorn worker until the operating system gives up on the connection.

A failure is reported by the exception's class name only (`OperationalError`,
`ConnectionError`…): messages can carry host and user names. The log gets the message
too, with any credentials of a URL removed.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages
from django.db import connections

from collectivrecup.celery import app

log = logging.getLogger(__name__)

OK = "ok"
TIMEOUT = "timeout"
PROBE_CONTENT = b"readyz"
CREDENTIALS_IN_URL = re.compile(r"(://)[^/@\s]+@")


class RoundTripError(Exception):
    """A dependency answered, but did not give back what was just written."""


def check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    cache = caches["default"]
    # A key of its own: probes of several processes share the cache.
    key, value = f"readyz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=30)
    try:
        if cache.get(key) != value:
            raise RoundTripError("the cache did not return the value just set")
    finally:
        cache.delete(key)


def check_broker() -> None:
    """A connection to the Celery broker (Redis: connect and PING). kombu's filesystem
    transport (the local default) opens nothing, so its folders are checked instead."""
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                               timeout=settings.READINESS_CHECK_TIMEOUT)
        if conn.transport.driver_type == "filesystem":
            options = conn.transport_options or {}
            for key in ("data_folder_in", "data_folder_out", "control_folder"):
                folder = options.get(key)
                if folder and not (os.path.isdir(folder) and os.access(folder, os.W_OK)):
                    raise FileNotFoundError(f"broker folder {key} is missing or read-only")


def check_storage() -> None:
    """Media storage. On a local disk: write, read back and delete a tiny file, which
    catches a full, read-only or missing volume. On S3: one HEAD request (`exists`),
    which proves the endpoint and the credentials without leaving object versions
    behind in a versioned bucket at every probe."""
    storage = storages["default"]
    if isinstance(storage, FileSystemStorage):
        name = storage.save(f"readyz/{uuid.uuid4().hex}.txt", ContentFile(PROBE_CONTENT))
        try:
            with storage.open(name) as probe:
                if probe.read() != PROBE_CONTENT:
                    raise RoundTripError("the storage did not return the file just saved")
        finally:
            storage.delete(name)
    else:
        storage.exists(f"readyz/{uuid.uuid4().hex}.txt")


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "storage": check_storage,
}


@dataclass(frozen=True)
class Report:
    checks: dict[str, str]

    @property
    def failing(self) -> list[str]:
        return [name for name, result in self.checks.items() if result != OK]

    @property
    def ok(self) -> bool:
        return not self.failing

    def as_dict(self) -> dict:
        if self.ok:
            return {"status": "ok", "checks": self.checks}
        return {"status": "unavailable", "checks": self.checks, "failing": self.failing}


def _run_in_thread(check: Callable[[], None]) -> None:
    try:
        check()
    finally:
        connections.close_all()  # this thread's own database connection


def check_all(timeout: float | None = None) -> Report:
    timeout = settings.READINESS_CHECK_TIMEOUT if timeout is None else timeout
    executor = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="readyz")
    futures = {name: executor.submit(_run_in_thread, check) for name, check in CHECKS.items()}
    done, _ = wait(futures.values(), timeout=timeout)
    executor.shutdown(wait=False, cancel_futures=True)
    results = {}
    for name, future in futures.items():
        if future not in done:
            results[name] = TIMEOUT
            log.warning("readiness check %s timed out after %.1fs", name, timeout)
            continue
        error = future.exception()
        if error is None:
            results[name] = OK
        else:
            results[name] = type(error).__name__
            log.warning("readiness check %s failed: %s: %s", name, type(error).__name__,
                        CREDENTIALS_IN_URL.sub(r"\1***@", str(error)))
    return Report(results)
