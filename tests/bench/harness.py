"""Benchmark harness: a database of its own, timing helpers, one result table.

Timings are wall-clock on the machine running `make bench`; they are compared
between runs of the same machine, never asserted by tests.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    name: str
    n: int
    median_ms: float
    p95_ms: float
    extra: dict = field(default_factory=dict)
    module: str = ""


# `make bench` runs every module in one database, so the authorities they create must
# never share a SIREN (unique in the database). Each module draws from a block of its own:
# one million numbers, ten per index, so up to 100,000 authorities a block.
SIREN_BLOCKS = {
    "accounts": 1, "feed": 2, "bench-authorities": 3, "provisioning": 4, "sharing": 5,
    "sharing-partners": 6, "stats": 7, "stats-rows": 8, "partners": 9,
    "itassets": 10,
}
SMOKE = os.environ.get("BENCH_SMOKE") == "1"


def siren_for(block: str, index: int = 0) -> str:
    """A SIREN with a valid check digit, unique to (`block`, `index`) across modules."""
    from tenants.validators import luhn_is_valid

    if not 0 <= index < 100_000:
        raise ValueError(f"index {index} outside the block")
    seed = 500_000_000 + SIREN_BLOCKS[block] * 1_000_000 + index * 10
    for candidate in range(seed, seed + 10):
        if luhn_is_valid(str(candidate)):
            return str(candidate)
    raise AssertionError("no valid SIREN near seed")


def scaled(full: int, smoke: int) -> int:
    """A data size: `full` for `make bench`, `smoke` when BENCH_SMOKE=1 (the bench smoke
    test in `make test` runs every module at tiny sizes, to prove it still works)."""
    return smoke if SMOKE else full


def ensure_bench_authorities(count: int, *, threads: int = 2) -> None:
    """Authorities bench-0000… bench-<count-1> (with schemas), created once and shared by
    the migrations and provisioning modules. Each is a real `create_authority` (schema
    from the template's DDL, categories, settings), `threads` at a time, one database
    connection each: a thousand take about a minute on a 2-core machine."""
    import queue
    import threading

    from django.conf import settings
    from django.db import connection

    from tenants.models import Authority
    from tenants.provisioning import prepare_template
    from tenants.services import create_authority

    # No spare schemas meanwhile: each creation would queue a refill of the pool, and the
    # release benchmark counts its own spares.
    spares, settings.SPARE_SCHEMAS = settings.SPARE_SCHEMAS, 0

    existing = set(Authority.objects.filter(slug__startswith="bench-")
                   .values_list("slug", flat=True))
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    missing = [i for i in range(count) if f"bench-{i:04d}" not in existing]
    for index in missing:
        todo.put(index)
    prepare_template()  # once, before the threads (it may migrate the template)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            while not errors:
                try:
                    index = todo.get_nowait()
                except queue.Empty:
                    return
                create_authority(name=f"Commune {index}", kind="commune",
                                 siren=siren_for("bench-authorities", index),
                                 slug=f"bench-{index:04d}", status="active")
        except BaseException as error:  # re-raised in the calling thread
            errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    workers = [threading.Thread(target=work) for _ in range(min(threads, len(missing)))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    settings.SPARE_SCHEMAS = spares
    if errors:
        raise errors[0]


def measure(name: str, action: Callable[[], object], *, n: int, warmup: int = 5,
            before: Callable[[], object] | None = None, **extra) -> Result:
    """Run `action` warmup + n times; report the median and 95th percentile in ms.
    `before`, when given, runs before each run, untimed (what a background worker does
    between two requests). The smoke run (BENCH_SMOKE=1) runs it twice, without warm-up:
    it checks, not times."""
    if SMOKE:
        n, warmup = min(n, 2), 0
    for _ in range(warmup):
        if before:
            before()
        action()
    samples = []
    for _ in range(n):
        if before:
            before()
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(round(0.95 * len(samples))) - 1)]
    return Result(name, n, round(statistics.median(samples), 2), round(p95, 2), extra)


def report(results: list[Result], setup_seconds: float) -> Path:
    width = max(len(r.name) for r in results) + 2
    print(f"\n{'benchmark':<{width}}{'n':>6}{'median ms':>12}{'p95 ms':>10}  details")
    for r in results:
        details = ", ".join(f"{k}={v}" for k, v in r.extra.items())
        print(f"{r.name:<{width}}{r.n:>6}{r.median_ms:>12.2f}{r.p95_ms:>10.2f}  {details}")
    # BENCH_OUTPUT: the smoke test writes elsewhere, never over a real run's figures.
    out = Path(os.environ.get("BENCH_OUTPUT", ROOT / "var" / "bench" / "latest.json"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "smoke": SMOKE,
        "setup_seconds": round(setup_seconds, 1),
        "results": [asdict(r) for r in results],
    }, indent=2, ensure_ascii=False))
    print(f"\nwritten to {out}")
    return out
