"""Browser-test harness: headless Debian Chromium, driven by Playwright, against a
real instance served by gunicorn exactly as `make run` serves it (migrated,
seeded with the demo, on <slug>.localhost subdomains), in a database and a var/
folder of its own.

Browser tests are black-box: they see pages and the .eml files the instance
writes, never the test database of the other tests.
"""

from __future__ import annotations

import email
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from pathlib import Path

import pytest

from tests.scratch_databases import create_database, drop_database

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@dataclass
class ServedInstance:
    port: int
    var_dir: Path
    env: dict

    def manage(self, *args: str) -> str:
        """Run a management command against the served instance; returns its output."""
        result = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args],
                                env=self.env, cwd=ROOT, capture_output=True, text=True,
                                check=True)
        return result.stdout

    def url(self, slug: str | None = None, path: str = "/") -> str:
        host = "localhost" if slug is None else f"{slug}.localhost"
        return f"http://{host}:{self.port}{path}"

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    def log_tail(self, lines: int = 60) -> str:
        """The end of the server's log, for assertion messages."""
        return "\n".join((self.var_dir / "gunicorn.log").read_text().splitlines()[-lines:])

    def mails_since(self, count: int, **headers: str) -> list[email.message.EmailMessage]:
        """Messages written after the first `count`, whose headers contain the values."""
        return [m for m in self.mails()[count:]
                if all(value in (m[name] or "") for name, value in headers.items())]

    def mails(self) -> list[email.message.EmailMessage]:
        files = sorted(self.mail_dir.glob("*.eml")) if self.mail_dir.exists() else []
        return [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def served_instance(tmp_path_factory) -> ServedInstance:
    with serve_instance(tmp_path_factory) as instance:
        yield instance


@contextmanager
def serve_instance(tmp_path_factory, **extra_env: str) -> Iterator[ServedInstance]:
    """Migrate, seed and serve an instance (environment `extra_env` added), in a
    database and a var/ folder of its own; stopped and dropped on exit."""
    base_url = os.environ.get("DATABASE_URL")
    assert base_url, "browser tests need DATABASE_URL (run them through `make test`)"
    db_name = f"collectivrecup_browser_{os.getpid()}{'_env' if extra_env else ''}"
    database_url = create_database(base_url, db_name)
    var_dir = tmp_path_factory.mktemp("instance")
    port = _free_port()  # before env: links in e-mails carry it
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "collectivrecup.settings.local",
        "VAR_DIR": str(var_dir),
        "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "DEBUG": "0",
        "WEB_CONCURRENCY": "2",
        "PYTHONUNBUFFERED": "1",
        "PORT": str(port),
        **extra_env,
    }
    env.pop("DEMO_PASSWORD", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate_schemas", "-v0"], env=env, cwd=ROOT, check=True)
    subprocess.run([*manage, "seed_demo"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    log = (var_dir / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "collectivrecup.wsgi:application",
         "--config", str(ROOT / "infra" / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    instance = ServedInstance(port=port, var_dir=var_dir, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(instance.url(), timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((var_dir / "gunicorn.log").read_text()) from None
                time.sleep(0.2)
        yield instance
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
        drop_database(base_url, db_name)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    # No locale: Chromium asks for English, and the product must still answer in French.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


# A phone as an agent holds it (issue 20): 390 × 844 CSS pixels, touch, mobile viewport.
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3,
         "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(**PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
