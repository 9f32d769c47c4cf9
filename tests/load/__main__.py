"""`make loadtest`: run the load test headless against the served stack, print the table
and write var/bench/load.json. Stops by itself.

    python -m tests.load [--url URL] [--users N] [--duration S] [--authorities N]
                         [--json PATH]

Without --url (or LOAD_URL): http://localhost:$PORT (8000), `make run`'s address. If
nothing listens there, the stack is started the way `make run` starts it (with DEBUG
off and WEB_CONCURRENCY gunicorn workers, by default 2 per CPU), seeded with --authorities
authorities, and stopped at the end. A stack that already runs is used as it is: the
authorities it lacks are left out (`make manage ARGS="seed_demo --authorities N"` adds
them). docs/operations.md, "Load test", says how to read the result.
"""

# Locust patches the standard library for gevent when imported: first, before anything
# opens a socket or a subprocess.
from tests.load import locustfile  # isort: skip

import argparse
import os
import sys
import time
from pathlib import Path

import gevent
from locust.env import Environment
from locust.log import setup_logging
from locust.runners import STATE_STOPPED

from tests.load import report, stack
from tests.load.plan import Plan, candidate_slugs, default_output

# The mix needs one agent, one moderator and one partner at least.
MIN_USERS = 3


def _arguments(argv: list[str]) -> argparse.Namespace:
    defaults = Plan.from_env()
    parser = argparse.ArgumentParser(prog="python -m tests.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=defaults.base_url)
    parser.add_argument("--users", type=int, default=defaults.users)
    parser.add_argument("--duration", type=float, default=defaults.duration,
                        help="seconds in all: the mix, then the probe (about 40 %%)")
    parser.add_argument("--authorities", type=int, default=len(defaults.authorities))
    parser.add_argument("--slice", type=float, default=defaults.slice_seconds,
                        help="seconds of each probe slice (feed, then sign-in page…)")
    parser.add_argument("--json", type=Path, default=default_output())
    arguments = parser.parse_args(argv)
    if arguments.users < MIN_USERS:
        parser.error(f"--users: at least {MIN_USERS} (an agent, a moderator, a partner)")
    return arguments


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def _progress(env: Environment, started: float) -> None:
    while True:
        gevent.sleep(10)
        total = env.stats.total
        print(f"  {time.monotonic() - started:4.0f} s: {total.num_requests} requests, "
              f"{total.num_failures} failed", flush=True)


def run(plan: Plan) -> tuple:
    """The mix then the probe, in this process; returns (environment, runner)."""
    setup_logging("WARNING")
    locustfile.configure(plan)
    locustfile.prepare(plan)
    env = Environment(user_classes=[locustfile.Agent, locustfile.Moderator,
                                    locustfile.Partner, locustfile.Probe],
                      shape_class=locustfile.RunShape(), host=plan.base_url,
                      stop_timeout=None)
    runner = env.create_local_runner()
    started = time.monotonic()
    printer = gevent.spawn(_progress, env, started)
    runner.start_shape()
    # The shape stops the runner; the bound is a safety net (a few times the plan).
    deadline = started + 3 * plan.duration + 120
    gevent.sleep(1)
    while runner.state != STATE_STOPPED and time.monotonic() < deadline:
        gevent.sleep(0.5)
    if locustfile.TIMELINE.probe_ended is None:
        locustfile.TIMELINE.probe_ended = time.time()
    printer.kill()
    runner.quit()
    return env, runner


def main(argv: list[str]) -> int:
    arguments = _arguments(argv)
    plan = Plan(base_url=arguments.url.rstrip("/"), users=arguments.users,
                duration=arguments.duration, slice_seconds=arguments.slice,
                authorities=candidate_slugs(arguments.authorities))
    plan.wait = Plan.from_env().wait
    plan.password = Plan.from_env().password
    log = arguments.json.with_name("load-stack.log")
    served = None
    kind = "existing"
    if not stack.listening(plan):
        if not stack.is_local(plan):
            print(f"Nothing answers at {plan.base_url}.", file=sys.stderr)
            return 2
        print(f"Nothing listens at {plan.base_url}: starting the stack (log: {log}).",
              flush=True)
        served = stack.Stack(plan, log)
        served.start()
        kind = "started"
    try:
        if served is not None:
            served.wait_ready()
            if arguments.authorities > 2:
                print(f"Seeding {arguments.authorities} authorities (seed_demo, once).",
                      flush=True)
                stack.seed(arguments.authorities, log)
        asked = plan.authorities
        plan.authorities = stack.present(plan, asked)
        if not plan.authorities:
            print(f"No demo authority answers at {plan.base_url}.", file=sys.stderr)
            return 2
        if len(plan.authorities) < len(asked):
            print(f"Only {len(plan.authorities)} of the {len(asked)} authorities asked for "
                  f"answer; `make manage ARGS=\"seed_demo --authorities {len(asked)}\"` "
                  "adds the others.", flush=True)
        print(f"Running {plan.duration:.0f} s with {plan.users} users over "
              f"{len(plan.authorities)} authorities: the mix for {plan.mix_seconds:.0f} s, "
              f"then the probe for {plan.probe_seconds:.0f} s.", flush=True)
        load_before, cpu_before, wall_before = os.getloadavg()[0], _cpu(), time.monotonic()
        env, runner = run(plan)
        wall = time.monotonic() - wall_before
        client = {"load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                  "client_cpu_share": round((_cpu() - cpu_before) / wall, 2)}
        result = report.summarize(
            stats=env.stats,
            exceptions=[(row["msg"], row["count"], row["traceback"])
                        for row in runner.exceptions.values()],
            plan=plan, timeline=locustfile.TIMELINE, probe_starts=locustfile.PROBE_STARTS,
            outcomes=locustfile.OUTCOMES, stack=kind, authorities_asked=len(asked),
            client=client)
    finally:
        if served is not None:
            print("Stopping the stack.", flush=True)
            served.stop()
    report.print_table(result)
    report.write(result, arguments.json)
    print(f"Written: {arguments.json}")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
