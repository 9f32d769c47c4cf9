"""Sharing between the two demo authorities, in a browser: an agent of Grand
Châtellerault finds a shared listing of Châtellerault, says she is interested; the
poster gets the e-mail (moderators in Cc, Reply-To the agent), closes the listing as
exchanged with Grand Châtellerault, and the listing leaves the shared feed; the
agglomération's moderator confirms receipt, and only then is it among the items
received from other authorities."""

import io
import random
import re
import string
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.test_login import sign_in

pytestmark = pytest.mark.browser

TOWN, AGGLO = "chatellerault", "grand-chatellerault"
TITLE = "Armoire haute à portes battantes"  # shared by the demo (exchange/sharing/demo.py)


def test_find_contact_and_close_across_authorities(served_instance, browser):
    url = served_instance.url
    taker = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    poster = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

    # 1. Julien, agent of the agglomération, searches the other authorities' listings
    #    without accents and finds the town's wardrobe, with its authority and commune.
    sign_in(taker, served_instance, AGGLO, f"agent2@{AGGLO}.example")
    taker.goto(url(AGGLO, "/listings/"))
    taker.get_by_role("link", name="Autres collectivités").first.click()
    expect(taker.get_by_role("heading", level=1)).to_have_text("Autres collectivités")
    taker.fill("input[name=q]", "armoire battantes")
    taker.press("input[name=q]", "Enter")
    taker.wait_for_url(re.compile(r"[?&]q=armoire"))
    taker.wait_for_load_state("networkidle")
    result = taker.locator(f"#feed-results a[href^='/listings/shared/{TOWN}/']").first
    expect(result).to_be_visible()
    expect(taker.locator("#feed-results")).to_contain_text("Ville de Châtellerault")
    result.click()
    expect(taker.get_by_role("heading", level=1)).to_have_text(TITLE)
    listing_id = re.search(rf"/listings/shared/{TOWN}/(\d+)/", taker.url).group(1)
    main = taker.locator("main").inner_text()
    assert "€" not in main and "Camille" not in main  # no value, no poster before contact
    expect(taker.locator("img[src*='/photos/']").first).to_be_visible()

    # 2. He says he is interested.
    mails_before = len(served_instance.mails())
    taker.fill("textarea[name=message]", "Pour le local des archives de l'agglo")
    taker.click(f"form[action='/listings/shared/{TOWN}/{listing_id}/contact/'] "
                "button[type=submit]")
    expect(taker.locator("body")).to_contain_text("Ville de Châtellerault")

    # 3. Camille, the town's poster, gets the e-mail: moderators in Cc, Reply-To Julien.
    to_poster = served_instance.mails_since(mails_before, To=f"agent@{TOWN}.example")
    assert len(to_poster) == 1, served_instance.log_tail(20)
    message = to_poster[0]
    assert f"moderateur@{TOWN}.example" in message["Cc"]
    assert message["Reply-To"] == f"agent2@{AGGLO}.example"
    body = message.get_content()
    assert "Pour le local des archives de l'agglo" in body
    assert "Agglomération de Grand Châtellerault" in body
    # Julien gets his confirmation.
    assert served_instance.mails_since(mails_before, To=f"agent2@{AGGLO}.example")

    # 4. Camille closes the listing as exchanged with Grand Châtellerault.
    sign_in(poster, served_instance, TOWN, f"agent@{TOWN}.example")
    poster.goto(url(TOWN, f"/listings/{listing_id}/"))
    expect(poster.locator("body")).to_contain_text(f"agent2@{AGGLO}.example")
    poster.goto(url(TOWN, f"/listings/{listing_id}/close/"))
    poster.select_option("#id_reason", "exchanged_other_authority")
    poster.select_option("#id_recipient_authority_slug", AGGLO)
    poster.fill("#id_inventory_number", "INV-ARM-001")
    poster.click("button[type=submit].primary")
    poster.goto(url(TOWN, f"/listings/{listing_id}/"))
    expect(poster.locator(".badge.status-closed")).to_be_visible()
    expect(poster.locator("body")).to_contain_text("Agglomération de Grand Châtellerault")
    expect(poster.locator(".badge.receipt-pending")).to_have_text("En attente de réception")
    expect(poster.get_by_role("link", name="Télécharger (PDF)")).to_be_visible()

    # 5. The listing has left the agglomération's shared feed, and its page is gone.
    taker.goto(url(AGGLO, "/listings/shared/?q=armoire+battantes"))
    expect(taker.locator(f"a[href='/listings/shared/{TOWN}/{listing_id}/']")).to_have_count(0)
    response = taker.goto(url(AGGLO, f"/listings/shared/{TOWN}/{listing_id}/"))
    assert response.status == 404

    # 6. The agglomération's moderators are asked to confirm receipt; until one does,
    #    nothing counts on their side. The moderator confirms it from her own host, and
    #    it appears among the items received from other authorities.
    asked = served_instance.mails_since(mails_before, To=f"moderateur@{AGGLO}.example")
    asked = [m for m in asked if "confirmer la réception" in m["Subject"]]
    assert len(asked) == 1, served_instance.log_tail(20)
    assert url(AGGLO, "/listings/moderation/receipts/") in asked[0].get_content()
    moderator = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(moderator, served_instance, AGGLO, f"moderateur@{AGGLO}.example")
    moderator.goto(url(AGGLO, "/listings/moderation/received/"))
    expect(moderator.locator("table.received")).to_have_count(0)
    # The back office is grouped by task (issue 20): moderation, then its entry.
    moderator.locator(".back-office-groups").get_by_role("link", name="Modération").click()
    moderator.get_by_role("link", name="Cessions reçues à confirmer").click()
    expect(moderator.get_by_role("heading", level=1)).to_have_text(
        "Cessions reçues à confirmer")
    row = moderator.locator("tr.pending-receipt", has_text=TITLE)
    expect(row).to_contain_text("Ville de Châtellerault")
    assert f"agent@{TOWN}.example" not in moderator.locator("main").inner_text()
    row.get_by_role("button", name="Confirmer la réception").click()
    expect(moderator.locator("body")).to_contain_text("compte désormais dans vos chiffres")
    expect(moderator.locator("tr.pending-receipt")).to_have_count(0)
    moderator.locator(".back-office-groups").get_by_role("link", name="Statistiques").click()
    moderator.get_by_role("link", name="Reçus", exact=True).click()
    expect(moderator.get_by_role("heading", level=1)).to_have_text(
        "Reçus d'autres collectivités")
    expect(moderator.locator("table.received")).to_contain_text("Ville de Châtellerault")
    with moderator.expect_download() as download:
        moderator.get_by_role("link", name="Télécharger (PDF)").first.click()
    text = pdf_text(Path(download.value.path()).read_bytes())
    assert "INV-ARM-001" in text and "Agglomération de Grand Châtellerault" in text


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_admins_end_and_renew_sharing(served_instance, browser):
    """The town's administrator ends the agreement: the agglomération's feed empties at
    once; she proposes again, the agglomération's administrator accepts, it is back."""
    url = served_instance.url
    town_admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    agglo_admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(town_admin, served_instance, TOWN, f"admin@{TOWN}.example")
    sign_in(agglo_admin, served_instance, AGGLO, f"admin@{AGGLO}.example")

    agglo_admin.goto(url(AGGLO, "/listings/shared/"))
    expect(agglo_admin.locator("#feed-results .shared-card").first).to_be_visible()

    town_admin.goto(url(TOWN, "/listings/moderation/"))
    town_admin.locator(".back-office-groups").get_by_role("link", name="Paramètres").click()
    town_admin.get_by_role("link", name="Partage").click()
    expect(town_admin.get_by_role("heading", level=1)).to_have_text(
        "Partage avec d'autres collectivités")
    row = town_admin.locator("tr.agreement-active")
    expect(row).to_contain_text("Agglomération de Grand Châtellerault")
    row.get_by_role("button", name="Mettre fin au partage").click()
    expect(town_admin.locator("body")).to_contain_text("a pris fin")

    agglo_admin.goto(url(AGGLO, "/listings/shared/"))
    expect(agglo_admin.locator("#feed-results .shared-card")).to_have_count(0)

    town_admin.select_option("#id_authority", label="Agglomération de Grand Châtellerault")
    town_admin.get_by_role("button", name="Proposer de partager").click()
    expect(town_admin.locator("tr.agreement-proposed")).to_be_visible()

    agglo_admin.goto(url(AGGLO, "/listings/sharing/"))
    agglo_admin.locator("tr.agreement-proposed").get_by_role("button", name="Accepter").click()
    expect(agglo_admin.locator("tr.agreement-active")).to_contain_text("Ville de Châtellerault")
    expect(agglo_admin.locator(".sharing-events")).to_contain_text("A mis fin au partage")
    agglo_admin.goto(url(AGGLO, "/listings/shared/"))
    expect(agglo_admin.locator("#feed-results .shared-card").first).to_be_visible()

    # Its moderators' page of transfers to confirm opens (nothing above the cap here).
    agglo_admin.goto(url(AGGLO, "/listings/moderation/transfers/"))
    expect(agglo_admin.get_by_role("heading", level=1)).to_have_text("Cessions à confirmer")


