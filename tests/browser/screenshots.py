"""Phone screenshots for the README (issue 20): `make screenshots`, or
`python -m tests.browser.screenshots` with DATABASE_URL set.

Serves a seeded instance exactly as the browser tests do (tests/browser/conftest.py),
signs in as the demo agent on a 390 × 844 touch screen and writes
docs/screenshots/phone-feed.png, phone-listing.png and phone-post.png (the posting
form). A command run by hand when the pages change, never by the test suite: tests do
not write into docs/.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, ROOT, serve_instance

OUT = ROOT / "docs" / "screenshots"
SLUG = "chatellerault"
AGENT = "agent@chatellerault.example"
PASSWORD = "collectivrecup"  # the demo's (tests/browser/test_login.py, which needs Django set up)


def sign_in(page, instance) -> None:
    page.goto(instance.url(SLUG, "/accounts/login/"))
    page.get_by_label("Adresse e-mail").fill(AGENT)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(instance.url(SLUG, "/"))


class _Folders:
    """What serve_instance asks of pytest's tmp_path_factory: a fresh folder."""

    def __init__(self, root: Path):
        self.root = root

    def mktemp(self, name: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.root))


def take(instance, out: Path = OUT) -> list[Path]:
    """Write the phone screenshots of the feed, of its first listing and of the posting
    form into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        context = browser.new_context(**PHONE)
        page = context.new_page()
        sign_in(page, instance)
        page.goto(instance.url(SLUG, "/listings/"))
        expect(page.locator(".listing-card").first).to_be_visible()
        written.append(out / "phone-feed.png")
        page.screenshot(path=written[-1])
        page.locator(".listing-card-link").first.click()
        expect(page.locator("main h1")).to_be_visible()
        written.append(out / "phone-listing.png")
        page.screenshot(path=written[-1])
        page.goto(instance.url(SLUG, "/listings/new/"))
        page.fill("#id_title", "Chaises empilables")
        expect(page.locator("[data-category-suggestion]")).to_be_visible()
        written.append(out / "phone-post.png")
        page.screenshot(path=written[-1], full_page=True)
        browser.close()
    return written


def main() -> int:
    with tempfile.TemporaryDirectory() as root, \
            serve_instance(_Folders(Path(root))) as instance:
        for path in take(instance):
            print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
