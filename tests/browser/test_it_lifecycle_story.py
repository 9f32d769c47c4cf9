"""Computers' second and third lives in a browser (issue 19), on
grand-chatellerault.localhost (Châtellerault's register belongs to the IT register
story, which counts its assets). The IT team member retires 10 laptops into a batch,
records their data erasure at once, downloads the batch's erasure certificate (its text
read), gives 6 to a school (second life), donates 3 to an association under its
agreement (the transfer record read) and sends the last one to recycling (the removal
slip read): the batch closes. The moderators' report then shows 9 reused out of 10
retired this year, and the « Loi AGEC » page the décret n° 2023-266 share of 90 %, from
the register (the demo's batch in progress was retired last year). An agent is refused
the batches; from their account they open « Mon matériel informatique »: the demo
equipment they hold, with its serial numbers, none of the story's laptops."""

import io
import re
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.test_login import sign_in
from tests.exchange.partners.factories import siret

pytestmark = pytest.mark.browser

SLUG = "grand-chatellerault"


def pdf_text(path: str) -> str:
    reader = PdfReader(io.BytesIO(Path(path).read_bytes()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def association_with_agreement(instance, name: str, reference: str) -> int:
    """An association the authority gives to under a signed agreement (accepted grant),
    as the partners' pages would leave it; returns its id."""
    number = int(uuid.uuid4().int % 10**6)
    code = (
        "from exchange.partners import services as s; "
        "from tenants.models import Authority; "
        f"a = Authority.objects.get(slug={SLUG!r}); "
        f"p = s.create_partner(actor_email='operateur@collectivrecup.example', "
        f"legal_name={name!r}, kind='association', siret={siret(7_000_000 + number)!r}, "
        "contact_name='Camille Martin', "
        f"contact_email='contact{number}@asso.example', departements=['63']); "
        "g = s.grant_partner(authority=a, partner=p, scopes=['listings:read'], "
        f"actor_email='admin@{SLUG}.example', agreement_reference={reference!r}); "
        "s.accept_grant(grant_id=g.pk, partner_id=p.pk); print(p.pk)")
    return int(instance.manage("shell", "-c", code).strip().splitlines()[-1])


def tick(page, serials) -> None:
    for serial in serials:
        page.locator(f'input[name="items"][aria-label="{serial}"]').check()


def test_ten_laptops_erased_then_school_donation_and_recycling(served_instance, browser):
    url = served_instance.url
    run = uuid.uuid4().hex[:6].upper()
    serials = [f"LC{run}{n:02d}" for n in range(1, 11)]
    association = f"Association Numérique Solidaire {run}"
    agreement = f"CONV-NUM-{run}"
    partner_id = association_with_agreement(served_instance, association, agreement)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    staff = browser.new_context(viewport={"width": 1280, "height": 900},
                                accept_downloads=True).new_page()
    sign_in(staff, served_instance, SLUG, f"informatique@{SLUG}.example")

    # 0. Ten laptops in the register.
    for serial in serials:
        staff.goto(url(SLUG, "/it/new/"))
        staff.select_option("#id_kind", "computer")
        staff.fill("#id_make", "Lenovo")
        staff.fill("#id_model", "ThinkPad T480")
        staff.fill("#id_serial_number", serial)
        staff.get_by_role("button", name="Ajouter au registre").click()
        expect(staff).to_have_url(re.compile(r"/it/\d+/$"))

    # 1. The IT team member opens a batch from the register and retires the ten laptops by serial.
    staff.goto(url(SLUG, "/it/"))
    staff.get_by_role("link", name="Lots de réforme").click()
    staff.get_by_role("button", name="Ouvrir un lot").click()
    expect(staff).to_have_url(re.compile(r"/it/batches/\d+/$"))
    batch_path = re.search(r"/it/batches/\d+/", staff.url).group(0)
    reference = staff.get_by_role("heading", level=1).inner_text().removeprefix("Lot ")
    staff.fill("#id_serials", "\n".join(serials))
    staff.get_by_role("button", name="Réformer dans le lot").click()
    expect(staff.locator("table.batch-items tbody tr")).to_have_count(10)
    expect(staff.locator(".asset-state").first).to_have_text("Réformé, en attente d'effacement")

    # 2. They record their erasure at once.
    tick(staff, serials)
    staff.select_option("#id_erase-method", "overwrite")
    staff.fill("#id_erase-tool", "Blancco Drive Eraser")
    staff.fill("#id_erase-operator_name", "Léa Martin")
    staff.fill("#id_erase-erased_on", yesterday)
    staff.select_option("#id_erase-result", "ok")
    staff.get_by_role("button", name="Enregistrer l'effacement").click()
    expect(staff.locator(".erasure strong", has_text="Réussi")).to_have_count(10)

    # 3. The batch's certificate lists every laptop with its erasure.
    with staff.expect_download() as download:
        staff.get_by_role("link", name="Certificat d'effacement (PDF)").click()
    text = pdf_text(download.value.path())
    assert "Certificat d'effacement des données" in text and reference in text
    assert all(serial in text for serial in serials)
    assert "Blancco Drive Eraser" in text and "Léa Martin" in text
    assert text.count("Réussi") == 10 + 1  # ten rows and the statement

    # 4. Six go to a school: a second life in the authority.
    tick(staff, serials[:6])
    staff.select_option("#id_second_life-site", index=1)
    staff.get_by_role("button", name="Remettre au nouveau détenteur").click()
    expect(staff.locator("td.exit", has_text="Nouveau détenteur dans la collectivité")
           ).to_have_count(6)

    # 5. Three are donated to the association under its agreement.
    tick(staff, serials[6:9])
    staff.select_option("#id_donation-partner", str(partner_id))
    staff.fill("#id_donation-unit_value", "120")
    staff.get_by_role("button", name="Donner").click()
    expect(staff.locator("td.exit", has_text=association)).to_have_count(3)
    with staff.expect_download() as download:
        staff.get_by_role("link", name=re.compile(r"Procès-verbal de cession")).click()
    record = pdf_text(download.value.path())
    assert "Procès-verbal de cession à titre gratuit" in record and association in record
    assert all(serial in record for serial in serials[6:9])
    assert serials[0] not in record and agreement in record and "360,00 €" in record

    # 6. The last one is recycled by an insertion enterprise; the batch closes.
    tick(staff, serials[9:])
    staff.fill("#id_recycling-recycler_name", "Envie Auvergne")
    staff.select_option("#id_recycling-recycler_kind", "insertion")
    staff.get_by_role("button", name="Envoyer au recyclage").click()
    expect(staff.locator(".batch-state")).to_contain_text("Fermé")
    with staff.expect_download() as download:
        staff.get_by_role("link", name=re.compile(r"Bordereau d'enlèvement")).click()
    slip = pdf_text(download.value.path())
    assert "Envie Auvergne" in slip and serials[9] in slip and "1,7 kg" in slip

    # 7. A laptop's history keeps every move.
    staff.locator("table.batch-items a", has_text=serials[0]).click()
    expect(staff.locator(".itasset-history li > strong")).to_have_text([
        "Sorti du lot", "Effacement des données enregistré", "Réformé dans un lot",
        "Ajouté au registre"])

    # 8. The moderators' report of the year: 9 of the 10 retired laptops reused.
    year = date.today().year
    moderator = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(moderator, served_instance, SLUG, f"moderateur@{SLUG}.example")
    moderator.goto(url(SLUG, f"/listings/moderation/report/?period=year&year={year}"))
    expect(moderator.get_by_role("heading", name="Informatique (réemploi du matériel)")
           ).to_be_visible()
    expect(moderator.locator("#it-retired")).to_have_text("10")
    expect(moderator.locator("#it-reused")).to_have_text("9 sur 10")
    expect(moderator.locator("#it-share")).to_have_text("90,0 %")
    expect(moderator.locator("#it-second-life")).to_have_text("6")
    expect(moderator.locator("#it-donated")).to_have_text("3")
    expect(moderator.locator("#it-recycled")).to_have_text("1")
    expect(moderator.locator('#table-it tr[data-kind="computer"] td').nth(2)).to_have_text("9")
    # The « Loi AGEC » page: the décret n° 2023-266 share, from the register.
    moderator.goto(url(SLUG, f"/listings/moderation/agec/?year={year}"))
    expect(moderator.locator('#it-source[data-source="register"]')).to_be_visible()
    expect(moderator.locator("#it-retired")).to_have_text("10")
    expect(moderator.locator("#it-sent")).to_have_text("9")
    expect(moderator.locator("#it-ratio")).to_have_text("90,0 %")

    # 9. An agent opens no batch; their own equipment, from their account.
    agent = browser.new_context().new_page()
    sign_in(agent, served_instance, SLUG, f"agent@{SLUG}.example")
    assert agent.goto(url(SLUG, batch_path)).status == 403
    assert agent.goto(url(SLUG, "/it/batches/")).status == 403
    agent.goto(url(SLUG, "/accounts/profile/"))
    agent.get_by_role("link", name="Mon matériel informatique").click()
    expect(agent).to_have_url(re.compile(r"/it/mine/$"))
    serial_cells = agent.locator("table.my-itassets td.serial")
    expect(serial_cells.first).to_have_text(re.compile(r"^GRA[0-9A-Z]+$"))
    shown = serial_cells.all_inner_texts()
    assert shown and not set(shown) & set(serials)
