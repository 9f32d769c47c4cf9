"""More of the exchange in a browser: moderation back-and-forth with standard replies,
« Je recherche… » requests and saved searches, the admin's rules and categories, and
the one-click outcome link of a reminder e-mail."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_login import sign_in

pytestmark = pytest.mark.browser

SLUG = "chatellerault"


def new_page(browser):
    return browser.new_context(viewport={"width": 1280, "height": 900}).new_page()


def post_listing(page, instance, title: str, *, submit: bool = True) -> str:
    page.goto(instance.url(SLUG, "/listings/new/"))
    page.fill("#id_title", title)
    page.click("details.more-details summary")  # « Plus de détails »
    page.fill("#id_description", "Bon état général.")
    page.select_option("#id_category", label="Table pliante / de collectivité")
    page.fill("#id_quantity", "4")
    page.select_option("#id_condition", "used")
    page.fill("#id_estimated_value", "80")
    page.locator("#id_site").select_option(index=1)
    page.click("button[name=submit]" if submit else "button[name=draft]")
    expect(page).to_have_url(re.compile(r"/listings/\d+/"))
    return re.search(r"/listings/(\d+)/", page.url).group(1)


def test_changes_requested_then_rejected_with_a_standard_reply(served_instance, browser):
    marker = uuid.uuid4().hex[:6]
    poster, moderator = new_page(browser), new_page(browser)
    sign_in(poster, served_instance, SLUG, "agent@chatellerault.example")
    sign_in(moderator, served_instance, SLUG, "moderateur@chatellerault.example")

    # The moderator writes a standard reply.
    moderator.goto(served_instance.url(SLUG, "/listings/moderation/replies/new/"))
    moderator.fill("#id_title", f"Hors d'usage {marker}")
    moderator.fill("#id_body", f"Objet hors d'usage : à déposer en déchèterie ({marker}).")
    moderator.click("form button[type=submit].primary")
    expect(moderator.locator("body")).to_contain_text(f"Hors d'usage {marker}")

    listing_id = post_listing(poster, served_instance, f"Tables pliantes {marker}")

    # Changes requested, with a typed message; the poster gets it by e-mail.
    before = len(served_instance.mails())
    moderator.goto(served_instance.url(SLUG, f"/listings/moderation/{listing_id}/"))
    moderator.fill("form.decision-changes textarea", "Ajoutez les dimensions, merci.")
    moderator.click("form.decision-changes button[type=submit]")
    [mail] = served_instance.mails_since(before, To="agent@chatellerault.example")
    assert "Ajoutez les dimensions" in mail.get_content()
    poster.goto(served_instance.url(SLUG, f"/listings/{listing_id}/"))
    expect(poster.locator(".badge.status-changes_requested")).to_be_visible()

    # The poster edits and submits again.
    poster.goto(served_instance.url(SLUG, f"/listings/{listing_id}/edit/"))
    poster.click("details.more-details summary")  # « Plus de détails »
    poster.fill("#id_dimensions", "180 x 80 cm")
    poster.click("form.listing-form button[name=submit]")
    poster.goto(served_instance.url(SLUG, f"/listings/{listing_id}/"))
    expect(poster.locator(".badge.status-pending")).to_be_visible()

    # Rejected with the standard reply (its text is used when the box is empty).
    before = len(served_instance.mails())
    moderator.goto(served_instance.url(SLUG, f"/listings/moderation/{listing_id}/"))
    moderator.locator("form.decision-reject select").select_option(
        label=f"Hors d'usage {marker}")
    moderator.click("form.decision-reject button[type=submit]")
    [mail] = served_instance.mails_since(before, To="agent@chatellerault.example")
    assert f"à déposer en déchèterie ({marker})" in mail.get_content()
    poster.goto(served_instance.url(SLUG, f"/listings/{listing_id}/"))
    expect(poster.locator(".badge.status-rejected")).to_be_visible()


def test_wanted_request_and_saved_search_alert(served_instance, browser):
    marker = uuid.uuid4().hex[:6]
    seeker, poster, moderator = new_page(browser), new_page(browser), new_page(browser)
    sign_in(seeker, served_instance, SLUG, "agent2@chatellerault.example")
    sign_in(poster, served_instance, SLUG, "agent@chatellerault.example")
    sign_in(moderator, served_instance, SLUG, "moderateur@chatellerault.example")

    seeker.goto(served_instance.url(SLUG, "/listings/wanted/new/"))
    seeker.fill("#id_title", f"Vestiaire {marker}")
    seeker.click("form button[type=submit].primary")
    seeker.goto(served_instance.url(SLUG, "/listings/wanted/"))
    expect(seeker.locator("body")).to_contain_text(f"Vestiaire {marker}")
    poster.goto(served_instance.url(SLUG, "/listings/wanted/"))
    expect(poster.locator("body")).to_contain_text(f"Vestiaire {marker}")

    listing_id = post_listing(poster, served_instance, f"Vestiaire métallique {marker}")
    before = len(served_instance.mails())
    moderator.goto(served_instance.url(SLUG, f"/listings/moderation/{listing_id}/"))
    moderator.click("form.decision-approve button[type=submit]")
    alerts = served_instance.mails_since(before, To="agent2@chatellerault.example")
    assert len(alerts) == 1
    assert f"/listings/{listing_id}/" in alerts[0].get_content()

    # A saved search from the feed.
    seeker.goto(served_instance.url(SLUG, f"/listings/?q=vestiaire+{marker}"))
    seeker.click("form.save-search button[type=submit]")
    expect(seeker.locator(".messages")).to_be_visible()


def test_admin_rules_and_categories(served_instance, page):
    marker = uuid.uuid4().hex[:6]
    sign_in(page, served_instance, SLUG, "admin@chatellerault.example")

    page.goto(served_instance.url(SLUG, "/listings/settings/"))
    page.fill("#id_contact_cc", "pas-une-adresse")
    page.click("form button[type=submit].primary")
    expect(page.locator(".field-invalid .error")).to_contain_text("pas-une-adresse")

    page.goto(served_instance.url(SLUG, "/listings/categories/new/"))
    page.fill("#id_name", f"Mobilier de crèche {marker}")
    page.locator("#id_parent").select_option(label="Mobilier")
    page.locator("#id_reference_code").select_option(index=1)
    page.click("form button[type=submit].primary")
    page.goto(served_instance.url(SLUG, "/listings/categories/"))
    expect(page.locator("body")).to_contain_text(f"Mobilier de crèche {marker}")


def test_outcome_link_from_the_reminder_closes_the_listing(served_instance, browser):
    marker = uuid.uuid4().hex[:6]
    poster, taker, moderator = new_page(browser), new_page(browser), new_page(browser)
    sign_in(poster, served_instance, SLUG, "agent@chatellerault.example")
    sign_in(taker, served_instance, SLUG, "agent2@chatellerault.example")
    sign_in(moderator, served_instance, SLUG, "moderateur@chatellerault.example")
    title = f"Bancs de vestiaire {marker}"
    listing_id = post_listing(poster, served_instance, title)
    moderator.goto(served_instance.url(SLUG, f"/listings/moderation/{listing_id}/"))
    moderator.click("form.decision-approve button[type=submit]")
    taker.goto(served_instance.url(SLUG, f"/listings/{listing_id}/"))
    taker.click(f"form[action='/listings/{listing_id}/contact/'] button[type=submit]")

    # A week later, the daily job mails the poster its one-click outcomes.
    before = len(served_instance.mails())
    served_instance.manage("shell", "-c", (
        "from datetime import timedelta; from django.utils import timezone; "
        "from django_tenants.utils import schema_context; "
        "from exchange.listings.reminders import send_outcome_reminders; "
        "ctx = schema_context('chatellerault'); ctx.__enter__(); "
        "print(send_outcome_reminders(now=timezone.now() + timedelta(days=8)))"))
    [reminder] = [m for m in served_instance.mails_since(before, To="agent@chatellerault.example")
                  if marker in (m["Subject"] or "") or title in m.get_content()]
    links = re.findall(r"http://\S+/listings/outcome/\S+/", reminder.get_content())
    assert len(links) == 3  # given to Julien, still available, withdrawn
    given = links[0]
    assert given.startswith(served_instance.url(SLUG, "/listings/outcome/"))

    # Opening the link only shows what will happen; the button records it.
    anonymous = new_page(browser)
    anonymous.goto(given)
    anonymous.click("form button[type=submit].primary")
    poster.goto(served_instance.url(SLUG, f"/listings/{listing_id}/"))
    expect(poster.locator(".badge.status-closed")).to_be_visible()
    expect(poster.locator("body")).to_contain_text("Services techniques")
    # The same link again: already done.
    anonymous.goto(given)
    expect(anonymous.locator("form button[type=submit].primary")).to_have_count(0)
