"""The served stack the load test targets: the one `make run` serves if it listens, or
one started here the same way (collectivrecup.localdev: migrations, the demo, then
gunicorn + Celery worker + beat under honcho) and stopped at the end."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import requests

from tests.load.plan import ROOT, Plan


def listening(plan: Plan) -> bool:
    parts = urlsplit(plan.base_url)
    try:
        with socket.create_connection((parts.hostname or "localhost", plan.port), timeout=2):
            return True
    except OSError:
        return False


def is_local(plan: Plan) -> bool:
    """Only a server on this machine may be started (or seeded) by the load test."""
    name = urlsplit(plan.base_url).hostname or ""
    return name == "localhost" or name.endswith(".localhost") or name.startswith("127.")


def _localdev(*args: str) -> list[str]:
    return [sys.executable, "-m", "collectivrecup.localdev", *args]


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "platform"), str(ROOT)])
    env.update(extra)
    return env


class Stack:
    """`python -m collectivrecup.localdev run` on the plan's port, in a session of its
    own (a Ctrl-C typed at the load test does not reach it; stop() does)."""

    def __init__(self, plan: Plan, log_path: Path):
        self.plan = plan
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self, *, debug: str = "0") -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("w")
        # DEBUG off like production (a DEBUG server keeps every query and serves static
        # files differently). gunicorn's workers: WEB_CONCURRENCY if set, else the
        # default of infra/gunicorn.conf.py (2 per CPU), as `make run`.
        env = _env({"PORT": str(self.plan.port), "DEBUG": os.environ.get("DEBUG", debug),
                    "PYTHONUNBUFFERED": "1"})
        self.process = subprocess.Popen(_localdev("run"), env=env, cwd=ROOT, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def wait_ready(self, timeout: float = 900) -> None:
        """Until /healthz answers (a fresh database migrates and seeds first: minutes)."""
        deadline = time.monotonic() + timeout
        url = f"{self.plan.base_url}/healthz"
        while True:
            try:
                if requests.get(url, headers={"Host": self.plan.host(None)},
                                timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the stack stopped while starting:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the stack did not answer in {timeout:.0f} s:\n"
                                   f"{self.log_tail()}")
            time.sleep(1)

    def stop(self) -> None:
        """Stop honcho the way it expects (SIGINT: it stops gunicorn, the worker and beat,
        each in a session of its own, and waits for them); then localdev returns. Any
        process of the stack still there after its grace time is stopped by its pid.

        Not SIGINT to localdev itself: on KeyboardInterrupt, its subprocess.call kills
        honcho outright, which can leave a Celery pool process behind."""
        if self.process is None:
            return
        try:
            leader = psutil.Process(self.process.pid)
            family = leader.children(recursive=True)
        except psutil.NoSuchProcess:
            family = []
        honchos = [p for p in family if "honcho" in " ".join(_cmdline(p))]
        for sig, grace in ((signal.SIGINT, 40), (signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            alive = [p for p in family if p.is_running()]
            if sig == signal.SIGINT:
                targets = [p for p in honchos if p.is_running()] or alive
            else:
                targets = alive
            if not alive:
                break
            for process in targets:
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.send_signal(sig)
            psutil.wait_procs(alive, timeout=grace)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []


def seed(authorities: int, log_path: Path) -> None:
    """`seed_demo --authorities N` against the local database (idempotent)."""
    with log_path.open("a") as log:
        subprocess.run(_localdev("exec", "--", sys.executable, str(ROOT / "manage.py"),
                                 "seed_demo", "--authorities", str(authorities)),
                       env=_env({}), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                       check=True)


def present(plan: Plan, slugs: list[str]) -> list[str]:
    """The authorities among `slugs` that the server knows (their sign-in page answers)."""
    found = []
    for slug in slugs:
        try:
            answer = requests.get(f"{plan.base_url}/accounts/login/",
                                  headers={"Host": plan.host(slug)}, timeout=30,
                                  allow_redirects=False)
        except requests.RequestException:
            continue
        if answer.status_code == 200:
            found.append(slug)
    return found
