"""Offboarding: the export holds every table (found in the catalogue), the media and the
public rows, with a manifest; the import restores it into a new authority and the
round trip loses nothing; deletion drops the schema and media and keeps the facts."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection

from analytics.models import (
    AgecFigureChange,
    AgecPurchase,
    ExternalDonation,
    FactorOverride,
    TransferFact,
)
from analytics.purchases import add_external_donation, save_purchases
from analytics.selectors import PurchaseFigures
from exchange.listings import photos
from exchange.listings.models import ClosureReason, Listing
from exchange.listings.recipients import Recipient
from exchange.listings.services.closure import close_listing
from exchange.listings.services.contact import contact_poster
from exchange.listings.services.moderation import reject_listing
from exchange.listings.services.posting import create_listing
from exchange.listings.services.saved_searches import save_search
from exchange.listings.services.wanted import create_wanted_request
from tenants.models import Authority, AuthorityStatus, OperatorAction
from tenants.offboarding import catalog
from tenants.offboarding.deletion import DeletionError, delete_authority_data
from tenants.offboarding.export import write_export
from tenants.offboarding.restore import RestoreError, import_authority
from tests.accounts.factories import (
    ServiceFactory,
    SiteFactory,
    agent,
    authority_admin,
    moderator,
    operator,
)
from tests.analytics.factories import FactorOverrideFactory
from tests.conftest import in_authority
from tests.exchange.listings.factories import image_upload, published_listing
from tests.tenants.factories import AuthorityExportFactory

pytestmark = pytest.mark.django_db

NEW_SIREN = "218601698"  # Naintré: a valid SIREN no test authority holds


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"


def seed_a_life(authority, capture) -> dict:
    """Users, services, sites, listings with photos, moderation, contacts, transfers."""
    with in_authority(authority):
        admin = authority_admin(email="admin-export@chatellerault.example")
        poster = agent(email="poster-export@chatellerault.example")
        taker = agent(email="taker-export@chatellerault.example",
                      service=ServiceFactory(name="Service des sports"))
        checker = moderator(email="moderator-export@chatellerault.example")
        SiteFactory(name="Centre technique municipal")
        listing = published_listing(poster=poster, approver=checker,
                                    title="Bureaux en chêne massif", quantity=6)
        with capture(execute=True):
            contact_poster(listing=listing, sender=taker, message="Pour l'école")
            close_listing(listing=Listing.objects.get(pk=listing.pk), actor=poster,
                          reason=ClosureReason.EXCHANGED_INTERNAL, quantity=4,
                          recipient=Recipient.service(taker.service))
        other = create_listing(poster=poster, submit=True, title="Armoire",
                               description="Armoire métallique",
                               category=listing.category, quantity=1,
                               condition="good", estimated_value=Decimal("50"),
                               site=listing.site)
        reject_listing(listing=other, actor=checker, reason="Doublon")
        photos.add_photo(listing=listing, actor=poster, upload=image_upload("bureau.jpg"))
        photos.add_photo(listing=listing, actor=poster,
                         upload=image_upload("bureau2.png", image_format="PNG",
                                             content_type="image/png"))
        create_wanted_request(author=taker, title="Je recherche des chaises")
        save_search(user=taker, query="chaise")
        # A deleted row: the sequence must keep its value, not restart at max(id).
        published_listing(poster=poster, approver=checker, title="Supprimée").delete()
    FactorOverrideFactory(authority=authority, reference_code="bureau",
                          weight_kg=Decimal("41.500"), source="Pesée 2026")
    # The finance team's AGEC figures (issue 16), entered then corrected.
    for total in ("1000", "1200"):
        save_purchases(authority, 2025, {"Papier": PurchaseFigures(
            Decimal(total), Decimal("100"), Decimal("0"))}, actor_label=admin.email)
    add_external_donation(authority, year=2025, category="Papier", amount_eur=Decimal("75"),
                          source="state_site", received_on=date(2025, 3, 2),
                          actor_label=admin.email)
    return {"admin": admin, "listing": listing}


def agec_figures(authority) -> tuple[list, list, list]:
    return (list(AgecPurchase.objects.filter(authority=authority).values_list(
                "year", "category", "total_eur", "reuse_eur", "recycled_eur",
                "updated_by_label")),
            list(ExternalDonation.objects.filter(authority=authority).values_list(
                "year", "category", "amount_eur", "source", "received_on",
                "created_by_label")),
            list(AgecFigureChange.objects.filter(authority=authority).order_by("at", "id")
                 .values_list("category", "what", "actor_label", "before", "after",
                              "channel")))


def table_rows(schema: str) -> dict[str, list[tuple]]:
    rows = {}
    with connection.cursor() as cursor:
        for table in catalog.tables(schema):
            cursor.execute(table.select())
            rows[table.name] = cursor.fetchall()
    return rows


def comparable_rows(schema: str) -> dict[str, list[tuple]]:
    """`table_rows` without what an export never carries (withheld.py): credential
    tables left out, withheld columns (password hashes) blanked. Everything else is
    compared as it is."""
    from tenants.offboarding import withheld

    columns = {t.name: [c.name for c in t.columns] for t in catalog.tables(schema)}
    rows = {}
    for name, table in table_rows(schema).items():
        if withheld.is_withheld_table(name):
            continue
        blanked = [columns[name].index(c) for c in withheld.withheld_columns(name)]
        rows[name] = [tuple(None if i in blanked else value for i, value in enumerate(row))
                      for row in table]
    return rows


def media_bytes(schema: str) -> dict[str, bytes]:
    from tenants.offboarding.export import _media_files

    with in_authority(Authority(schema_name=schema)):
        return {path: default_storage.open(path, "rb").read() for path in _media_files()}


def export_zip(authority) -> tuple[bytes, dict]:
    buffer = io.BytesIO()
    manifest = write_export(authority, buffer)
    return buffer.getvalue(), manifest


def test_the_export_holds_every_table_as_csv_and_json_with_a_manifest(
        chatellerault, django_capture_on_commit_callbacks):
    seed_a_life(chatellerault, django_capture_on_commit_callbacks)
    data, manifest = export_zip(chatellerault)
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = set(archive.namelist())

    from tenants.offboarding import withheld

    schema_tables = {t.name for t in catalog.tables(chatellerault.schema_name)}
    credentials = {"django_session", "authtoken_token", "axes_accessattempt"}
    assert credentials <= schema_tables
    # Every table but the credentials' (withheld.py, tested in test_offboarding_credentials).
    assert {t["name"] for t in manifest["tables"]} == {
        name for name in schema_tables if not withheld.is_withheld_table(name)}
    assert not credentials & {t["name"] for t in manifest["tables"]}
    assert {"exchange_listing", "accounts_user", "exchange_transfer",
            "exchange_moderationevent", "exchange_contactrequest"} <= schema_tables
    for table in manifest["tables"]:
        assert {table["csv"], table["json"]} <= names
        with archive.open(table["csv"]) as stream:
            lines = list(csv.reader(io.TextIOWrapper(stream, encoding="utf-8")))
        assert lines[0] == [c["name"] for c in table["columns"] if not c["generated"]]
        assert len(lines) - 1 == table["rows"] == len(json.loads(archive.read(table["json"])))
    listings = json.loads(archive.read("tables/exchange_listing.json"))
    assert "Bureaux en chêne massif" in {row["title"] for row in listings}
    user_columns = next(t for t in manifest["tables"] if t["name"] == "accounts_user")
    assert {"name": "roles", "type": "character varying(20)[]", "generated": False} \
        in user_columns["columns"]

    # Public rows of this authority only; facts are there, other authorities are not.
    public = {t["name"]: t for t in manifest["public"]}
    assert public["tenants_authority"]["rows"] == 1
    assert public["tenants_domain"]["rows"] == 1
    assert public["analytics_transferfact"]["rows"] == 1
    assert public["analytics_factoroverride"]["rows"] == 1
    authority_rows = json.loads(archive.read("public/tenants_authority.json"))
    assert [row["slug"] for row in authority_rows] == ["chatellerault"]

    # Media: the photos and thumbnails, byte for byte.
    stored = media_bytes(chatellerault.schema_name)
    assert len(stored) == 4
    for path, content in stored.items():
        assert archive.read(f"media/{path}") == content

    # Manifest: size and sha256 of every other file; README in both languages.
    assert set(manifest["files"]) == names - {"manifest.json"}
    for name, facts in manifest["files"].items():
        content = archive.read(name)
        assert (len(content), hashlib.sha256(content).hexdigest()) == (facts["size"],
                                                                      facts["sha256"])
    readme = archive.read("README.md").decode()
    assert "Réimporter" in readme and "Import again" in readme
    assert json.loads(archive.read("manifest.json")) == manifest


def test_a_table_added_by_any_app_is_exported_without_a_list_to_edit(chatellerault):
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TABLE "{chatellerault.schema_name}".partner_offer '
                       "(id bigserial PRIMARY KEY, label text)")
        cursor.execute('INSERT INTO "chatellerault".partner_offer (label) '
                       "VALUES ('Ressourcerie'), (NULL), ('')")
    data, manifest = export_zip(chatellerault)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.read("tables/partner_offer.csv").decode().splitlines() == [
        "id,label", "1,Ressourcerie", "2,", '3,""']
    assert json.loads(archive.read("tables/partner_offer.json")) == [
        {"id": 1, "label": "Ressourcerie"}, {"id": 2, "label": None}, {"id": 3, "label": ""}]


def test_round_trip_export_then_import_loses_nothing(
        chatellerault, django_capture_on_commit_callbacks, tmp_path):
    from tenants.offboarding import withheld

    seed_a_life(chatellerault, django_capture_on_commit_callbacks)
    data, manifest = export_zip(chatellerault)
    path = tmp_path / "export.zip"
    path.write_bytes(data)

    restored = import_authority(path, slug="chatellerault-bis", siren=NEW_SIREN)

    assert restored.schema_name == "chatellerault_bis"
    assert (restored.name, restored.kind, restored.departement, restored.population,
            restored.allowed_email_domains) == (
        chatellerault.name, chatellerault.kind, "86", 31000, ["chatellerault.example"])
    # Every table, every row, every column, except the credentials an export never
    # carries (withheld.py): those tables are empty and every password is unusable.
    assert comparable_rows(restored.schema_name) == comparable_rows(chatellerault.schema_name)
    assert {name for name, rows in table_rows(restored.schema_name).items()
            if not rows} >= {"django_session", "authtoken_token", "axes_accessattempt"}
    original_sequences = [s for s in catalog.sequences(chatellerault.schema_name)
                          if not withheld.is_withheld_table(s.table)]
    assert [s for s in catalog.sequences(restored.schema_name)
            if not withheld.is_withheld_table(s.table)] == original_sequences
    assert any(s.table == "exchange_listing" and s.is_called for s in original_sequences)
    # Media, byte for byte, under the new schema.
    assert media_bytes(restored.schema_name) == media_bytes(chatellerault.schema_name) != {}
    # The AGEC figures and their history come back as they were.
    assert agec_figures(restored) == agec_figures(chatellerault)
    assert len(agec_figures(restored)[2]) == 3
    # Public rows: factor overrides copied, facts rebuilt from the transfers.
    assert list(FactorOverride.objects.filter(authority=restored).values_list(
        "reference_code", "weight_kg", "source")) == [("bureau", Decimal("41.500"),
                                                       "Pesée 2026")]
    fields = ["transfer_id", "listing_id", "date", "category", "destination", "quantity",
              "value_eur", "weight_kg", "co2e_avoided_kg", "giver_service",
              "receiver_service"]
    assert list(TransferFact.objects.filter(authority=restored).values(*fields)) == list(
        TransferFact.objects.filter(authority=chatellerault).values(*fields))
    assert OperatorAction.objects.filter(authority=restored,
                                         action="authority_imported").exists()
    # The new authority works: its users must choose a new password (the old one is
    # not carried; test_offboarding_credentials follows the e-mailed link), new rows get
    # fresh ids after the restored ones.
    with in_authority(restored):
        from accounts.models import User

        assert not User.objects.get(email="poster-export@chatellerault.example") \
            .check_password("correct horse battery")
        assert not any(user.has_usable_password() for user in User.objects.all())
        new = published_listing(poster=User.objects.get(
            email="poster-export@chatellerault.example"), title="Après import")
        assert new.pk > max(row[0] for row in table_rows(chatellerault.schema_name)
                            ["exchange_listing"])


def test_the_import_command_prints_the_new_authority(chatellerault, tmp_path):
    path = tmp_path / "export.zip"
    path.write_bytes(export_zip(chatellerault)[0])
    out = io.StringIO()
    call_command("import_authority", str(path), "--slug", "chatellerault-ter",
                 "--siren", NEW_SIREN, "--name", "Châtellerault (restaurée)", stdout=out)
    assert json.loads(out.getvalue()) == {"slug": "chatellerault-ter",
                                          "schema": "chatellerault_ter"}
    assert Authority.objects.get(slug="chatellerault-ter").name == "Châtellerault (restaurée)"


def test_a_damaged_archive_is_refused_and_creates_nothing(chatellerault, tmp_path):
    data = export_zip(chatellerault)[0]
    source = zipfile.ZipFile(io.BytesIO(data))
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "tables/exchange_category.csv":
                content = content.replace(b"Mobilier", b"MobilieR", 1)
            target.writestr(item, content)
    with pytest.raises(RestoreError, match="exchange_category.csv"):
        import_authority(damaged, slug="abimee", siren=NEW_SIREN)
    not_a_zip = tmp_path / "x.zip"
    not_a_zip.write_text("bonjour")
    with pytest.raises(CommandError, match="ZIP"):
        call_command("import_authority", str(not_a_zip), "--slug", "abimee")
    assert not Authority.objects.filter(slug="abimee").exists()


def test_an_export_of_other_migrations_is_refused(chatellerault, tmp_path):
    data = export_zip(chatellerault)[0]
    source = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(source.read("manifest.json"))
    older = tmp_path / "older.zip"
    with zipfile.ZipFile(older, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "tables/django_migrations.csv":
                content = b"\n".join(line for line in content.split(b"\n")
                                     if b"0002_recipient_refs" not in line)
                manifest["files"][item.filename] = {
                    "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
            if item.filename != "manifest.json":
                target.writestr(item, content)
        target.writestr("manifest.json", json.dumps(manifest))
    with pytest.raises(RestoreError, match="autres migrations"):
        import_authority(older, slug="ancienne", siren=NEW_SIREN)


# --- Deletion ----------------------------------------------------------------------------

def test_deletion_needs_closed_status_an_export_and_the_typed_slug(
        chatellerault, django_capture_on_commit_callbacks):
    from tenants.lifecycle import change_status
    from tenants.models import ExportStatus

    who = operator()
    with pytest.raises(DeletionError, match="fermée"):
        delete_authority_data(chatellerault, actor=who, confirmation="chatellerault")
    change_status(chatellerault, AuthorityStatus.CLOSED, who)
    with pytest.raises(DeletionError, match="export"):
        delete_authority_data(chatellerault, actor=who, confirmation="chatellerault")
    AuthorityExportFactory(authority=chatellerault, status=ExportStatus.DONE)
    with pytest.raises(DeletionError, match="chatellerault"):
        delete_authority_data(chatellerault, actor=who, confirmation="chatelleraul")
    assert catalog.schema_exists("chatellerault")


def test_deletion_drops_the_schema_and_media_and_keeps_anonymous_facts(
        chatellerault, django_capture_on_commit_callbacks, settings, tmp_path):
    from tenants.lifecycle import LifecycleError, change_status
    from tenants.models import ExportStatus

    seed_a_life(chatellerault, django_capture_on_commit_callbacks)
    assert len(media_bytes("chatellerault")) == 4
    facts = TransferFact.objects.filter(authority=chatellerault).count()
    assert facts == 1
    who = operator()
    change_status(chatellerault, AuthorityStatus.CLOSED, who)
    AuthorityExportFactory(authority=chatellerault, status=ExportStatus.DONE)
    # Grand Châtellerault's media are not touched.
    with in_authority(Authority.objects.get(slug="grand-chatellerault")):
        default_storage.save("listings/1/autre.jpg", io.BytesIO(b"autre"))

    deleted = delete_authority_data(chatellerault, actor=who, confirmation="chatellerault")

    assert deleted == 4
    assert not catalog.schema_exists("chatellerault")
    assert media_bytes("chatellerault") == {}
    assert media_bytes("grand_chatellerault") == {"listings/1/autre.jpg": b"autre"}
    chatellerault.refresh_from_db()
    assert chatellerault.data_deleted_at is not None
    assert TransferFact.objects.filter(authority=chatellerault).count() == facts
    # The AGEC figures stay, without the e-mail of who entered them.
    purchases, donations, changes = agec_figures(chatellerault)
    assert [p[2] for p in purchases] == [Decimal("1200.00")] and len(changes) == 3
    assert {p[-1] for p in purchases} | {d[-1] for d in donations} | {
        c[2] for c in changes} == {""}
    assert OperatorAction.objects.filter(authority=chatellerault, action="data_deleted",
                                         details__operator=who.email).exists()
    with pytest.raises(DeletionError, match="déjà"):
        delete_authority_data(chatellerault, actor=who, confirmation="chatellerault")
    # Loops over authorities (migrate_schemas, periodic jobs, rebuilds) no longer see it;
    # the console and uniqueness checks still do.
    assert not Authority.objects.filter(pk=chatellerault.pk).exists()
    assert Authority.all_objects.filter(pk=chatellerault.pk).exists()
    with pytest.raises(ValidationError) as taken:
        Authority(name="X", kind="commune", siren=NEW_SIREN, slug="chatellerault",
                  schema_name="chatellerault").full_clean()
    assert [error.code for error in taken.value.error_dict["slug"]] == ["unique"]
    with pytest.raises(LifecycleError, match="supprimées"):
        change_status(chatellerault, AuthorityStatus.ACTIVE, who)


def test_a_failed_export_is_marked_failed_without_details(chatellerault, monkeypatch):
    from tenants.models import ExportStatus
    from tenants.offboarding import export as export_module

    def broken(*args, **kwargs):
        raise OSError("disk full at /secret/path")

    monkeypatch.setattr(export_module, "write_export", broken)
    export = AuthorityExportFactory(authority=chatellerault)
    with pytest.raises(OSError):
        export_module.build_export(export.pk)
    export.refresh_from_db()
    assert (export.status, export.error, export.file_name) == (ExportStatus.FAILED, "OSError",
                                                               "")
    assert export.finished_at is not None
