"""When the database does not answer, a person sees a short French page saying the
service is momentarily unavailable and to try again, with the site's stylesheet (served
under the content security policy) and a Retry-After header; never a 500 page or a trace.

The instance here is gunicorn as `make run` serves it, pointed at a PostgreSQL address
where nothing listens: the database is down from the start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT

pytestmark = pytest.mark.browser

SLUG = "chatellerault"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def instance_without_database(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("no-database")
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:{_free_port()}/none",
           "DJANGO_SETTINGS_MODULE": "collectivrecup.settings.local", "VAR_DIR": str(var_dir),
           "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}", "DEBUG": "0", "WEB_CONCURRENCY": "1",
           "PYTHONUNBUFFERED": "1"}
    log = (var_dir / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "collectivrecup.wsgi:application",
         "--config", str(ROOT / "infra" / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:  # /healthz needs no database
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((var_dir / "gunicorn.log").read_text()) from None
                time.sleep(0.2)
        yield port, var_dir
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def test_a_database_down_shows_the_unavailable_page(instance_without_database, page):
    port, var_dir = instance_without_database
    failed: list[str] = []  # what the page loads besides itself (the stylesheet)
    page.on("response", lambda answer: failed.append(f"{answer.status} {answer.url}")
            if answer.status >= 400 and answer.request.resource_type != "document" else None)
    response = page.goto(f"http://{SLUG}.localhost:{port}/listings/")
    assert response.status == 503, (var_dir / "gunicorn.log").read_text()[-3000:]
    assert response.headers["retry-after"] == "10"
    expect(page).to_have_title("Service momentanément indisponible · Collectiv'Récup")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Service momentanément indisponible")
    expect(page.get_by_text("Réessayez dans 10 secondes")).to_be_visible()
    # The stylesheet applied (no inline style: the content security policy allows it).
    assert page.evaluate("document.styleSheets.length") >= 1
    assert failed == []
    content = page.content()
    assert "Traceback" not in content and "OperationalError" not in content
    # "Réessayer" reloads the same address: still the same clean page while it is down.
    page.get_by_role("link", name="Réessayer").click()
    expect(page).to_have_url(f"http://{SLUG}.localhost:{port}/listings/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Service momentanément indisponible")
