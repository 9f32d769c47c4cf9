"""`make test` on a machine without Chromium: it installs Debian's package when it can,
and otherwise stops at once with the line to run (infra/ensure-chromium.sh)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "infra" / "ensure-chromium.sh"


def _run(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT)], env={"PATH": "/usr/bin:/bin", **env},
                          capture_output=True, text=True, timeout=60)


def test_present_chromium_passes_silently():
    result = _run(CHROMIUM_PATH="/bin/true")
    assert result.returncode == 0
    assert result.stdout == result.stderr == ""


def test_missing_chromium_without_a_way_to_install_stops_at_once_with_the_line():
    started = time.monotonic()
    result = _run(CHROMIUM_PATH="/nonexistent/chromium", APT_GET="/nonexistent/apt-get")
    assert result.returncode == 1
    assert time.monotonic() - started < 5
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "apt-get install chromium" in lines[0]
    assert "/nonexistent/chromium" in lines[0]


def test_make_test_checks_the_browser_before_anything_else():
    makefile = (ROOT / "Makefile").read_text()
    test_rule = next(line for line in makefile.splitlines() if line.startswith("test:"))
    assert test_rule.split(":", 1)[1].split()[0] == "browser"
    assert (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1] == "make test"
