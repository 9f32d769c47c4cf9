"""`make faults` in small: a few seconds of three users while the mail server defers
then rejects every message, against a stack the script starts itself in a database and
a var/ folder of its own. Users see no error page, every contact request and moderation
decision made reaches the mail sink once, every transfer an agent was told was recorded
is in the database once (with its statistics fact when it counts), and nothing of the stack is left
running.

Not a timing test: recovery times depend on the machine; they live in
var/bench/faults.json and docs/operations.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.load.plan import ROOT
from tests.load.test_load_smoke import _processes_of
from tests.scratch_databases import create_database, drop_database


def test_the_mail_server_refusing_loses_and_duplicates_nothing(tmp_path):
    base_url = os.environ.get("DATABASE_URL")
    assert base_url, "the faults smoke test needs DATABASE_URL (run it through `make test`)"
    db_name = f"collectivrecup_faults_{os.getpid()}"
    database_url = create_database(base_url, db_name)
    output = tmp_path / "faults.json"
    var_dir = str(tmp_path / "var")
    env = {**os.environ, "VAR_DIR": var_dir, "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}"}
    for name in ("DJANGO_SETTINGS_MODULE", "DEMO_PASSWORD", "LOAD_URL", "DEBUG"):
        env.pop(name, None)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "tests.faults", "--cases", "mail", "--users", "3",
             "--fault-seconds", "4", "--warmup", "4", "--pause", "0", "--linger", "10",
             "--warmup-until", "contact requests,moderation decisions,transfers",
             "--recovery-limit", "90", "--database-url", database_url,
             "--var-dir", str(tmp_path / "faults"), "--json", str(output)],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=900)
        log = tmp_path / "faults" / "faults-stack.log"
        assert run.returncode == 0, (run.stdout[-4000:], run.stderr[-4000:],
                                     log.read_text()[-4000:] if log.exists() else "")
        stack_var = str(tmp_path / "faults" / "stack")
        left = _processes_of(stack_var)
        assert left == [], [process.cmdline() for process in left]
    finally:
        for process in _processes_of(str(tmp_path / "faults" / "stack")):
            process.kill()
        drop_database(base_url, db_name)

    result = json.loads(output.read_text())
    [case] = result["cases"]
    assert case["case"] == "mail"
    assert case["users_saw"]["requests"] > 0
    assert case["users_saw"]["stack_traces"] == 0
    assert case["users_saw"]["server_5xx"] == 0
    assert case["pages_back_after_s"] is not None
    assert result["target"]["database"] == "given (--database-url)"
    final = result["final"]["accounting"]
    # The first visit of each agent contacts a poster and the moderator decides: both
    # kinds are made in any run, and every one of them arrives once.
    for kind in ("contact requests", "moderation decisions"):
        assert final[kind]["made"] > 0, final
        assert final[kind]["delivered"] == final[kind]["made"], final
        assert 0 < final[kind]["confirmed_to_users"] <= final[kind]["made"], final
    # The agent's first visit also gives one of its published listings away.
    transfers = final["transfers"]
    assert 0 < transfers["confirmed_to_users"] <= transfers["made"], final
    assert transfers["delivered"] == transfers["confirmed_to_users"], final
    assert final["transfer facts"]["delivered"] == final["transfer facts"]["made"], final
    assert all(row["lost"] == 0 and row["duplicated"] == 0 for row in final.values()), final
    assert (result["lost"], result["duplicated"]) == (0, 0)
    assert "Written:" in run.stdout
