"""Phone first (issue 20): on a 390 × 844 touch screen the header folds behind
« Menu » and the page's content comes first; the feed's search button stays inside its
card, its filters fold behind « Filtrer (n) » (open on a desktop) so that the first
listing shows on the first screen; the back office is grouped by task, one line per
group on a desktop; axe-core finds no serious or critical violation on a phone or on a
desktop."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.axe import serious_violations
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_login import sign_in

pytestmark = pytest.mark.browser

SLUG = "chatellerault"
AGENT = "agent@chatellerault.example"
ADMIN = "admin@chatellerault.example"
# Content first: the page's heading starts this close to the top of a phone screen.
CONTENT_WITHIN_PX = 120


def first_listing_path(page, instance) -> str:
    page.goto(instance.url(SLUG, "/listings/"))
    href = page.locator(".listing-card-link").first.get_attribute("href")
    assert re.fullmatch(r"/listings/\d+/", href), href
    return href


def heading_top(page) -> float:
    return page.locator("main h1").first.bounding_box()["y"]


def test_the_menu_folds_opens_navigates_and_closes_with_escape(served_instance, phone_page):
    page = phone_page
    sign_in(page, served_instance, SLUG, AGENT)
    page.goto(served_instance.url(SLUG, "/listings/"))
    toggle = page.get_by_role("button", name="Menu")
    my_listings = page.locator("#site-menu").get_by_role("link", name="Mes annonces")

    # Folded: the navigation is out of sight and of the accessibility tree.
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_attribute("aria-controls", "site-menu")
    expect(my_listings).to_be_hidden()
    assert heading_top(page) <= CONTENT_WITHIN_PX

    # A tap opens it; Escape closes it and gives the focus back to the button.
    toggle.tap()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(my_listings).to_be_visible()
    expect(page.locator("#site-menu").get_by_role("button", name="Se déconnecter")).to_be_visible()
    my_listings.focus()
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(my_listings).to_be_hidden()
    expect(toggle).to_be_focused()

    # From the keyboard: Enter opens it, Tab goes into it, a link navigates.
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    expect(page.locator("#site-menu a").first).to_be_focused()
    my_listings.tap()
    expect(page).to_have_url(served_instance.url(SLUG, "/listings/mine/"))
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")

    # Every link of the opened menu is a thumb's size (44 px high).
    page.get_by_role("button", name="Menu").tap()
    for link in page.locator("#site-menu .main-nav > a").all():
        assert link.bounding_box()["height"] >= 44, link.inner_text()


def test_without_javascript_the_navigation_is_shown(served_instance, browser):
    context = browser.new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, served_instance, SLUG, AGENT)
        page.goto(served_instance.url(SLUG, "/listings/"))
        expect(page.locator(".menu-toggle")).to_be_hidden()
        expect(page.locator("#site-menu").get_by_role("link", name="Mes annonces")).to_be_visible()
    finally:
        context.close()


def test_on_a_desktop_the_navigation_is_not_folded(served_instance, page):
    sign_in(page, served_instance, SLUG, AGENT)
    page.goto(served_instance.url(SLUG, "/listings/"))
    expect(page.locator(".menu-toggle")).to_be_hidden()
    expect(page.locator("#site-menu").get_by_role("link", name="Mes annonces")).to_be_visible()


def test_the_feed_search_button_stays_inside_its_card(served_instance, phone_page):
    page = phone_page
    sign_in(page, served_instance, SLUG, AGENT)
    page.goto(served_instance.url(SLUG, "/listings/"))
    card = page.locator("form.feed-filters").bounding_box()
    search = page.locator(".feed-search input").bounding_box()
    button = page.locator(".feed-search button").bounding_box()
    assert card["x"] >= 0 and card["x"] + card["width"] <= PHONE["viewport"]["width"]
    assert button["x"] + button["width"] <= card["x"] + card["width"], (button, card)
    assert search["x"] + search["width"] <= button["x"]
    assert abs(button["y"] - search["y"]) < search["height"]  # side by side, one row
    # Nothing on the page is wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    assert heading_top(page) <= CONTENT_WITHIN_PX

    # A search from the phone works.
    page.locator(".feed-search input").fill("chaise")
    page.locator(".feed-search button").tap()
    expect(page).to_have_url(re.compile(r"[?&]q=chaise"))


def test_on_a_phone_the_feed_shows_listings_first_its_filters_folded(served_instance,
                                                                     phone_page):
    page = phone_page
    sign_in(page, served_instance, SLUG, AGENT)
    page.goto(served_instance.url(SLUG, "/listings/"))
    panel = page.locator("details.feed-filter-panel")
    summary = panel.locator("summary")
    condition = page.get_by_label("État", exact=True)

    # Folded: « Filtrer » and the search box; the first card starts on the first screen.
    expect(summary).to_have_text("Filtrer")
    expect(page.locator(".feed-search input")).to_be_visible()
    expect(condition).to_be_hidden()
    assert panel.evaluate("details => details.open") is False
    first_title = page.locator(".listing-card .listing-title").first
    expect(first_title).to_be_visible()
    assert first_title.bounding_box()["y"] + first_title.bounding_box()["height"] <= (
        PHONE["viewport"]["height"])

    # A tap opens the filters; a filter swaps the results (htmx: the page stays, its
    # marker too) and the count shows on « Filtrer ».
    summary.tap()
    expect(condition).to_be_visible()
    assert not serious_violations(page)
    page.evaluate("window.feedNotReloaded = true")
    condition.select_option("used")
    expect(page).to_have_url(re.compile(r"[?&]condition=used"))
    # Its name, read out: the count in words (the « (1) » is not read).
    expect(summary).to_have_accessible_name(re.compile(r"^Filtrer ?, 1 filtre actif ?$"))
    expect(summary).to_contain_text("(1)")
    metas = page.locator("#feed-results .listing-meta")
    expect(metas.first).to_contain_text("Usagé")
    expect(page.locator("#feed-results .listing-meta:not(:has-text('Usagé'))")).to_have_count(0)
    assert page.evaluate("window.feedNotReloaded") is True

    # Opened on a phone with a filter: folded again, the count still shown, results first.
    page.reload()
    expect(summary).to_contain_text("(1)")
    expect(condition).to_be_hidden()
    expect(page.locator("#feed-results .listing-title").first).to_be_in_viewport()

    # Cleared: no count any more.
    summary.tap()
    condition.select_option("")
    expect(page).not_to_have_url(re.compile(r"condition=used"))
    expect(summary).to_have_text("Filtrer")


def test_on_a_desktop_the_feed_filters_are_open(served_instance, page):
    sign_in(page, served_instance, SLUG, AGENT)
    page.goto(served_instance.url(SLUG, "/listings/?condition=used"))
    expect(page.get_by_label("État", exact=True)).to_be_visible()
    expect(page.get_by_label("Catégorie", exact=True)).to_be_visible()
    expect(page.locator("details.feed-filter-panel summary")).to_contain_text("(1)")


def test_a_listing_page_puts_its_content_first(served_instance, phone_page):
    page = phone_page
    sign_in(page, served_instance, SLUG, AGENT)
    page.goto(served_instance.url(SLUG, first_listing_path(page, served_instance)))
    assert heading_top(page) <= CONTENT_WITHIN_PX
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]


# The groups of the back office an administrator who also moderates sees, with the
# entries of each: the same on a phone and a desktop.
ADMIN_GROUPS = {
    "Modération": ["File d'attente", "Cessions à confirmer", "Cessions reçues à confirmer",
                   "Réponses types"],
    "Statistiques": ["Chiffres", "Rapport", "Poids", "Loi AGEC", "Reçus", "Facteurs"],
    "Administration": ["Utilisateurs et rôles", "Journal", "Services", "Sites",
                       "Fournisseur d'identité"],
    "Paramètres": ["Catégories", "Paramètres des échanges", "Réglages des statistiques",
                 "Partage", "Partenaires", "Informations de facturation",
                 "Exporter nos données"],
}


def one_line(links) -> bool:
    tops = {round(link.bounding_box()["y"]) for link in links}
    return len(tops) == 1


def test_the_back_office_is_grouped_by_task_one_line_each_on_a_desktop(served_instance, page):
    sign_in(page, served_instance, SLUG, ADMIN)
    page.goto(served_instance.url(SLUG, "/listings/moderation/"))
    groups = page.locator(".back-office-groups a")
    expect(groups).to_have_text(list(ADMIN_GROUPS))
    for name, entries in ADMIN_GROUPS.items():
        page.locator(".back-office-groups").get_by_role("link", name=name).click()
        expect(page.locator(".back-office-groups a[aria-current=true]")).to_have_text(name)
        links = page.locator(".back-office-nav nav.subnav:not(.back-office-groups) a")
        expect(links).to_have_text(entries)
        expect(links.first).to_have_attribute("aria-current", "page")
        assert one_line(links.all()), name
        assert one_line(groups.all())
        # The row is one line high: no wrapping.
        row = page.locator(".back-office-nav nav.subnav:not(.back-office-groups)")
        assert row.bounding_box()["height"] < 2 * links.first.bounding_box()["height"]
        # An entry of the group opens its page, marked as the current one.
        last = links.last
        last.click()
        expect(page.locator(".back-office-nav a[aria-current=page]")).to_have_text(entries[-1])
        expect(page.locator(".back-office-groups a[aria-current=true]")).to_have_text(name)


def test_the_back_office_on_a_phone(served_instance, phone_page):
    page = phone_page
    sign_in(page, served_instance, SLUG, ADMIN)
    page.goto(served_instance.url(SLUG, "/listings/moderation/"))
    assert heading_top(page) <= CONTENT_WITHIN_PX + 100  # below the two short rows
    expect(page.locator(".back-office-groups a")).to_have_text(list(ADMIN_GROUPS))
    # Each row is one line that scrolls sideways inside the screen, never the page.
    for row in page.locator(".back-office-nav nav").all():
        box = row.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["viewport"]["width"]
        assert one_line(row.locator("a").all())
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    # The last group and its last entry, off screen at first, are reached with a tap.
    page.locator(".back-office-groups").get_by_role("link", name="Paramètres").tap()
    expect(page.locator(".back-office-groups a[aria-current=true]")).to_have_text("Paramètres")
    page.locator(".back-office-nav").get_by_role("link", name="Exporter nos données").tap()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator(".back-office-nav a[aria-current=page]")).to_have_text(
        "Exporter nos données")


PAGES = [
    (AGENT, "/listings/"),
    (AGENT, "listing"),
    (ADMIN, "/listings/moderation/"),
    (ADMIN, "/listings/moderation/report/"),
    (ADMIN, "/accounts/admin/users/"),
]


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_no_serious_accessibility_violation(served_instance, browser, device):
    context = browser.new_context(**device)
    page = context.new_page()
    found = {}
    try:
        for email, path in PAGES:
            context.clear_cookies()
            sign_in(page, served_instance, SLUG, email)
            if path == "listing":
                path = first_listing_path(page, served_instance)
            page.goto(served_instance.url(SLUG, path))
            expect(page.locator("main h1").first).to_be_visible()
            if device is PHONE:
                page.get_by_role("button", name="Menu").tap()  # the open menu too
                expect(page.locator("#site-menu")).to_be_visible()
            violations = serious_violations(page)
            if violations:
                found[path] = violations
    finally:
        context.close()
    assert not found, found


def test_the_accessibility_check_finds_what_it_should(browser):
    """The helper above is no rubber stamp: an image without text and a button without
    a name are reported."""
    page = browser.new_page()
    try:
        page.set_content('<html lang="fr"><title>t</title><main><h1>Essai</h1>'
                         '<img src="data:,"><button></button></main></html>')
        assert {v["id"] for v in serious_violations(page)} >= {"image-alt", "button-name"}
    finally:
        page.close()
