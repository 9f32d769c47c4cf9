"""checkov passes on terraform/, and every waiver in the code is needed and explained.

checkov lives in its own virtualenv (.venv-tools, made by `make tools`, which `make test`
runs first): its dependencies clash with the application's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from .terraform_files import ROOT, TERRAFORM, tf_files

CHECKOV = ROOT / ".venv-tools" / "bin" / "checkov"
SKIP_COMMENT = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+):(.*)$")
RESOURCE_LINE = re.compile(r'^(resource|data)\s+"([^"]+)"\s+"([^"]+)"')


def run_checkov(directory: Path) -> dict:
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV.relative_to(ROOT)} is missing: run `make tools` (make test does)")
    result = subprocess.run(
        [str(CHECKOV), "--directory", str(directory), "--framework", "terraform",
         "--compact", "--skip-download", "--output", "json"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
        # Not the application's import path: checkov runs on its own virtualenv only.
        env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
    )
    # checkov exits 1 when a check fails, 0 otherwise; anything else is a crash.
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["check_type"] == "terraform"
    return report


def address(resource: str) -> str:
    """`aws_iam_user.ses_smtp[0]` -> `aws_iam_user.ses_smtp`."""
    return re.sub(r"\[[^\]]*\]", "", resource)


def waivers_in_code() -> dict[tuple[str, str], str]:
    """(check id, resource address) -> reason, from the `#checkov:skip=` comments, each
    attributed to the resource block it sits in."""
    found = {}
    for path in tf_files():
        current = None
        for line in path.read_text(encoding="utf-8").splitlines():
            if match := RESOURCE_LINE.match(line):
                kind, rtype, name = match.groups()
                current = f"{rtype}.{name}" if kind == "resource" else f"data.{rtype}.{name}"
            if match := SKIP_COMMENT.search(line):
                assert current, f"{path.name}: waiver outside a resource: {line.strip()}"
                found[(match.group(1), current)] = match.group(2).strip()
    return found


@pytest.fixture(scope="module")
def report() -> dict:
    return run_checkov(TERRAFORM)


def test_checkov_passes(report):
    summary = report["summary"]
    failed = [f"{check['check_id']} {check['resource']} ({check['file_path']}): "
              f"{check['check_name']}" for check in report["results"]["failed_checks"]]
    assert failed == []
    assert summary["failed"] == 0
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] > 100
    assert summary["passed"] > 200


def test_every_skipped_check_is_a_waiver_with_a_reason(report):
    waivers = waivers_in_code()
    skipped = {(check["check_id"], address(check["resource"]))
               for check in report["results"]["skipped_checks"]}
    assert skipped == set(waivers)
    for (check_id, resource), reason in waivers.items():
        assert len(reason) >= 60, f"{check_id} on {resource}: say why, specifically"


def test_every_waiver_is_needed_and_the_scan_can_fail(tmp_path):
    """Without the waiver comments, checkov fails exactly the waived checks: no waiver is
    left over, and the scan above would catch a real failure."""
    copy = tmp_path / "terraform"
    copy.mkdir()
    for path in tf_files():
        text = path.read_text(encoding="utf-8")
        (copy / path.name).write_text(
            "\n".join(line for line in text.splitlines() if not SKIP_COMMENT.search(line)),
            encoding="utf-8",
        )
    report = run_checkov(copy)
    failed = defaultdict(set)
    for check in report["results"]["failed_checks"]:
        failed[(check["check_id"], address(check["resource"]))].add(check["file_path"])
    assert report["summary"]["skipped"] == 0
    assert set(failed) == set(waivers_in_code())


def test_the_tools_virtualenv_is_not_the_applications():
    assert shutil.which("checkov", path=str(ROOT / ".venv" / "bin")) is None
