"""The bench smoke: every benchmark module runs at tiny sizes (BENCH_SMOKE=1) in a
database of its own and writes its rows to the JSON, so a benchmark broken by a change
fails `make test` instead of the next `make bench`. Timings are printed, never asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.bench.__main__ import MODULES
from tests.scratch_databases import drop_database

ROOT = Path(__file__).resolve().parents[2]


def test_every_bench_module_runs_and_writes_its_rows(tmp_path):
    database = f"bench_smoke{os.environ.get('TEST_DB_SUFFIX', '')}"
    output = tmp_path / "latest.json"
    env = {**os.environ, "BENCH_SMOKE": "1", "BENCH_DB": database,
           "BENCH_OUTPUT": str(output), "PYTHONPATH": f"{ROOT / 'platform'}{os.pathsep}{ROOT}"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("BENCH_AUTHORITIES", None)
    try:
        run = subprocess.run([sys.executable, "-m", "tests.bench"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=600)
    finally:
        drop_database(os.environ["DATABASE_URL"], database)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-6000:]

    written = json.loads(output.read_text())
    assert written["smoke"] is True
    by_module: dict[str, list[dict]] = {}
    for row in written["results"]:
        by_module.setdefault(row["module"], []).append(row)
    assert sorted(by_module) == sorted(MODULES)
    for module, rows in by_module.items():
        for row in rows:
            assert row["n"] >= 1, (module, row)
            assert row["median_ms"] > 0, (module, row)
    # The printed table names every row the JSON holds.
    for row in written["results"]:
        assert row["name"] in run.stdout
