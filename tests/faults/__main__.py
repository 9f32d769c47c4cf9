"""`make faults`: the load test of tests/load/ against a stack of the run's own while its
dependencies fail, one case after another; each case is bounded in time and the run
stops by itself. Prints a table and writes var/bench/faults.json.

    python -m tests.faults [--cases mail,s3,postgres,broker,worker] [--users N]
                           [--fault-seconds S] [--recovery-limit S] [--json PATH]
                           [--database-url URL]

The stack is started here the way `make run` starts it (tests/load/stack.py: gunicorn,
Celery worker and beat under honcho, DEBUG off), on a free port, with dependencies of
the run's own: an embedded PostgreSQL under var/faults/pgdata (never the machine's
PostgreSQL on 127.0.0.1:5432), a redis-server as broker and cache (REDIS_URL), an SMTP
sink (EMAIL_URL), an S3 store (AWS_*) and a partner's webhook receiver. Cases:

- postgres: the stack's PostgreSQL stopped (fast shutdown) while a mail is in flight
            (read by the mail server, its 250 not yet sent), then started again;
- broker:   Redis stopped and started again, empty (what was queued is gone);
- mail:     the mail server defers (451) then rejects (554) every message;
- s3:       the store answers 500 InternalError to everything;
- worker:   the Celery worker's pool processes killed (SIGKILL) while they send mail.

For each: what users saw (answers by kind: served, clean 503, other errors, and any
stack trace or debug page), how long until pages answered again and until everything
made was delivered, and the accounting: contact requests, moderation decisions,
transfers and webhooks made vs received by the sink and the receiver (lost, duplicated),
and transfers the users were told were recorded vs the database's rows, with what each
brought along (statistics fact, the receiving authority's receipt request and its mail).
With --database-url (the smoke test), the run uses that database and the postgres case
is left out. docs/operations.md, "Faults", says how to read the result.
"""

# Locust patches the standard library for gevent when imported: first.
from tests.load import locustfile  # isort: skip

import argparse
import collections
import contextlib
import html
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import gevent
import gevent.event
import psutil
import requests
from locust.env import Environment
from locust.exception import StopUser
from locust.log import setup_logging

from tests.faults import accounting
from tests.faults.servers import FakeS3, Redis, SmtpSink, WebhookReceiver, free_port
from tests.load import pages, stack
from tests.load.plan import ROOT, Plan, candidate_slugs

CASES = ["mail", "s3", "postgres", "broker", "worker"]
CLEAN_503_MARKERS = ("Service momentanément indisponible", "Service temporarily unavailable",
                     '"code":"unavailable"', '"code": "unavailable"',
                     # The listing form again, with what was typed, the file store down.
                     "pas pu être enregistrées pour le moment",
                     "could not be stored right now")
TRACE_MARKERS = ("Traceback (most recent call last)", "Django Version:", "Exception Value:",
                 'id="traceback"', "Internal Server Error</h1>")


def default_output() -> Path:
    return Path(os.environ.get("VAR_DIR", ROOT / "var")) / "bench" / "faults.json"


# --- What users saw ----------------------------------------------------------------------

class Seen:
    """Answers to the load test's users, by case (the current one takes each answer)."""

    def __init__(self):
        self.case = "warm-up"
        self.buckets: dict[str, dict] = {}
        self.samples: dict[str, list] = {}
        self.last_error_at: dict[str, float] = {}

    def bucket(self, case: str) -> dict:
        return self.buckets.setdefault(case, {
            "requests": 0, "served": 0, "clean_503": 0, "client_4xx": 0, "server_5xx": 0,
            "no_answer": 0, "stack_traces": 0, "by_route": {}})

    def record(self, name: str, response, exception) -> None:
        bucket = self.bucket(self.case)
        bucket["requests"] += 1
        status = getattr(response, "status_code", 0) or 0
        text = ""
        if status >= 500 or status == 0:
            with contextlib.suppress(Exception):
                text = response.text or ""
        if any(marker in text for marker in TRACE_MARKERS):
            bucket["stack_traces"] += 1
            self.samples.setdefault(self.case, []).append(text[:2000])
        if status == 0:
            kind = "no_answer"
        elif status < 400:
            kind = "served"
        elif status < 500:
            kind = "client_4xx"
        elif status == 503 and any(marker in text for marker in CLEAN_503_MARKERS):
            kind = "clean_503"
        else:
            kind = "server_5xx"
        bucket[kind] += 1
        if kind in ("no_answer", "server_5xx", "clean_503"):
            self.last_error_at[self.case] = time.time()
            route = bucket["by_route"].setdefault(name, {})
            route[str(status)] = route.get(str(status), 0) + 1


