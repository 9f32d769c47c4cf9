"""Export pages: the administrator's on its host and the operator's on the console; role
checks, isolation between authorities, audit, and deletion with a typed confirmation."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from tenants.lifecycle import change_status
from tenants.models import AuthorityExport, AuthorityStatus, ExportStatus, OperatorAction
from tenants.offboarding import catalog
from tests.accounts.factories import agent, authority_admin, operator
from tests.conftest import client_for, in_authority, verified_operator_client
from tests.tenants.factories import AuthorityExportFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"


def admin_of(authority):
    with in_authority(authority):
        return authority_admin()


def download(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_an_admin_exports_its_authority_and_downloads_the_zip(
        chatellerault, django_capture_on_commit_callbacks):
    admin = admin_of(chatellerault)
    client = client_for(chatellerault, admin)
    page = client.get("/admin/export/")
    assert page.status_code == 200
    assert "Exporter toutes nos données" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/export/new/")
    assert response.status_code == 302
    export = AuthorityExport.objects.get(authority=chatellerault)
    assert (export.status, export.progress, export.requested_by, export.by_operator) == (
        ExportStatus.DONE, 100, admin.email, False)
    assert export.file_name.startswith("exports/chatellerault/") and export.size > 0

    row = client.get(f"/admin/export/{export.pk}/").content.decode()
    assert "Télécharger" in row and "hx-trigger" not in row  # finished: no more polling
    response = client.get(f"/admin/export/{export.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        'attachment; filename="collectivrecup-chatellerault-')
    manifest = json.loads(download(response).read("manifest.json"))
    assert manifest["authority"]["slug"] == "chatellerault"
    # Audited: who (the admin's account id in its schema), when, which export.
    actions = OperatorAction.objects.filter(authority=chatellerault).values_list(
        "action", "actor", "details__by", "details__user_id", "details__export")
    assert set(actions) >= {("export_requested", None, "authority_admin", admin.pk, export.pk),
                            ("export_downloaded", None, "authority_admin", admin.pk,
                             export.pk)}
    downloaded = OperatorAction.objects.get(action="export_downloaded")
    assert downloaded.details["sha256"] == export.sha256 != ""
    assert downloaded.created_at is not None
    # No personal data in the audit log: the admin's e-mail is not there.
    assert admin.email not in json.dumps(list(OperatorAction.objects.filter(
        authority=chatellerault).values_list("details", flat=True)))


def test_a_running_export_is_polled_with_its_progress(chatellerault):
    admin = admin_of(chatellerault)
    export = AuthorityExportFactory(authority=chatellerault, status=ExportStatus.RUNNING,
                                    progress=42)
    row = client_for(chatellerault, admin).get(f"/admin/export/{export.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in row and "42 %" in row
    assert client_for(chatellerault, admin).get(
        f"/admin/export/{export.pk}/download/").status_code == 404


def test_a_second_request_while_one_is_running_is_refused(chatellerault):
    admin = admin_of(chatellerault)
    AuthorityExportFactory(authority=chatellerault, status=ExportStatus.RUNNING)
    response = client_for(chatellerault, admin).post("/admin/export/new/", follow=True)
    assert "déjà en préparation" in response.content.decode()
    assert AuthorityExport.objects.filter(authority=chatellerault).count() == 1
    # One that died with its worker long ago no longer blocks.
    from datetime import timedelta

    from django.utils import timezone

    AuthorityExport.objects.update(created_at=timezone.now() - timedelta(hours=7))
    client_for(chatellerault, admin).post("/admin/export/new/")
    assert AuthorityExport.objects.filter(authority=chatellerault).count() == 2


@pytest.mark.parametrize("path", ["/admin/export/", "/admin/export/{pk}/",
                                  "/admin/export/{pk}/download/"])
def test_agents_and_moderators_cannot_reach_exports(chatellerault, path):
    export = AuthorityExportFactory(authority=chatellerault, status=ExportStatus.DONE,
                                    file_name="exports/chatellerault/x.zip")
    with in_authority(chatellerault):
        member = agent()
    url = path.format(pk=export.pk)
    assert client_for(chatellerault, member).get(url).status_code == 403
    anonymous = client_for(chatellerault).get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert client_for(chatellerault, member).post("/admin/export/new/").status_code == 403


def test_an_admin_of_another_authority_cannot_fetch_its_export(
        chatellerault, grand_chatellerault, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(chatellerault, admin_of(chatellerault)).post("/admin/export/new/")
    export = AuthorityExport.objects.get(authority=chatellerault)
    other = client_for(grand_chatellerault, admin_of(grand_chatellerault))
    assert other.get(f"/admin/export/{export.pk}/").status_code == 404
    assert other.get(f"/admin/export/{export.pk}/download/").status_code == 404
    assert str(export.pk) not in other.get("/admin/export/").content.decode().split(
        "<table")[1].replace("Aucun export", "")


def test_the_operator_exports_downloads_and_deletes_from_the_console(
        chatellerault, django_capture_on_commit_callbacks):
    who = operator()
    client = verified_operator_client(who)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/operator/authorities/chatellerault/exports/")
    assert response.status_code == 302
    export = AuthorityExport.objects.get(authority=chatellerault)
    assert export.status == ExportStatus.DONE and export.by_operator
    page = client.get("/operator/authorities/chatellerault/").content.decode()
    assert f"/operator/authorities/chatellerault/exports/{export.pk}/download/" in page
    assert "delete-data-form" not in page  # not closed yet
    response = client.get(f"/operator/authorities/chatellerault/exports/{export.pk}/download/")
    assert response.status_code == 200
    assert "tables/exchange_listing.csv" in download(response).namelist()
    line = OperatorAction.objects.get(action="export_downloaded", actor=who)
    assert (line.authority, line.details["export"], line.details["by"],
            line.details["operator"]) == (chatellerault, export.pk, "operator", who.email)

    change_status(chatellerault, AuthorityStatus.CLOSED, who)
    page = client.get("/operator/authorities/chatellerault/").content.decode()
    assert "delete-data-form" in page
    response = client.post("/operator/authorities/chatellerault/delete-data/",
                           {"confirmation": "grand-chatellerault"}, follow=True)
    assert "Saisissez l’adresse" in response.content.decode()
    assert catalog.schema_exists("chatellerault")
    response = client.post("/operator/authorities/chatellerault/delete-data/",
                           {"confirmation": "chatellerault"}, follow=True)
    assert response.status_code == 200
    assert not catalog.schema_exists("chatellerault")
    assert "delete-data-form" not in response.content.decode()
    # The export survives the deletion and can still be downloaded.
    response = client.get(f"/operator/authorities/chatellerault/exports/{export.pk}/download/")
    assert response.status_code == 200


def test_console_export_views_need_a_verified_operator(chatellerault):
    export = AuthorityExportFactory(authority=chatellerault, status=ExportStatus.DONE,
                                    file_name="exports/chatellerault/x.zip")
    unverified, verified = client_for(None, operator()), verified_operator_client(operator())
    for path in [f"/operator/authorities/chatellerault/exports/{export.pk}/",
                 f"/operator/authorities/chatellerault/exports/{export.pk}/download/"]:
        assert unverified.get(path)["Location"] == "/operator/verify/"
    assert unverified.post("/operator/authorities/chatellerault/delete-data/",
                           {"confirmation": "chatellerault"})["Location"] == "/operator/verify/"
    # The console's URLs do not exist on an authority's host.
    admin = client_for(chatellerault, admin_of(chatellerault))
    assert admin.get(f"/operator/authorities/chatellerault/exports/{export.pk}/download/") \
        .status_code == 404
    # The export of one authority is not reachable under another's slug.
    assert verified.get(f"/operator/authorities/grand-chatellerault/exports/{export.pk}/") \
        .status_code == 404


def test_export_lists_stay_within_a_bounded_number_of_queries(
        chatellerault, django_assert_max_num_queries):
    console = verified_operator_client(operator())
    admin = admin_of(chatellerault)
    for _ in range(15):  # not create_batch: its own `size` argument takes the export's
        AuthorityExportFactory(authority=chatellerault, status=ExportStatus.DONE,
                               file_name="exports/chatellerault/x.zip", size=10)
    client = client_for(chatellerault, admin)
    with django_assert_max_num_queries(12):
        assert client.get("/admin/export/").status_code == 200
    with django_assert_max_num_queries(25):
        page = console.get("/operator/authorities/chatellerault/")
    assert page.content.decode().count("export-download") == 15


def test_the_admin_sees_who_downloaded_its_exports_and_another_authority_does_not(
        chatellerault, grand_chatellerault, django_capture_on_commit_callbacks,
        django_assert_max_num_queries):
    console = verified_operator_client(operator())
    admin = admin_of(chatellerault)
    with in_authority(chatellerault):
        admin.first_name, admin.last_name = "Sophie", "Garnier"
        admin.save()
    client = client_for(chatellerault, admin)
    assert "Aucun téléchargement" in client.get("/admin/export/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/export/new/")
    export = AuthorityExport.objects.get(authority=chatellerault)
    for _ in range(12):
        assert client.get(f"/admin/export/{export.pk}/download/").status_code == 200
    assert console.get(f"/operator/authorities/chatellerault/exports/{export.pk}/download/") \
        .status_code == 200

    with django_assert_max_num_queries(14):
        page = client.get("/admin/export/").content.decode()
    downloads = page.split('id="export-downloads"')[1].split("</table>")[0]
    assert downloads.count('class="export-download-line"') == 13
    assert downloads.count("Sophie Garnier") == 12
    assert downloads.count("Opérateur de la plateforme") == 1
    other = client_for(grand_chatellerault, admin_of(grand_chatellerault))
    theirs = other.get("/admin/export/").content.decode().split('id="export-downloads"')[1]
    assert "export-download-line" not in theirs.split("</table>")[0]
