"""Offboarding in the browser: an authority's administrator requests the complete export,
sees its progress (htmx polling, no inline script) and downloads the ZIP; the operator
downloads it from the console (both downloads audited). The ZIP carries no credentials;
once imported as a new authority, a user cannot sign in with the old password and
chooses a new one through the e-mailed link."""

from __future__ import annotations

import json
import random
import re
import string
import zipfile

import pytest
from playwright.sync_api import expect

from tests.browser.operator import operator_sign_in
from tests.browser.test_account_pages import link_in
from tests.browser.test_login import sign_in
from tests.browser.test_operator_onboarding import random_siren

pytestmark = pytest.mark.browser

SLUG = "chatellerault"


def shell(instance, code: str) -> str:
    """Run Python in the instance's `manage.py shell`; its last line of output."""
    return instance.manage("shell", "-c", code).strip().splitlines()[-1]


def test_admin_exports_and_downloads_then_the_operator_downloads_it(served_instance, page,
                                                                    browser):
    sign_in(page, served_instance, SLUG, f"admin@{SLUG}.example")
    expect(page).to_have_url(served_instance.url(SLUG, "/"))
    page.goto(served_instance.url(SLUG, "/accounts/admin/users/"))
    # The back office is grouped by task (issue 20): the export is under « Paramètres ».
    page.locator(".back-office-groups").get_by_role("link", name="Paramètres").click()
    page.get_by_role("link", name="Exporter nos données").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Exporter nos données")

    # The worker runs in-process here (eager): the export is ready when the page returns.
    page.get_by_role("button", name="Exporter toutes nos données").click()
    expect(page.locator(".messages")).to_contain_text(
        "L’export est en préparation")
    row = page.locator("#exports tbody tr.export-row").first
    expect(row).to_contain_text("Prêt")
    with page.expect_download() as info:
        row.get_by_role("link", name=re.compile("Télécharger")).click()
    download = info.value
    assert re.fullmatch(rf"collectivrecup-{SLUG}-\d{{8}}-\d{{4}}\.zip", download.suggested_filename)
    with zipfile.ZipFile(download.path()) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        names = set(archive.namelist())
        listings = json.loads(archive.read("tables/exchange_listing.json"))
    assert manifest["authority"]["slug"] == SLUG
    assert {"README.md", "tables/accounts_user.csv", "public/tenants_authority.json"} <= names
    assert not {"tables/django_session.csv", "tables/authtoken_token.csv"} & names
    with zipfile.ZipFile(download.path()) as archive:
        users = json.loads(archive.read("tables/accounts_user.json"))
    assert users and {user["password"] for user in users} == {""}
    assert listings, "the demo's listings are in the export"
    assert any(name.startswith("media/") for name in names) == bool(manifest["media"])
    # The download is audited, and the administrators see who took the file.
    page.reload()
    expect(page.locator("#export-downloads tr.export-download-line").first) \
        .to_contain_text("Sophie Garnier")

    # Progress: an export being built shows its percentage and the row refreshes itself.
    export_id = shell(served_instance, (
        "from tenants.models import Authority, AuthorityExport;"
        f"e = AuthorityExport.objects.create(authority=Authority.objects.get(slug='{SLUG}'),"
        " status='running', progress=40, requested_by='admin');print(e.pk)")).strip()
    page.reload()
    running = page.locator(f"#export-{export_id}")
    expect(running).to_contain_text("En cours")
    expect(running).to_contain_text("40 %")
    shell(served_instance, (
        "from tenants.models import AuthorityExport;"
        f"AuthorityExport.objects.filter(pk={export_id}).update(status='failed', progress=40)"))
    expect(running).to_contain_text("L’export a échoué", timeout=10_000)

    # The operator downloads the same export from the console.
    operator_page = browser.new_context().new_page()
    operator_page.set_default_timeout(10_000)
    operator_sign_in(operator_page, served_instance)
    operator_page.goto(served_instance.url(None, f"/operator/authorities/{SLUG}/"))
    done = operator_page.locator("#offboarding tr.export-done").first
    with operator_page.expect_download() as info:
        done.get_by_role("link", name=re.compile("Télécharger")).click()
    with zipfile.ZipFile(info.value.path()) as archive:
        assert json.loads(archive.read("manifest.json"))["created_at"] == manifest["created_at"]
    operator_page.goto(served_instance.url(None, "/operator/"))
    expect(operator_page.locator('#operator-actions tr[data-action="export_downloaded"]')) \
        .to_have_count(2)
    operator_page.context.close()


def test_an_imported_authority_s_users_choose_a_new_password_by_email(served_instance, page,
                                                                     tmp_path):
    """The way back: `import_authority` on the operator's side, then a user's browser."""
    email = f"agent@{SLUG}.example"
    sign_in(page, served_instance, SLUG, email)  # the demo password works at home
    expect(page).to_have_url(served_instance.url(SLUG, "/"))
    page.context.clear_cookies()

    archive = tmp_path / "export.zip"
    shell(served_instance, (
        "from tenants.models import Authority;"
        "from tenants.offboarding.export import write_export;"
        f"f = open({str(archive)!r}, 'wb');"
        f"m = write_export(Authority.objects.get(slug='{SLUG}'), f); f.close(); print('ok')"))
    slug = "restauree-" + "".join(random.choices(string.ascii_lowercase, k=4))
    before = len(served_instance.mails())
    served_instance.manage("import_authority", str(archive), "--slug", slug,
                           "--siren", random_siren(), "--name", "Châtellerault restaurée")

    # The old password no longer opens the restored account.
    sign_in(page, served_instance, slug, email)
    expect(page.get_by_role("alert")).to_contain_text("mot de passe incorrect")

    [message] = served_instance.mails_since(before, To=email)
    assert "nouveau mot de passe" in message["Subject"]
    link = link_in(message, "/accounts/password-reset/")
    assert link.startswith(served_instance.url(slug, "/accounts/password-reset/"))
    page.goto(link)
    page.fill("#id_new_password1", "Nouveau-depart-86100")
    page.fill("#id_new_password2", "Nouveau-depart-86100")
    page.click("form button[type=submit].primary")
    sign_in(page, served_instance, slug, email, "Nouveau-depart-86100")
    expect(page).to_have_url(served_instance.url(slug, "/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")
