"""The inventory import's pages: upload → columns and preview → import, refused to
agents and moderators; a bad line shows in the preview and nothing is imported; a
file uploaded in another tab meanwhile is never imported under the first preview; the
register's CSV export."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from exchange.itassets import batches
from exchange.itassets.models import ErasureMethod, ErasureResult, ITAsset, ITImport
from tests.accounts.factories import SiteFactory, agent, authority_admin, it_staff, moderator
from tests.conftest import client_for, in_authority
from tests.exchange.itassets.batch_world import retired_batch
from tests.exchange.itassets.factories import asset, glpi_csv, glpi_line

pytestmark = pytest.mark.django_db


def upload(client, data: bytes, name: str = "glpi.csv"):
    return client.post("/it/import/", {"file": SimpleUploadedFile(name, data)})


def columns_post(client, response, **changes):
    """Post the columns page's form as proposed, with `changes`."""
    form = response.context["form"]
    data = {name: "" if value is None else value for name, value in form.initial.items()}
    data.update({"token": response.context["token"], "action": "preview", **changes})
    return client.post("/it/import/columns/", data)


def test_agents_and_moderators_are_refused_every_step(chatellerault):
    with in_authority(chatellerault):
        people = [agent(), moderator()]
    for person in people:
        client = client_for(chatellerault, person)
        for path in ("/it/import/", "/it/import/columns/", "/it/export.csv"):
            assert client.get(path).status_code == 403, path
        assert upload(client, glpi_csv([glpi_line(0)])).status_code == 403
    with in_authority(chatellerault):
        assert not ITAsset.objects.exists()


def test_the_it_team_uploads_confirms_previews_and_imports(chatellerault):
    with in_authority(chatellerault):
        staff = it_staff()
        SiteFactory(name="École Jules Ferry")
    client = client_for(chatellerault, staff)
    assert 'href="/it/import/"' in client.get("/it/").content.decode()
    response = upload(client, glpi_csv([glpi_line(n, Lieu="École Jules Ferry")
                                        for n in range(30)]))
    assert response.status_code == 302
    assert response["Location"] == "/it/import/columns/"
    page = client.get("/it/import/columns/")
    assert page.status_code == 200
    assert page.context["line_count"] == 30
    assert page.context["form"].initial["serial_number"] == "6"  # « Numéro de série »
    preview = columns_post(client, page)
    assert preview.status_code == 200
    assert preview.context["preview"].is_valid
    assert "SN000000" in preview.content.decode()
    with in_authority(chatellerault):
        assert not ITAsset.objects.exists()  # a preview writes nothing
    done = columns_post(client, page, action="import")
    assert done.status_code == 302 and done["Location"] == "/it/"
    with in_authority(chatellerault):
        assert ITAsset.objects.count() == 30
        record = ITImport.objects.get()
        laptop = ITAsset.objects.get(serial_number="SN000007")
    assert (record.file_name, record.actor_id, record.asset_count) == ("glpi.csv", staff.pk, 30)
    detail = client.get(f"/it/{laptop.pk}/").content.decode()
    assert "glpi.csv" in detail
    # The session's file is gone: the columns page sends back to the upload.
    assert client.get("/it/import/columns/")["Location"] == "/it/import/"


def test_a_bad_line_is_shown_and_nothing_is_imported(chatellerault):
    with in_authority(chatellerault):
        staff = authority_admin()
        asset(staff, serial_number="SN000004")
    client = client_for(chatellerault, staff)
    upload(client, glpi_csv([glpi_line(n) for n in range(8)]))
    page = client.get("/it/import/columns/")
    for action in ("preview", "import"):
        response = columns_post(client, page, action=action)
        assert response.status_code == 400
        errors = response.context["preview"].errors
        assert [(e.line, e.column) for e in errors] == [(6, "Numéro de série")]
        body = response.content.decode()
        assert 'data-line="6"' in body and "SN000004" in body
        assert 'id="inventory-import"' not in body
    with in_authority(chatellerault):
        assert ITAsset.objects.count() == 1
        assert not ITImport.objects.exists()


def test_a_missing_required_column_is_said_before_any_line(chatellerault):
    with in_authority(chatellerault):
        staff = it_staff()
    client = client_for(chatellerault, staff)
    upload(client, glpi_csv([glpi_line(0)]))
    page = client.get("/it/import/columns/")
    response = columns_post(client, page, serial_number="")
    assert response.status_code == 400
    assert response.context["form"].errors["serial_number"]
    response = columns_post(client, page, model=page.context["form"].initial["make"])
    assert response.status_code == 400
    assert response.context["preview"].errors[0].line is None


def test_a_file_uploaded_in_another_tab_is_not_imported_under_the_first_preview(
        chatellerault):
    with in_authority(chatellerault):
        staff = it_staff()
    client = client_for(chatellerault, staff)
    upload(client, glpi_csv([glpi_line(0)]))
    first = client.get("/it/import/columns/")
    upload(client, glpi_csv([glpi_line(1)]))
    response = columns_post(client, first, action="import")
    assert response.status_code == 302 and response["Location"] == "/it/import/columns/"
    with in_authority(chatellerault):
        assert not ITAsset.objects.exists()


def test_a_file_that_is_no_inventory_is_refused_on_the_upload(chatellerault):
    with in_authority(chatellerault):
        staff = it_staff()
    client = client_for(chatellerault, staff)
    response = upload(client, b"%PDF-1.4 ...", name="inventaire.pdf")
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert client.get("/it/import/columns/")["Location"] == "/it/import/"


def test_the_export_is_the_register_in_the_import_columns(chatellerault):
    with in_authority(chatellerault):
        staff = it_staff()
        asset(staff, serial_number="5CG1", notes="=cmd")
        asset(staff, serial_number="5CG2", kind="printer")
    response = client_for(chatellerault, staff).get("/it/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:4] == ["Type", "Fabricant", "Modèle", "Numéro de série"]
    assert lines[1].startswith("Ordinateur;Lenovo;ThinkPad T14;5CG1;")
    assert lines[1].endswith(";'=cmd")
    assert lines[2].startswith("Imprimante;")


def test_the_export_lists_the_assets_moved_on_by_a_batch(chatellerault):
    """An asset in a retirement batch, or gone, is in the export with its state (it
    used to stop the export: only the importable states had a name)."""
    with in_authority(chatellerault):
        batch, items, staff = retired_batch(2, erased=False)
        batches.record_erasure(batch=batch, items=items[1:], actor=staff,
                               method=ErasureMethod.DESTRUCTION, operator_name="Léa Martin",
                               erased_on=date(2026, 3, 2), result=ErasureResult.OK)
        batches.send_to_recycling(batch=batch, items=items[1:], actor=staff,
                                  recycler_name="Envie", recycler_kind="insertion")
    response = client_for(chatellerault, staff).get("/it/export.csv")
    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").splitlines()
    assert ";Réformé;" in lines[1] and ";Sorti de la collectivité;" in lines[2]
