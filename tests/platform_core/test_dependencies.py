"""pip-audit: no installed dependency with a known vulnerability, except those listed in
infra/pip-audit-ignore.txt with the reason each does not apply.

What is audited: the virtualenv `make install` built (`pip-audit --local`), i.e. the
versions the image also resolves from pyproject.toml, plus the dev and local extras; not
the project itself (`--skip-editable`: it is not on PyPI). Any other package that could
not be audited fails the test: pip-audit alone reports "No known vulnerabilities found"
when it could audit nothing.

The advisories come from PyPI's JSON API (pip-audit's default service), which the
machines of this workplace cannot reach (its per-version pages answer 404 here). The real
audit is therefore marked `network` and runs with `make audit`, where it FAILS if no
advisory data can be had (it never passes on an audit that checked nothing); `make test`
leaves it out. The plumbing itself (allow-list, failure on an unlisted advisory) is tested
offline, in `make test`, against a local OSV stand-in.
"""

import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALLOW_LIST = ROOT / "infra" / "pip-audit-ignore.txt"
PROJECT = "collectivrecup"  # installed editable by `make install`
ENTRY = re.compile(r"(?P<id>[A-Z][A-Z0-9]*-[A-Za-z0-9-]+)\s+#\s*(?P<reason>\S.*)")


def allowed_vulnerabilities(path: Path = ALLOW_LIST) -> dict[str, str]:
    """{advisory id: reason} from the allow-list; a line without a reason is an error."""
    allowed = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = ENTRY.fullmatch(line)
        if match is None:
            raise ValueError(f"{path.name}:{number}: expected 'ID  # reason', got {line!r}")
        allowed[match["id"]] = match["reason"]
    return allowed


def pip_audit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    # Without the repository on the path, which holds collectivrecup.egg-info.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-m", "pip_audit", "--progress-spinner", "off",
                           "--format", "json", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def audit_environment(allowed: dict[str, str], *service: str,
                      cwd: Path) -> tuple[int, list[str]]:
    """(number of packages audited, advisories found that the allow-list does not hold).

    Not `--strict`: it also fails on the project itself, which `--skip-editable` skips.
    The same rule is applied here instead: any other package left unaudited fails.
    """
    result = pip_audit("--local", "--skip-editable",
                       *(f"--ignore-vuln={vuln}" for vuln in allowed), *service, cwd=cwd)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"pip-audit could not audit:\n{result.stderr}") from None
    unaudited = [f"{dep['name']}: {dep['skip_reason']}" for dep in report["dependencies"]
                 if "skip_reason" in dep and dep["name"] != PROJECT]
    assert not unaudited, "pip-audit could not audit:\n" + "\n".join(unaudited)
    findings = [
        f"{dep['name']} {dep['version']}: {vuln['id']} "
        f"(fixed in {', '.join(vuln['fix_versions']) or 'no release yet'})"
        for dep in report["dependencies"] for vuln in dep.get("vulns", [])
    ]
    assert result.returncode == (1 if findings else 0), result.stderr
    return len(report["dependencies"]) - 1, findings


def test_allow_list_entries_each_give_a_reason(tmp_path):
    allowed_vulnerabilities()  # the project's own list parses
    sample = tmp_path / "ignore.txt"
    sample.write_text("# comment\n\nPYSEC-2024-1  # only the admin uses it\n")
    assert allowed_vulnerabilities(sample) == {"PYSEC-2024-1": "only the admin uses it"}
    sample.write_text("GHSA-aaaa-bbbb-cccc\n")
    with pytest.raises(ValueError, match="expected 'ID  # reason'"):
        allowed_vulnerabilities(sample)


class FakeOsv(BaseHTTPRequestHandler):
    """OSV's query API, knowing one advisory: PYSEC-TEST-1 on every Django version."""

    def do_POST(self):
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        body = {}
        if query["package"]["name"] == "django":
            body = {"vulns": [{
                "id": "PYSEC-TEST-1", "summary": "test advisory", "aliases": [],
                "affected": [{"package": {"name": "django", "ecosystem": "PyPI"},
                              "ranges": [{"type": "ECOSYSTEM",
                                          "events": [{"introduced": "0"},
                                                     {"fixed": "99.0"}]}]}]}]}
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def test_an_advisory_fails_the_audit_unless_the_allow_list_holds_it(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOsv)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    osv = ("--vulnerability-service", "osv",
           "--osv-url", f"http://127.0.0.1:{server.server_port}/v1/query")
    try:
        audited, findings = audit_environment({}, *osv, cwd=tmp_path)
        assert audited > 50  # the whole virtualenv, not a handful of packages
        assert len(findings) == 1 and re.fullmatch(
            r"django 5\.2\.\d+: PYSEC-TEST-1 \(fixed in 99\.0\)", findings[0])
        _, findings = audit_environment({"PYSEC-TEST-1": "test"}, *osv, cwd=tmp_path)
        assert findings == []
    finally:
        server.shutdown()
        server.server_close()


def advisory_service_answers(cwd: Path) -> bool:
    """Whether PyPI's advisory data can be had from here: Django 3.2.0 has several."""
    requirements = cwd / "known-vulnerable.txt"
    requirements.write_text("django==3.2.0\n")
    result = pip_audit("--no-deps", "--disable-pip", "-r", str(requirements), cwd=cwd)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        return False
    return any(dep.get("vulns") for dep in report.get("dependencies", []))


@pytest.mark.network
def test_no_known_vulnerability_outside_the_allow_list(tmp_path):
    assert advisory_service_answers(tmp_path), (
        "PyPI's advisory data cannot be reached from this machine "
        "(pypi.org/pypi/<name>/<version>/json): nothing to audit against")
    audited, findings = audit_environment(allowed_vulnerabilities(), cwd=tmp_path)
    assert audited > 50
    assert not findings, (
        "Known vulnerabilities: upgrade, or add 'ID  # reason' to "
        "infra/pip-audit-ignore.txt:\n" + "\n".join(findings))
