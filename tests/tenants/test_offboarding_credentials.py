"""Exports carry data, not credentials (issue 12, point 3): no sessions, API tokens,
password hashes, lockout records or key hashes in the ZIP; a guard fails when a table or
column that looks like a secret is exported without being withheld or allowed; the
import makes every account choose a new password through an e-mailed link; deletion
withdraws the authority's data from every shared surface."""

from __future__ import annotations

import io
import json
import zipfile
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from tenants.offboarding import withheld
from tenants.offboarding.export import write_export
from tenants.offboarding.restore import import_authority
from tests.accounts.factories import (
    AccessAttemptFactory,
    AccessLogFactory,
    TokenFactory,
    agent,
    authority_admin,
    operator,
)
from tests.analytics.factories import TransferFactFactory
from tests.conftest import client_for, in_authority
from tests.exchange.partners.factories import (
    PartnerRequestFactory,
    WebhookDeliveryFactory,
    WebhookEndpointFactory,
    api_key,
    grant,
    offered_listing,
    partner,
)
from tests.exchange.sharing.factories import SharingAgreementFactory
from tests.tenants.factories import AuthorityExportFactory

pytestmark = pytest.mark.django_db

NEW_SIREN = "218601698"
OLD_PASSWORD = "correct horse battery"
NEW_PASSWORD = "Recyclons-86100-encore!"
CLIENT_ADDRESS = "203.0.113.77"


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"


def export_zip(authority) -> tuple[zipfile.ZipFile, dict, bytes]:
    buffer = io.BytesIO()
    manifest = write_export(authority, buffer)
    return zipfile.ZipFile(io.BytesIO(buffer.getvalue())), manifest, buffer.getvalue()


def every_member(archive: zipfile.ZipFile) -> bytes:
    return b"\n".join(archive.read(name) for name in archive.namelist())


def seed_credentials(authority) -> dict:
    """A signed-in session, an API token, a lockout record with a client address, a
    password hash, and a partner key created by the authority's admin."""
    from django.contrib.sessions.models import Session

    from exchange.partners.models import ApiKey

    with in_authority(authority):
        user = agent(email="titulaire@chatellerault.example")
        authority_admin(email="admin-cred@chatellerault.example")
        token = TokenFactory(user=user)
        AccessAttemptFactory(username=user.email, ip_address=CLIENT_ADDRESS, path_info="/",
                             failures_since_start=3)
        AccessLogFactory(username=user.email, ip_address=CLIENT_ADDRESS, path_info="/")
    client_for(authority, user)  # a session stored in the authority's schema
    with in_authority(authority):
        session_key = Session.objects.get().session_key
        password_hash = user.password
    the_partner = partner()
    grant(authority, the_partner)
    key, secret = api_key(the_partner, authority=authority)
    return {"token": token.key, "session": session_key, "password_hash": password_hash,
            "key_hash": ApiKey.objects.get(pk=key.pk).secret_hash, "key_secret": secret,
            "user": user}


def test_the_export_carries_no_session_token_password_hash_or_lockout_record(chatellerault):
    secrets_ = seed_credentials(chatellerault)
    archive, manifest, raw = export_zip(chatellerault)
    names = set(archive.namelist())

    for table in ["django_session", "authtoken_token", "axes_accessattempt",
                  "axes_accesslog", "axes_accessfailurelog"]:
        assert f"tables/{table}.csv" not in names
        assert f"tables/{table}.json" not in names
        assert table not in {t["name"] for t in manifest["tables"]}
    assert {t["name"] for t in manifest["withheld"]["tables"]} >= {
        "django_session", "authtoken_token", "axes_accessattempt", "axes_accesslog"}
    assert not any(s["table"].startswith("axes_") for s in manifest["sequences"])

    # Passwords: the column is there, empty for every account (CSV and JSON).
    users = json.loads(archive.read("tables/accounts_user.json"))
    assert len(users) == 2
    assert {row["password"] for row in users} == {""}
    csv_lines = archive.read("tables/accounts_user.csv").decode().splitlines()
    assert csv_lines[0].split(",")[1] == "password"
    assert {line.split(",")[1] for line in csv_lines[1:]} == {'""'}
    assert {"table": "accounts_user", "column": "password",
            "reason": withheld.WITHHELD_COLUMNS[("accounts_user", "password")][1]} \
        in manifest["withheld"]["columns"]
    assert "emptied" in manifest["withheld"]["passwords"]

    # The partner key's row is there without its hash.
    keys = json.loads(archive.read("public/partners_apikey.json"))
    assert [row["secret_hash"] for row in keys] == [""]

    # No secret anywhere in the archive, whatever the file.
    content = every_member(archive)
    for secret in [secrets_["token"], secrets_["session"], secrets_["password_hash"],
                   secrets_["key_hash"], secrets_["key_secret"], CLIENT_ADDRESS]:
        assert secret.encode() not in content
    # The README says so, in both languages.
    readme = archive.read("README.md").decode()
    assert "ne contient pas : les identifiants" in readme
    assert "does not hold: credentials" in readme
    assert "`authtoken_token`" in readme