def test_a_newcomer_joins_a_network_only_when_every_member_approved(served_instance, browser):
    """The town and the agglomération form a network; the town proposes a third
    authority: it is not invited until the agglomération's administrator approves it
    on her sharing page."""
    from tests.browser.test_operator_onboarding import random_siren

    url = served_instance.url
    newcomer_slug = "vouneuil-" + "".join(random.choices(string.ascii_lowercase, k=4))
    newcomer = f"Commune de Vouneuil {newcomer_slug[-4:]}"
    served_instance.manage("onboard_authority", "--name", newcomer, "--kind", "commune",
                           "--siren", random_siren(), "--slug", newcomer_slug,
                           "--admin-email", f"dgs@{newcomer_slug}.example",
                           "--email-domain", f"{newcomer_slug}.example")
    network_name = f"Agglo et communes {newcomer_slug[-4:]}"
    agglo = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    town = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(agglo, served_instance, AGGLO, f"admin@{AGGLO}.example")
    sign_in(town, served_instance, TOWN, f"admin@{TOWN}.example")

    # The agglomération creates the network and invites the town, which joins.
    agglo.goto(url(AGGLO, "/listings/sharing/"))
    agglo.fill("form.network-form input[name=name]", network_name)
    agglo.get_by_role("button", name="Créer un réseau").click()
    network = agglo.locator(f"article[data-network='{network_name}']")
    network.locator("select[name=authority]").select_option(label="Ville de Châtellerault")
    network.get_by_role("button", name="Inviter").click()
    expect(agglo.locator("body")).to_contain_text("Invitation envoyée à Ville de Châtellerault")
    town.goto(url(TOWN, "/listings/sharing/"))
    town.locator(f"article[data-network='{network_name}']").get_by_role(
        "button", name="Rejoindre").click()

    # The town proposes the newcomer: it waits for the agglomération.
    town_network = town.locator(f"article[data-network='{network_name}']")
    town_network.locator("select[name=authority]").select_option(label=newcomer)
    town_network.get_by_role("button", name="Inviter").click()
    expect(town.locator("body")).to_contain_text("Les autres membres doivent approuver")
    row = town.locator(f"article[data-network='{network_name}'] tr.invitation-pending")
    expect(row).to_contain_text(newcomer)
    expect(row).to_contain_text("Agglomération de Grand Châtellerault")  # awaiting it
    expect(row.get_by_role("button", name="Approuver")).to_have_count(0)

    # The agglomération's administrator sees it on her page and approves it.
    agglo.goto(url(AGGLO, "/listings/sharing/"))
    network = agglo.locator(f"article[data-network='{network_name}']")
    expect(network).to_contain_text("1 attend votre accord")
    network.locator("tr.invitation-pending").get_by_role("button", name="Approuver").click()
    expect(agglo.locator("body")).to_contain_text(f"Vous avez approuvé l'entrée de {newcomer}")
    invited = agglo.locator(f"article[data-network='{network_name}'] tr.invitation-invited")
    expect(invited).to_contain_text(newcomer)
    expect(agglo.locator(".sharing-events")).to_contain_text(
        "A approuvé l'entrée d'une collectivité dans un réseau")

    # The town leaves again, so the other stories see only the demo agreement.
    town.goto(url(TOWN, "/listings/sharing/"))
    town.locator(f"article[data-network='{network_name}']").get_by_role(
        "button", name="Quitter").click()
    expect(town.locator("body")).to_contain_text(f"Vous avez quitté « {network_name} »")
