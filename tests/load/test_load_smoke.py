"""`make loadtest` in small: a few seconds, three users, against a stack it starts itself
(collectivrecup.localdev run: migrations, the demo, gunicorn + worker + beat) in a
database and a var/ folder of its own. Every route of the mix must answer without an
error, load.json must carry the ratio, and the stack must be gone afterwards.

Not a timing test: the figures depend on the machine; their targets live in the
benchmarks and in docs/operations.md, never here."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import psutil

from exchange.partners.demo import demo_key
from tests.load.plan import DEMO_PARTNER_KEY, MIX_ROUTES, PROBE_FEED, PROBE_TRIVIAL, ROOT
from tests.scratch_databases import create_database, drop_database


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _processes_of(var_dir: str) -> list[psutil.Process]:
    """Live processes started with VAR_DIR=var_dir: the stack's, whatever their session."""
    found = []
    for process in psutil.process_iter():
        try:
            if (process.status() != psutil.STATUS_ZOMBIE
                    and process.environ().get("VAR_DIR") == var_dir):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def test_the_load_test_plays_every_route_and_writes_the_ratio(tmp_path):
    base_url = os.environ.get("DATABASE_URL")
    assert base_url, "the load smoke test needs DATABASE_URL (run it through `make test`)"
    db_name = f"collectivrecup_load_{os.getpid()}"
    database_url = create_database(base_url, db_name)
    port = _free_port()
    output = tmp_path / "load.json"
    var_dir = str(tmp_path / "var")
    env = {**os.environ, "DATABASE_URL": database_url, "VAR_DIR": var_dir,
           "PORT": str(port), "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}"}
    for name in ("DJANGO_SETTINGS_MODULE", "DEMO_PASSWORD", "LOAD_URL", "DEBUG"):
        env.pop(name, None)  # the stack's own defaults, as `make loadtest` has them
    try:
        run = subprocess.run(
            [sys.executable, "-m", "tests.load", "--url", f"http://localhost:{port}",
             "--users", "3", "--duration", "12", "--slice", "1", "--authorities", "2",
             "--json", str(output)],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=900)
        log = tmp_path / "load-stack.log"
        assert run.returncode == 0, (run.stdout[-4000:], run.stderr[-4000:],
                                     log.read_text()[-4000:] if log.exists() else "")
        assert not _listening(port), "the stack started by the load test still runs"
        left = _processes_of(var_dir)
        assert left == [], [process.cmdline() for process in left]
    finally:
        for process in _processes_of(var_dir):  # never leave a stack behind
            process.kill()
        drop_database(base_url, db_name)

    result = json.loads(output.read_text())
    assert result["target"]["stack"] == "started"
    assert result["target"]["authorities"] == ["chatellerault", "grand-chatellerault"]
    assert result["errors"] == []
    routes = {row["name"]: row for row in result["mix"]["routes"]}
    assert list(routes) == MIX_ROUTES
    unplayed = [name for name, row in routes.items() if row["requests"] == 0]
    assert unplayed == [], run.stdout
    assert [name for name, row in routes.items() if row["failures"]] == []
    probe = {row["name"]: row for row in result["probe"]["routes"]}
    assert set(probe) == {PROBE_FEED, PROBE_TRIVIAL}
    assert all(row["requests"] > 0 and row["failures"] == 0 for row in probe.values())
    ratio = result["ratio"]
    assert ratio["feed_rps"] > 0
    assert ratio["trivial_rps"] > 0
    assert abs(ratio["value"] - ratio["feed_rps"] / ratio["trivial_rps"]) < 0.01
    assert "Ratio feed / sign-in page" in run.stdout


def test_the_load_test_uses_the_demo_partner_key():
    assert demo_key() == DEMO_PARTNER_KEY
