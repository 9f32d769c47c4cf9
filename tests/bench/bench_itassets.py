"""The IT register's inventory import (issue 19): a GLPI export of 2,000 computers,
screens, phones, tablets and printers, a third of them at a school and a quarter held
by an agent, read, mapped, checked and imported into an empty register (all lines or
none, in one transaction).

Each timed run is the whole service path the « Importer » button takes: read the CSV
(core.tables), propose the mapping, build the preview, insert assets and events in
bulk. The register is emptied before each run, untimed."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.bench.harness import Result, measure, scaled, siren_for

LINES = scaled(2000, 20)
SLUG = "bench-it"
HEADERS = ["Nom", "Entité", "Statut", "Fabricant", "Type", "Modèle", "Numéro de série",
           "Numéro d'inventaire", "Lieu", "Utilisateur", "Date d'achat", "Commentaires"]
KINDS = ["Ordinateur", "Moniteur", "Téléphone", "Imprimante", "Tablette"]
MODELS = [("Lenovo", "ThinkPad T14"), ("HP", "EliteBook 840 G5"), ("Dell", "OptiPlex 7060"),
          ("Iiyama", "ProLite XU2492HSU"), ("Samsung", "Galaxy A52")]


def _inventory(agents: list[str]) -> bytes:
    lines = [";".join(HEADERS)]
    for n in range(LINES):
        make, model = MODELS[n % len(MODELS)]
        lines.append(";".join([
            f"PC-{n:05d}", "Ville de Bench", ["En service", "En stock", "En panne"][n % 3],
            make, KINDS[n % len(KINDS)], model, f"BENCH{n:07d}", f"INV-{n:07d}",
            f"École {n % 12}" if n % 3 == 0 else "",
            agents[n % len(agents)] if n % 4 == 0 else "",
            f"{1 + n % 28:02d}/{1 + n % 12:02d}/{2015 + n % 10}", ""]))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def generate() -> dict:
    from accounts.models import Role, Site, User
    from tenants.models import Authority
    from tenants.services import create_authority

    authority = Authority.objects.filter(slug=SLUG).first() or create_authority(
        name="Ville de Bench-IT", kind="commune", siren=siren_for("itassets"), slug=SLUG,
        email_domains=[f"{SLUG}.example"], status="active")
    with schema_context(authority.schema_name):
        if not Site.objects.filter(name__startswith="École ").exists():
            Site.objects.bulk_create([
                Site(name=f"École {n}", address=f"{n} rue des Écoles", postcode="86100",
                     city="Châtellerault") for n in range(12)])
            User.objects.bulk_create([
                User(email=f"agent{n}@{SLUG}.example", first_name="Agent", last_name=str(n),
                     roles=[Role.AGENT], email_verified_at=timezone.now())
                for n in range(300)])
            User.objects.create_user(email=f"informatique@{SLUG}.example",
                                     password=settings.DEMO_PASSWORD, roles=[Role.IT],
                                     email_verified_at=timezone.now())
        agents = [f"agent{n}@{SLUG}.example" for n in range(300)]
    return {"schema": authority.schema_name, "data": _inventory(agents)}


def run(data: dict) -> list[Result]:
    from accounts.models import User
    from exchange.itassets import imports
    from exchange.itassets.models import ITAsset, ITAssetEvent, ITImport

    with schema_context(data["schema"]):
        staff = User.objects.get(email=f"informatique@{SLUG}.example")

        def empty_register():
            ITAssetEvent.objects.all().delete()
            ITAsset.objects.all().delete()
            ITImport.objects.all().delete()

        def import_inventory():
            table = imports.read_inventory("glpi.csv", data["data"])
            mapping = imports.propose_mapping(table.headers, imports.saved_columns())
            record = imports.import_assets(actor=staff, table=table, mapping=mapping,
                                           file_name="glpi.csv")
            assert record.asset_count == LINES, record.asset_count

        empty_register()
        with CaptureQueriesContext(connection) as queries:
            import_inventory()
        result = measure(f"IT inventory import ({LINES:,} lines, CSV)", import_inventory,
                         n=10, warmup=2, before=empty_register, lines=LINES,
                         queries=len(queries), bytes=len(data["data"]))
        empty_register()
    return [result]