def test_no_exported_name_looks_like_a_secret_unless_withheld_or_allowed(chatellerault):
    _archive, manifest, _raw = export_zip(chatellerault)
    unexplained = []
    for entry in manifest["tables"] + manifest["public"]:
        unexplained += withheld.unexplained_secret_like(
            entry["name"], [c["name"] for c in entry["columns"]])
    assert unexplained == []
    # The export did meet secret-like names: the guard is not vacuous.
    exported = {(e["name"], c["name"]) for e in manifest["tables"] + manifest["public"]
                for c in e["columns"]}
    assert ("accounts_user", "password") in exported
    assert ("partners_apikey", "secret_hash") in exported


def test_a_new_secret_like_table_or_column_fails_the_guard(chatellerault):
    with connection.cursor() as cursor:
        cursor.execute('CREATE TABLE "chatellerault".accounts_magiclinktoken '
                       "(id bigserial PRIMARY KEY, user_id bigint)")
        cursor.execute('CREATE TABLE "chatellerault".exchange_feed '
                       "(id bigserial PRIMARY KEY, label text, signing_secret text)")
    _archive, manifest, _raw = export_zip(chatellerault)
    unexplained = []
    for entry in manifest["tables"]:
        unexplained += withheld.unexplained_secret_like(
            entry["name"], [c["name"] for c in entry["columns"]])
    assert unexplained == ["accounts_magiclinktoken", "exchange_feed.signing_secret"]


def test_every_allowed_or_withheld_name_really_looks_like_a_secret():
    """The lists hold no stale entry that the pattern would not even flag."""
    for name in withheld.ALLOWED_SECRET_LIKE:
        assert withheld.SECRET_LIKE.search(name.split(".")[-1]), name
    for _table, column in withheld.WITHHELD_COLUMNS:
        assert withheld.SECRET_LIKE.search(column), column