SEEN = Seen()


def _on_request(request_type, name, response_time, response_length, response=None,
                exception=None, **kwargs):
    SEEN.record(name, response, exception)


# --- Users that come back -----------------------------------------------------------------

class _Persistent:
    """A member whose sign-in failed (the database or the cache down) tries again a
    second later instead of leaving the run, as a person would."""

    def sign_in(self, email: str) -> None:
        for _attempt in range(600):
            try:
                return super().sign_in(email)
            except StopUser:
                self.clear_cookies()
                gevent.sleep(1)
        raise StopUser


class FaultAgent(_Persistent, locustfile.Agent):
    pass


class FaultModerator(_Persistent, locustfile.Moderator):
    pass


# --- The run ------------------------------------------------------------------------------

class Run:
    def __init__(self, arguments: argparse.Namespace):
        self.arguments = arguments
        self.var = Path(arguments.var_dir)
        self.var.mkdir(parents=True, exist_ok=True)
        self.log = self.var / "faults-stack.log"
        self.port = free_port()
        self.plan = Plan(base_url=f"http://localhost:{self.port}", users=arguments.users,
                         duration=3600, authorities=candidate_slugs(arguments.authorities))
        defaults = Plan.from_env()
        self.plan.wait, self.plan.password = defaults.wait, defaults.password
        self.sink = SmtpSink()
        self.receiver = WebhookReceiver()
        self.s3 = FakeS3(self.var / "s3")
        self.redis = Redis(self.var / "redis.log")
        self.postgres = None
        self.database_url = arguments.database_url
        self.stack: stack.Stack | None = None
        self.ticker: subprocess.Popen | None = None
        self.results: list[dict] = []
        self.skipped: dict[str, str] = {}

    # -- setting up
    def environment(self) -> dict[str, str]:
        env = {"DATABASE_URL": self.database_url, "VAR_DIR": str(self.var / "stack"),
               "EMAIL_URL": self.sink.url, "PORT": str(self.port), "DEBUG": "0",
               "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2"),
               # Sweeps every few seconds: the run measures recovery in seconds, not in
               # the production periods (30 s for the outbox, 5 min for contacts).
               "OUTBOX_SWEEP_SECONDS": "5", "CONTACT_RESEND_SWEEP_SECONDS": "5",
               "CONTACT_RESEND_AFTER_SECONDS": "10", **self.s3.env()}
        if self.redis.available:
            env["REDIS_URL"] = self.redis.url
        return env

    def setup(self) -> None:
        if not self.database_url:
            # Imported here: only a run with its own cluster starts one.
            from tests.faults.postgres import PrivatePostgres

            self.postgres = PrivatePostgres(self.var / "pgdata")
            self.database_url = self.postgres.url()
        if self.redis.available:
            self.redis.start()
        env = self.environment()
        for name in ("DJANGO_SETTINGS_MODULE", "DEMO_PASSWORD", "LOAD_URL"):
            os.environ.pop(name, None)
        os.environ.update(env)
        print(f"Starting the stack on port {self.port} (log: {self.log}).", flush=True)
        self.stack = stack.Stack(self.plan, self.log)
        self.stack.start()
        self.stack.wait_ready()
        if self.arguments.authorities > 2:
            stack.seed(self.arguments.authorities, self.log)
        self.plan.authorities = stack.present(self.plan, self.plan.authorities)
        self.manage_shell(
            "from tests.faults.django_side import prepare; "
            f"prepare({self.receiver.url!r}, {self.plan.authorities!r})")
        slugs = self.plan.authorities
        self.ticker = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "shell", "-c",
             f"from tests.faults.django_side import offer_ticker; offer_ticker({slugs!r})"],
            env=self._django_env(), cwd=ROOT, stdout=self.log.open("a"),
            stderr=subprocess.STDOUT, start_new_session=True)
        self.schemas = accounting.schemas(self.database_url, self.plan.authorities)

    def _django_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "platform"), str(ROOT)])
        return env

    def manage_shell(self, code: str) -> None:
        with self.log.open("a") as log:
            subprocess.run([sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
                           env=self._django_env(), cwd=ROOT, stdout=log,
                           stderr=subprocess.STDOUT, check=True, timeout=300)

    # -- probing
    def pages_answer(self) -> bool:
        """The sign-in page and the feed of the first authority, and the partner feed."""
        slug = self.plan.authorities[0]
        checks = [("/accounts/login/", {"Host": self.plan.host(slug)}),
                  ("/listings/", {"Host": self.plan.host(slug),
                                  "Cookie": locustfile.PROBE_COOKIES.get(slug, "")}),
                  ("/api/v1/partner/listings/?page_size=5",
                   {"Host": self.plan.host(None),
                    "Authorization": f"Bearer {self.plan.partner_key}"})]
        for path, headers in checks:
            try:
                answer = requests.get(self.plan.base_url + path, headers=headers, timeout=10,
                                      allow_redirects=False)
            except requests.RequestException:
                return False
            if answer.status_code != 200:
                return False
        return True

    def comparison(self) -> dict | None:
        try:
            made = accounting.made(self.database_url, self.marks, self.receiver.url)
        except Exception:  # the database down: no reading now
            return None
        return accounting.compare(made, self.sink.received, self.receiver.received,
                                  self.transfers_confirmed())

    def transfers_confirmed(self) -> collections.Counter:
        """The load test's confirmed transfers, by (schema, listing id)."""
        return collections.Counter({(self.schemas[slug], listing): count for
                                    (slug, listing), count in locustfile.TRANSFERS.items()})

    def wait_until(self, check, limit: float, every: float) -> float | None:
        started = time.monotonic()
        while time.monotonic() - started < limit:
            if check():
                return round(time.monotonic() - started, 1)
            gevent.sleep(every)
        return None

    # -- the faults
    def worker_pool(self) -> list[psutil.Process]:
        """The Celery worker's pool processes of this stack."""
        found = []
        stack_var = str(self.var / "stack")
        for process in psutil.process_iter():
            with contextlib.suppress(psutil.Error):
                line = " ".join(process.cmdline())
                if ("celery" in line and " worker" in line
                        and process.environ().get("VAR_DIR") == stack_var):
                    found.append(process)
        parents = {p.pid for p in found}
        return [p for p in found if p.ppid() in parents]

    def kill_busy_workers(self) -> int:
        """SIGKILL each pool process talking to the mail server right now (mid-task)."""
        killed = 0
        for process in self.worker_pool():
            with contextlib.suppress(psutil.Error):
                talking = [c for c in process.net_connections(kind="tcp")
                           if c.raddr and c.raddr.port == self.sink.port]
                if talking:
                    process.send_signal(signal.SIGKILL)
                    killed += 1
        return killed

    def post_while_store_down(self) -> dict:
        """An agent posts a listing with a photo while the store fails, once, whatever
        the mix happens to do: the answer must be the form again with what was typed,
        and no listing saved."""
        slug = self.plan.authorities[0]
        title = f"Posté pendant la panne du stockage {time.time():.0f}"
        headers = {"Host": self.plan.host(slug), "Origin": self.plan.origin(slug),
                   "Accept-Language": "fr-FR,fr;q=0.9"}
        session = requests.Session()
        try:
            login = session.get(f"{self.plan.base_url}/accounts/login/", headers=headers,
                                timeout=60)
            form = pages.read(login.text, "/accounts/login/").form(
                "/accounts/login/")
            session.post(f"{self.plan.base_url}/accounts/login/", timeout=60,
                         data=form.fields(username=self.plan.email("agent", slug),
                                          password=self.plan.password),
                         headers={**headers, "Referer": self.plan.origin(slug)},
                         allow_redirects=False)
            new = session.get(f"{self.plan.base_url}/listings/new/", headers=headers,
                              timeout=60)
            form = pages.read(new.text, "/listings/new/").form("/listings/new/")
            fields = form.fields(title=title, description="Photo envoyée pendant la panne.",
                                 category=form.selects["category"].choices()[0],
                                 quantity="2", condition="good", estimated_value="40",
                                 site=form.selects["site"].choices()[0], submit="")
            body, content_type = pages.multipart(
                fields, [("photos", "photo.jpg", "image/jpeg", locustfile.PHOTOS[0])])
            answer = session.post(f"{self.plan.base_url}/listings/new/", data=body,
                                  headers={**headers, "Content-Type": content_type,
                                           "Referer": self.plan.origin(slug) + "/listings/new/"},
                                  timeout=60, allow_redirects=False)
        except (requests.RequestException, AttributeError, KeyError, IndexError) as error:
            return {"error": f"{type(error).__name__}: {error}"[:200], "form_kept": False}
        with accounting.connect(self.database_url) as db:
            saved = db.execute(
                f'SELECT count(*) FROM "{self.schemas[slug]}".exchange_listing '  # noqa: S608
                "WHERE title = %s", [title]).fetchone()[0]
        return {"status": answer.status_code,
                "form_kept": answer.status_code == 503
                and html.escape(title, quote=True) in answer.text
                and "pas pu être enregistrées pour le moment" in answer.text,
                "listings_saved": saved}

    def inject(self, case: str) -> dict:
        seconds = self.arguments.fault_seconds
        detail: dict = {}
        if case == "mail":
            self.sink.mode = "defer"
            gevent.sleep(seconds / 2)
            self.sink.mode = "reject"
            gevent.sleep(seconds / 2)
            detail["refused"] = self.sink.refused
            self.sink.mode = "accept"
        elif case == "s3":
            self.s3.mode = "fail"
            started = time.monotonic()
            detail["post_with_photo"] = self.post_while_store_down()
            gevent.sleep(max(0.0, seconds - (time.monotonic() - started)))
            detail["failed_requests"] = self.s3.failed
            self.s3.mode = "accept"
        elif case == "postgres":
            # Stopped at the worst moment for the mail: a worker has handed a message
            # over and waits for the server's 250, which comes once the database is down
            # (so the worker must keep « accepted » until the database is back). If no
            # mail goes out within the case's time, stopped then.
            stopped = gevent.event.Event()

            def stop() -> None:
                self.postgres.stop()
                stopped.set()

            self.sink.arm(stop)
            in_flight = stopped.wait(timeout=seconds)
            if not in_flight:
                if self.sink.disarm():
                    stop()
                else:  # a message took the hook just now: it is stopping the database
                    in_flight = stopped.wait(timeout=120)
            detail["stopped_with_mail_in_flight"] = bool(in_flight)
            gevent.sleep(seconds)
            self.postgres.start()
        elif case == "broker":
            self.redis.stop()
            gevent.sleep(seconds)
            self.redis.start()
        elif case == "worker":
            # A slow mail server keeps tasks mid-send; each pool process caught sending
            # is killed. At least one kill, within twice the case's time.
            self.sink.delay = 2.0
            kills, started = 0, time.monotonic()
            while (time.monotonic() - started < seconds
                   or (kills == 0 and time.monotonic() - started < 2 * seconds)):
                kills += self.kill_busy_workers()
                gevent.sleep(0.3)
            self.sink.delay = 0.0
            detail["pool_processes_killed"] = kills
        return detail

    def run_case(self, case: str) -> dict:
        print(f"Case {case}: {self.arguments.fault_seconds:.0f} s of fault, then recovery "
              f"(at most {self.arguments.recovery_limit:.0f} s).", flush=True)
        SEEN.case = case
        before = self.comparison() or {}
        outcomes_before = collections.Counter(locustfile.OUTCOMES)
        started = time.time()
        detail = self.inject(case)
        restored = time.time()
        limit = self.arguments.recovery_limit
        pages_back = self.wait_until(self.pages_answer, limit, 0.5)
        delivered = self.wait_until(
            lambda: (found := self.comparison()) is not None
            and accounting.undelivered(found) == 0, limit, 2.0)
        # Users' errors that came after the dependency was back.
        last_error = SEEN.last_error_at.get(case)
        errors_after = round(max(0.0, last_error - restored), 1) if last_error else 0.0
        SEEN.case = f"after {case}"
        seen = SEEN.bucket(case)
        after = self.comparison() or {}
        # What the users made while the case ran (and until it recovered).
        made_during = {kind: row["made"] - before.get(kind, {}).get("made", 0)
                       for kind, row in after.items()}
        return {"case": case, "fault_seconds": round(restored - started, 1), **detail,
                "started_at": started, "restored_at": restored, "ended_at": time.time(),
                "users_saw": seen, "pages_back_after_s": pages_back,
                "errors_until_s_after_restore": errors_after,
                "all_delivered_after_s": delivered, "made_during_case": made_during,
                # What users were answered besides errors (contact refused, form kept…).
                "outcomes": {f"{route}: {outcome}": count for (route, outcome), count in
                             sorted((collections.Counter(locustfile.OUTCOMES)
                                     - outcomes_before).items())},
                "accounting": after or None}

    def traffic(self) -> tuple[Environment, object]:
        setup_logging("WARNING")
        locustfile.configure(self.plan)
        locustfile.prepare(self.plan)
        FaultAgent.host = FaultModerator.host = self.plan.base_url
        env = Environment(user_classes=[FaultAgent, FaultModerator, locustfile.Partner],
                          host=self.plan.base_url, stop_timeout=None)
        env.events.request.add_listener(_on_request)
        runner = env.create_local_runner()
        runner.start(self.plan.users, spawn_rate=self.plan.users)
        return env, runner

    def run(self) -> dict:
        cases = [case for case in self.arguments.cases if case in CASES]
        if "postgres" in cases and self.postgres is None:
            cases.remove("postgres")
            self.skipped["postgres"] = ("the run uses a database given by --database-url: "
                                        "only a cluster of its own is stopped")
        if "broker" in cases and not self.redis.available:
            cases.remove("broker")
            self.skipped["broker"] = ("no redis-server on this machine: the default broker "
                                      "is kombu's filesystem transport under var/celery/, "
                                      "a folder, which has no server to stop")
        self.marks = accounting.mark(self.database_url, list(self.schemas.values()))
        env, runner = self.traffic()
        gevent.sleep(self.arguments.warmup)
        if self.arguments.warmup_until:
            # A slow machine makes less in the same seconds: the cases start once the
            # users have made one of each named kind (bounded: a run that makes none is
            # then reported by the accounting, not waited on forever).
            self.wait_until(lambda: (found := self.comparison()) is not None and all(
                found.get(kind, {}).get("made", 0) > 0
                for kind in self.arguments.warmup_until),
                self.arguments.recovery_limit, 1.0)
        for case in cases:
            self.results.append(self.run_case(case))
            gevent.sleep(self.arguments.pause)
        SEEN.case = "drain"
        runner.quit()
        # Once the traffic stopped: everything made must arrive, none twice.
        drained = self.wait_until(
            lambda: (found := self.comparison()) is not None
            and accounting.undelivered(found) == 0, self.arguments.recovery_limit, 2.0)
        # A second copy comes late: a message whose « accepted » was not recorded waits
        # for the next sweep (its first-attempt grace, then the sweep's period). Listen
        # that long before counting.
        gevent.sleep(self.arguments.linger)
        final = self.comparison()
        if final is not None:
            # What the users were told was done (a 302 after the form): each must be in
            # the database; more in the database than confirmed is a request whose answer
            # the user did not get (the connection cut), never a loss.
            outcomes = locustfile.OUTCOMES
            confirmed = {
                "contact requests": outcomes[("contact", "sent")],
                "moderation decisions": outcomes[("moderation: approve", "done")]
                + outcomes[("moderation: changes", "done")]}
            for kind, count in confirmed.items():
                final[kind]["confirmed_to_users"] = count
                final[kind]["lost"] += max(0, count - final[kind]["made"])
        return {"target": {"url": self.plan.base_url, "users": self.plan.users,
                           "authorities": self.plan.authorities,
                           "broker": "redis" if self.redis.available else "filesystem",
                           "database": "private embedded cluster" if self.postgres
                           else "given (--database-url)",
                           "fault_seconds": self.arguments.fault_seconds},
                "cases": self.results, "skipped": self.skipped,
                "warm_up": SEEN.bucket("warm-up"),
                "final": {"drained_after_s": drained, "accounting": final,
                          "duplicated_mail": self.duplicated_mail(),
                          "mail_received": sum(self.sink.received.values()),
                          "webhooks_received": sum(self.receiver.received.values())},
                "stack_traces": SEEN.samples,
                "locust_errors": [{"name": e.name, "error": str(e.error)[:200],
                                   "occurrences": e.occurrences}
                                  for e in env.stats.errors.values()][:40]}

    def duplicated_mail(self) -> list[dict]:
        """Each message the sink got more than once, with when each copy came: during
        which case (its fault, or its recovery until the next case began)."""
        def during(moment: float) -> str:
            name = "warm-up"
            for case in self.results:
                if moment >= case["started_at"]:
                    name = (case["case"] if moment < case["restored_at"]
                            else f"after {case['case']}")
            return name

        return [{"message_id": key,
                 "copies": [{"at": round(moment, 3), "during": during(moment)}
                            for moment in self.sink.arrivals[key]]}
                for key, count in self.sink.received.items() if count > 1]

    def teardown(self) -> None:
        if self.ticker is not None and self.ticker.poll() is None:
            os.killpg(self.ticker.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.ticker.wait(timeout=10)
        if self.stack is not None:
            print("Stopping the stack.", flush=True)
            self.stack.stop()
        self.redis.stop()
        if self.postgres is not None:
            self.postgres.close()
        for server in (self.sink, self.receiver, self.s3):
            with contextlib.suppress(Exception):
                server.stop()


# --- Report -------------------------------------------------------------------------------

def totals(result: dict) -> tuple[int, int]:
    """Lost and duplicated over the whole run, once everything had time to arrive."""
    final = result["final"]["accounting"] or {}
    return (sum(row["lost"] for row in final.values()),
            sum(row["duplicated"] for row in final.values()))


# The table's lost/duplicated columns: one per kind the issue names, the rest together.
TABLE_KINDS = {"contacts": ["contact requests"], "decisions": ["moderation decisions"],
               "transfers": ["transfers"], "webhooks": ["webhooks"],
               "other": ["transfer mails", "transfer facts", "transfer receipts",
                         "receipt mails"]}


def _lost_dup(accounts: dict, kinds: list[str]) -> str:
    if not accounts:
        return "?"
    rows = [accounts[kind] for kind in kinds if kind in accounts]
    return f"{sum(r['lost'] for r in rows)}/{sum(r['duplicated'] for r in rows)}"


def print_table(result: dict) -> None:
    print()
    print("Lost/duplicated per kind (contacts, decisions, transfers, webhooks; other: the "
          "transfers' mails, facts and receipts).")
    print(f"{'case':<10} {'requests':>8} {'served':>7} {'503':>6} {'5xx':>5} {'no ans.':>7} "
          f"{'traces':>6} {'pages back':>10} {'errors until':>12} {'delivered':>9} "
          + " ".join(f"{kind:>9}" for kind in TABLE_KINDS))
    for case in result["cases"]:
        seen = case["users_saw"]
        accounts = case["accounting"] or {}

        def seconds(value):
            return "never" if value is None else f"{value:.1f} s"

        print(f"{case['case']:<10} {seen['requests']:>8} {seen['served']:>7} "
              f"{seen['clean_503']:>6} {seen['server_5xx']:>5} {seen['no_answer']:>7} "
              f"{seen['stack_traces']:>6} {seconds(case['pages_back_after_s']):>10} "
              f"{seconds(case['errors_until_s_after_restore']):>12} "
              f"{seconds(case['all_delivered_after_s']):>9} "
              + " ".join(f"{_lost_dup(accounts, kinds):>9}" for kinds in TABLE_KINDS.values()))
    for case, why in result["skipped"].items():
        print(f"{case:<10} skipped: {why}")
    for case in result["cases"]:
        if "stopped_with_mail_in_flight" in case:
            print(f"{case['case']}: stopped while a mail was in flight (read by the mail "
                  f"server, not yet accepted): "
                  f"{'yes' if case['stopped_with_mail_in_flight'] else 'no'}")
        posted = case.get("post_with_photo")
        if posted:
            print(f"{case['case']}: a listing posted with a photo while the store failed: "
                  f"HTTP {posted.get('status')}, form shown again with what was typed: "
                  f"{'yes' if posted.get('form_kept') else 'NO'}, listings saved: "
                  f"{posted.get('listings_saved')}")
        kept = case["outcomes"].get("post: store down: form kept", 0)
        lost = case["outcomes"].get("post: store down: form lost", 0)
        if kept or lost:
            print(f"{case['case']}: listings posted with a photo while the store failed: "
                  f"{kept} shown the form again with what was typed, {lost} not")
    final = result["final"]
    print()
    print(f"After the run (drained in {final['drained_after_s']} s):")
    for kind, row in (final["accounting"] or {}).items():
        told = row.get("confirmed_to_users")
        told = "" if told is None else f"  (users told done: {told})"
        print(f"  {kind:<22} made {row['made']:>4}  delivered {row.get('delivered', 0):>4}  "
              f"lost {row['lost']:>3}  duplicated {row['duplicated']:>3}{told}")
    for mail in final.get("duplicated_mail", []):
        print(f"  mail received {len(mail['copies'])} times: {mail['message_id']}, during "
              + ", ".join(copy["during"] for copy in mail["copies"]))


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.faults", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=lambda text: [c.strip() for c in text.split(",")],
                        default=list(CASES), help=f"comma list among {','.join(CASES)}")
    parser.add_argument("--users", type=int, default=int(os.environ.get("LOAD_USERS", 4)))
    parser.add_argument("--authorities", type=int, default=2)
    parser.add_argument("--fault-seconds", type=float, default=20.0)
    parser.add_argument("--recovery-limit", type=float, default=120.0,
                        help="seconds a case may take to recover before it is reported so")
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--warmup-until", type=lambda text: [k.strip() for k in
                                                           text.split(",") if k.strip()],
                        default=[], help="comma list of accounting kinds (e.g. "
                        "'contact requests,transfers'): after --warmup, wait (at most "
                        "--recovery-limit seconds) until the users made one of each")
    parser.add_argument("--pause", type=float, default=3.0, help="seconds between cases")
    parser.add_argument("--linger", type=float, default=40.0,
                        help="seconds to keep listening once everything arrived, for late "
                        "second copies (the outbox's first-attempt grace is 20 s, the "
                        "run's sweeps every 5 s)")
    parser.add_argument("--database-url", default="",
                        help="use this database (the postgres case is then left out)")
    parser.add_argument("--var-dir", default=str(
        Path(os.environ.get("VAR_DIR", ROOT / "var")) / "faults"))
    parser.add_argument("--json", type=Path, default=default_output())
    arguments = parser.parse_args(argv)
    unknown = [case for case in arguments.cases if case not in CASES]
    if unknown:
        parser.error(f"unknown cases: {unknown}")
    if arguments.users < 3:
        parser.error("--users: at least 3 (an agent, a moderator, a partner)")
    return arguments


def main(argv: list[str]) -> int:
    arguments = _arguments(argv)
    run = Run(arguments)
    try:
        run.setup()
        result = run.run()
    finally:
        run.teardown()
    lost, duplicated = totals(result)
    result["lost"], result["duplicated"] = lost, duplicated
    result["stack_traces_seen"] = sum(case["users_saw"]["stack_traces"]
                                      for case in result["cases"])
    print_table(result)
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    arguments.json.write_text(json.dumps(result, indent=2, default=str, ensure_ascii=False))
    print(f"Written: {arguments.json}")
    result["forms_lost"] = sum(
        case["outcomes"].get("post: store down: form lost", 0)
        + ("post_with_photo" in case and not (case["post_with_photo"]["form_kept"]
                                               and case["post_with_photo"]["listings_saved"] == 0))
        for case in result["cases"])
    failed = lost or duplicated or result["stack_traces_seen"] or result["forms_lost"] or any(
        case["pages_back_after_s"] is None for case in result["cases"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
