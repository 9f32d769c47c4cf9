"""The image's HEALTHCHECK (infra/Dockerfile), run here as docker would run it: it
probes /healthz when PID 1 is gunicorn, and passes for the other roles."""

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


def healthcheck_program() -> str:
    dockerfile = (ROOT / "infra" / "Dockerfile").read_text(encoding="utf-8")
    match = re.search(r"^HEALTHCHECK [^\n]*\\\n\s+CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert match, "no exec-form HEALTHCHECK in infra/Dockerfile"
    executable, flag, program = json.loads(match.group(1))
    assert (executable, flag) == ("python", "-c")
    return program


class Web(BaseHTTPRequestHandler):
    status = 200
    paths: list[str] = []

    def do_GET(self):
        Web.paths.append(self.path)
        self.send_response(Web.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def web():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Web)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Web.status, Web.paths = 200, []
    yield server.server_port
    server.shutdown()
    server.server_close()


def run(pid1_cmdline: bytes, port: int, tmp_path: Path) -> int:
    """The program, with a file of ours standing for /proc/1/cmdline."""
    cmdline = tmp_path / "cmdline"
    cmdline.write_bytes(pid1_cmdline)
    program = healthcheck_program()
    assert "'/proc/1/cmdline'" in program
    program = program.replace("'/proc/1/cmdline'", repr(str(cmdline)))
    env = {**os.environ, "PORT": str(port)}
    return subprocess.run([sys.executable, "-c", program], env=env, capture_output=True,
                          timeout=30).returncode


GUNICORN = b"/opt/venv/bin/python\0/opt/venv/bin/gunicorn\0collectivrecup.wsgi:application\0"
WORKER = b"/opt/venv/bin/python\0/opt/venv/bin/celery\0-A\0collectivrecup\0worker\0"


def test_web_role_is_healthy_when_healthz_answers(web, tmp_path):
    assert run(GUNICORN, web, tmp_path) == 0
    assert Web.paths == ["/healthz"]


def test_web_role_is_unhealthy_on_an_error_or_no_answer(web, tmp_path):
    Web.status = 500
    assert run(GUNICORN, web, tmp_path) != 0
    assert run(GUNICORN, 1, tmp_path) != 0  # nothing listens on port 1


def test_other_roles_pass_without_a_probe(web, tmp_path):
    assert run(WORKER, 1, tmp_path) == 0
    assert Web.paths == []
