"""A search holding a NUL byte shows a clean French 400 page, not the error page (issue
12: PostgreSQL refuses NUL in text, so the feed's search used to answer 500)."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_login import sign_in

pytestmark = pytest.mark.browser

SLUG = "chatellerault"


def test_a_search_with_a_nul_byte_shows_the_bad_request_page(served_instance, page):
    sign_in(page, served_instance, SLUG, f"agent2@{SLUG}.example")
    expect(page).to_have_url(served_instance.url(SLUG, "/"))
    response = page.goto(served_instance.url(SLUG, "/listings/?q=chaise%00"))
    assert response.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("Requête incorrecte")
    page.get_by_role("link", name="Retour à l'accueil").click()
    expect(page).to_have_url(served_instance.url(SLUG, "/"))
