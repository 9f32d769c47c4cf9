"""The load test's result: one table on the terminal and var/bench/load.json (its shape
is documented in docs/operations.md, "Load test")."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from tests.load.plan import (
    MIX_ROUTES,
    PROBE_FEED,
    PROBE_TRIVIAL,
    ROUTES,
    TRIVIAL_VIEW_REASON,
    Plan,
    Timeline,
)

SCHEMA = 1


def _route(entry, name: str, seconds: float, served: int | None = None) -> dict:
    method, path, what = ROUTES[name]
    row = {"name": name, "method": method, "path": path, "what": what,
           "requests": 0, "failures": 0, "rps": 0.0, "median_ms": None, "p95_ms": None,
           "p99_ms": None, "max_ms": None}
    if entry is not None and entry.num_requests:
        row.update(
            requests=entry.num_requests, failures=entry.num_failures,
            rps=round((entry.num_requests if served is None else served) / seconds, 2)
            if seconds else 0.0,
            median_ms=entry.median_response_time,
            p95_ms=entry.get_response_time_percentile(0.95),
            p99_ms=entry.get_response_time_percentile(0.99),
            max_ms=round(entry.max_response_time),
        )
    return row


def summarize(*, stats, exceptions: list[tuple[str, int, str]], plan: Plan, timeline: Timeline,
              probe_starts: list[tuple[str, float]], outcomes: dict, stack: str,
              authorities_asked: int, client: dict | None = None) -> dict:
    mix_seconds = (timeline.mix_ended or 0) - (timeline.mix_started or 0)
    entries = stats.entries
    mix = [_route(entries.get((name, ROUTES[name][0])), name, mix_seconds)
           for name in MIX_ROUTES]
    served = {kind: sum(1 for name, _ in probe_starts if name == kind)
              for kind in (PROBE_FEED, PROBE_TRIVIAL)}
    seconds = {kind: timeline.probe_time(kind) if timeline.probe_ended else 0.0
               for kind in served}
    probe = [_route(entries.get((kind, "GET")), kind, seconds[kind], served[kind])
             for kind in (PROBE_FEED, PROBE_TRIVIAL)]
    feed_rps = served[PROBE_FEED] / seconds[PROBE_FEED] if seconds[PROBE_FEED] else 0.0
    trivial_rps = (served[PROBE_TRIVIAL] / seconds[PROBE_TRIVIAL]
                   if seconds[PROBE_TRIVIAL] else 0.0)
    mix_requests = sum(row["requests"] for row in mix)
    errors = sorted(
        ({"route": error.name, "method": error.method, "error": str(error.error),
          "occurrences": error.occurrences} for error in stats.errors.values()),
        key=lambda e: -e["occurrences"])
    # Exceptions in the users' own code (a page that no longer has the expected form…).
    errors += [{"route": None, "method": None, "error": message or "exception",
                "occurrences": count, "traceback": traceback}
               for message, count, traceback in exceptions]
    return {
        "schema": SCHEMA,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        # The load generator shares the machine when the server is local: its CPU time
        # and the load average say how much the figures owe to contention.
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    **(client or {})},
        "target": {"url": plan.base_url, "stack": stack,
                   "authorities": plan.authorities, "authorities_asked": authorities_asked},
        "config": {"users": plan.users, "duration_s": plan.duration,
                   "mix_s": plan.mix_seconds, "probe_s": plan.probe_seconds,
                   "slice_s": plan.slice_seconds, "wait_s": list(plan.wait)},
        "mix": {
            "seconds": round(mix_seconds, 2),
            "requests": mix_requests,
            "failures": sum(row["failures"] for row in mix),
            "rps": round(mix_requests / mix_seconds, 2) if mix_seconds else 0.0,
            "routes": mix,
            "outcomes": [{"route": route, "outcome": outcome, "count": count}
                         for (route, outcome), count in sorted(outcomes.items())],
        },
        "probe": {
            "seconds": round(sum(seconds.values()), 2),
            "routes": probe,
        },
        "ratio": {
            "feed_rps": round(feed_rps, 2),
            "trivial_rps": round(trivial_rps, 2),
            "value": round(feed_rps / trivial_rps, 3) if trivial_rps else None,
            "feed": "GET /listings/ (signed-in agent, first page)",
            "trivial": "GET /accounts/login/ (" + TRIVIAL_VIEW_REASON + ")",
            "users": plan.users,
        },
        "errors": errors,
    }


def _ms(value) -> str:
    return "—" if value is None else f"{value:.0f}"


def print_table(result: dict) -> None:
    target, mix = result["target"], result["mix"]
    print()
    print(f"Load test of {target['url']} ({target['stack']} stack), "
          f"{result['config']['users']} users, authorities: {', '.join(target['authorities'])}")
    machine = result["machine"]
    if "client_cpu_share" in machine:
        before, after = machine["load_average_1m"]
        print(f"Machine: {machine['cpus']} CPUs, load average {before} → {after}; the load "
              f"generator used {machine['client_cpu_share']:.0%} of one CPU")
    print(f"Mix: {mix['requests']} requests in {mix['seconds']:.0f} s = {mix['rps']:.1f} req/s, "
          f"{mix['failures']} failed")
    header = f"{'route':<22} {'req':>6} {'fail':>5} {'req/s':>7} {'med ms':>7} " \
             f"{'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    print(header)
    print("-" * len(header))
    for row in [*mix["routes"], *result["probe"]["routes"]]:
        print(f"{row['name']:<22} {row['requests']:>6} {row['failures']:>5} "
              f"{row['rps']:>7.1f} {_ms(row['median_ms']):>7} {_ms(row['p95_ms']):>7} "
              f"{_ms(row['p99_ms']):>7} {_ms(row['max_ms']):>7}")
    for outcome in mix["outcomes"]:
        print(f"  {outcome['route']}: {outcome['outcome']} × {outcome['count']}")
    ratio = result["ratio"]
    value = "—" if ratio["value"] is None else f"{ratio['value']:.0%}"
    print(f"Ratio feed / sign-in page: {ratio['feed_rps']:.1f} / {ratio['trivial_rps']:.1f} "
          f"req/s = {value} (probe: {ratio['users']} clients without pause)")
    if result["errors"]:
        print("Errors:")
        for error in result["errors"]:
            print(f"  {error['occurrences']} × {error['method'] or ''} "
                  f"{error['route'] or '(user code)'}: {error['error']}")
    else:
        print("No errors.")


def write(result: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