def test_a_restored_user_must_choose_a_new_password_through_the_emailed_link(
        chatellerault, tmp_path, django_capture_on_commit_callbacks):
    seed_credentials(chatellerault)
    with in_authority(chatellerault):
        agent(email="parti@chatellerault.example", is_active=False)
    path = tmp_path / "export.zip"
    path.write_bytes(export_zip(chatellerault)[2])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        restored = import_authority(path, slug="chatellerault-bis", siren=NEW_SIREN)

    from rest_framework.authtoken.models import Token

    from accounts.models import User

    with in_authority(restored):
        assert not any(u.has_usable_password() for u in User.objects.all())
        assert User.objects.count() == 3
        assert not Token.objects.exists()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM axes_accessattempt")
            assert cursor.fetchone()[0] == 0
            cursor.execute("SELECT count(*) FROM django_session")
            assert cursor.fetchone()[0] == 0

    # The old password no longer opens the account.
    client = Client(HTTP_HOST="chatellerault-bis.localhost")
    response = client.post("/accounts/login/", {"username": "titulaire@chatellerault.example",
                                                "password": OLD_PASSWORD})
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect" in response.content.decode()

    # One e-mail per active user, on the new authority's host; none to the inactive one.
    assert sorted(m.to[0] for m in mail.outbox) == ["admin-cred@chatellerault.example",
                                                    "titulaire@chatellerault.example"]
    message = next(m for m in mail.outbox if m.to == ["titulaire@chatellerault.example"])
    assert "nouveau mot de passe" in message.subject
    link = next(word for word in message.body.split() if "/password-reset/" in word)
    assert urlsplit(link).hostname == "chatellerault-bis.localhost"

    response = client.get(urlsplit(link).path)
    assert response.status_code == 302
    form_url = response["Location"]
    response = client.post(form_url, {"new_password1": NEW_PASSWORD,
                                      "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    response = client.post("/accounts/login/", {"username": "titulaire@chatellerault.example",
                                                "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get("/accounts/profile/").status_code == 200


def test_an_older_archive_with_credentials_is_imported_without_them(
        chatellerault, tmp_path, monkeypatch, django_capture_on_commit_callbacks):
    """Format 1 carried every table: its credentials are not loaded."""
    from tenants.offboarding import export as export_module

    secrets_ = seed_credentials(chatellerault)
    monkeypatch.setattr(withheld, "WITHHELD_TABLES", {})
    monkeypatch.setattr(withheld, "WITHHELD_COLUMNS", {})
    monkeypatch.setattr(export_module, "FORMAT_VERSION", 1)
    archive, manifest, raw = export_zip(chatellerault)
    assert "tables/authtoken_token.csv" in archive.namelist()
    assert secrets_["password_hash"].encode() in every_member(archive)
    monkeypatch.undo()

    path = tmp_path / "v1.zip"
    path.write_bytes(raw)
    with django_capture_on_commit_callbacks(execute=True):
        restored = import_authority(path, slug="ancienne", siren=NEW_SIREN)
    from rest_framework.authtoken.models import Token

    from accounts.models import User

    with in_authority(restored):
        assert not Token.objects.exists()
        user = User.objects.get(email="titulaire@chatellerault.example")
        assert not user.has_usable_password()
        assert not user.check_password(OLD_PASSWORD)


# --- Deletion withdraws the data from every shared surface ----------------------------

def test_deletion_removes_catalogue_entries_and_public_copies_but_keeps_facts(
        chatellerault, grand_chatellerault):
    from analytics.models import StatsSettings, TransferFact
    from exchange.catalogue.models import CatalogueEntry
    from exchange.partners.models import (
        ApiKey,
        PartnerGrant,
        PartnerRequest,
        RequestStatus,
        WebhookDelivery,
    )
    from exchange.sharing.models import AgreementStatus
    from tenants.lifecycle import change_status
    from tenants.models import ExportStatus, OperatorAction
    from tenants.offboarding.deletion import delete_authority_data

    ours = offered_listing(chatellerault, title="Bureau offert")
    theirs = offered_listing(grand_chatellerault, title="Armoire offerte")
    the_partner = partner()
    grant(chatellerault, the_partner)
    grant(grand_chatellerault, the_partner)
    our_key, _secret = api_key(the_partner, authority=chatellerault)
    endpoint = WebhookEndpointFactory(partner=the_partner, url="https://p.example/h",
                                      secret="s" * 32)
    for authority in (chatellerault, grand_chatellerault):
        WebhookDeliveryFactory(endpoint=endpoint, authority=authority,
                               event="listing.offered", payload={"title": "x"})
    PartnerRequestFactory(partner=the_partner, authority=chatellerault, listing_id=ours.pk,
                          message="Pour notre atelier")
    agreement = SharingAgreementFactory(proposer=chatellerault, recipient=grand_chatellerault,
                                        status=AgreementStatus.ACTIVE)
    StatsSettings.objects.filter(authority=chatellerault).update(public_impact=True)
    TransferFactFactory(authority=chatellerault, transfer_id=1, listing_id=ours.pk,
                        date=timezone.localdate(), category="Bureau",
                        destination="same_authority", quantity=1, value_eur=120,
                        weight_kg=30, weight_avoided_kg=30, co2e_avoided_kg=90)
    assert CatalogueEntry.objects.filter(authority=chatellerault).count() == 1
    who = operator()
    change_status(chatellerault, "closed", who)
    AuthorityExportFactory(authority=chatellerault, status=ExportStatus.DONE)

    delete_authority_data(chatellerault, actor=who, confirmation="chatellerault")

    assert not CatalogueEntry.objects.filter(authority=chatellerault).exists()
    assert list(CatalogueEntry.objects.filter(authority=grand_chatellerault)
                .values_list("listing_id", flat=True)) == [theirs.pk]
    assert list(WebhookDelivery.objects.values_list("authority__slug", flat=True)) == [
        "grand-chatellerault"]
    assert PartnerRequest.objects.get().status == RequestStatus.DECLINED
    assert PartnerGrant.objects.get(authority=chatellerault).revoked_at is not None
    assert PartnerGrant.objects.get(authority=grand_chatellerault).revoked_at is None
    assert ApiKey.objects.get(pk=our_key.pk).revoked_at is not None
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ENDED
    assert not StatsSettings.objects.get(authority=chatellerault).public_impact
    # Anonymised statistics facts stay.
    assert TransferFact.objects.filter(authority=chatellerault).count() == 1
    line = OperatorAction.objects.get(authority=chatellerault, action="data_deleted")
    assert line.details["withdrawn"]["catalogue_entries"] == 1
    assert line.details["withdrawn"]["webhook_deliveries"] == 1
