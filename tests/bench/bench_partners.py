"""The partner feed over 200 authorities and 100,000 offered catalogue entries, one key
granted by every authority (issue 7).

Only public rows are generated: authorities without schemas (bulk_create skips
django-tenants' schema creation), catalogue entries, one partner, its grants and key.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.bench.harness import Result, measure, scaled, siren_for

AUTHORITIES = scaled(200, 3)
ENTRIES = scaled(100_000, 60)
PAGE_SIZE = scaled(200, 20)
DEEP_PAGES = scaled(200, 1)  # how far the "deep cursor" sample is: 40,000 entries in
PREFIX = "bench-partner-"
DEPARTEMENTS = ["86", "79", "17", "16", "37", "36", "87", "85"]
CATEGORIES = ["Chaise visiteur / empilable", "Bureau droit", "Armoire haute",
              "Écran d'ordinateur", "Table de réunion", "Caisson mobile"]


def generate() -> dict:
    """Nothing yet: the schemaless authority rows would disturb the other modules (the
    migrations benchmark migrates every authority). `run` makes and removes them."""
    return {}


def _populate() -> dict:
    from exchange.catalogue.models import CatalogueEntry
    from exchange.partners import services
    from exchange.partners.models import ApiKey, Partner, PartnerGrant
    from tenants.models import Authority
    from tenants.services import ensure_public_tenant

    ensure_public_tenant()  # the bare host serves the partner API
    existing = list(Authority.objects.filter(slug__startswith=PREFIX))
    if len(existing) < AUTHORITIES:
        Authority.objects.bulk_create([
            Authority(name=f"Commune de Bench {n}", kind="commune", slug=f"{PREFIX}{n}",
                      schema_name=f"bench_partner_{n}", siren=siren_for("partners", n),
                      status="active", departement=DEPARTEMENTS[n % len(DEPARTEMENTS)])
            for n in range(len(existing), AUTHORITIES)])
        existing = list(Authority.objects.filter(slug__startswith=PREFIX))
    partner = Partner.objects.filter(siret="80000000000003").first()
    if partner is None:
        partner = Partner.objects.create(
            legal_name="Ressourcerie de bench", kind="ressourcerie", siret="80000000000003",
            contact_name="Bench", contact_email="bench@ressourcerie.example")
        PartnerGrant.objects.bulk_create([
            PartnerGrant(authority=authority, partner=partner, accepted_at=timezone.now(),
                         scopes=["listings:read", "listings:request", "stats:read"])
            for authority in existing])
    ApiKey.objects.filter(partner=partner).delete()
    _key, full_key = services.create_api_key(partner=partner, name="bench",
                                             actor_email="bench@collectivrecup.example")
    if CatalogueEntry.objects.filter(authority__slug__startswith=PREFIX).count() < ENTRIES:
        CatalogueEntry.objects.filter(authority__slug__startswith=PREFIX).delete()
        rng = random.Random(7)
        now = timezone.now()
        per_authority = ENTRIES // AUTHORITIES
        rows = []
        for index, authority in enumerate(existing):
            for n in range(per_authority):
                when = now - timedelta(minutes=rng.randint(0, 60 * 24 * 90))
                rows.append(CatalogueEntry(
                    authority=authority, listing_id=n + 1,
                    title=f"Lot n°{index}-{n}", description="Lot en bon état.",
                    family="Mobilier", category=rng.choice(CATEGORIES),
                    reference_code="chaise-visiteur", condition="good", commune="Bench",
                    postcode="86100", quantity=rng.randint(1, 12), published_at=when,
                    offered_at=when, updated_at=when))
                if len(rows) == 5000:
                    CatalogueEntry.objects.bulk_create(rows)
                    rows = []
        CatalogueEntry.objects.bulk_create(rows)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"key": full_key}


def _clean_up() -> None:
    from exchange.partners.models import Partner
    from tenants.models import Authority

    Partner.objects.filter(siret="80000000000003").delete()  # grants and keys cascade
    Authority.objects.filter(slug__startswith=PREFIX).delete()  # entries cascade


def run(_data: dict) -> list[Result]:
    data = _populate()
    try:
        return _run(data)
    finally:
        _clean_up()


def _run(data: dict) -> list[Result]:
    from exchange.partners.api.views import PartnerKeyThrottle

    PartnerKeyThrottle.THROTTLE_RATES = {"partner_key": "1000000/min"}  # not what is timed
    client = Client(HTTP_HOST=settings.BASE_DOMAIN,
                    HTTP_AUTHORIZATION=f"Bearer {data['key']}")
    middle = client.get("/api/v1/partner/listings/", {"page_size": PAGE_SIZE}).json()
    for _page in range(DEEP_PAGES):
        middle = client.get(middle["next"]).json()
    since = (timezone.now() - timedelta(days=2)).isoformat()
    results = []
    for name, path, params in [
            ("partner feed page 1 (50)", "/api/v1/partner/listings/", {}),
            (f"partner feed {PAGE_SIZE}/page, cursor deep", "/api/v1/partner/listings/",
             {"page_size": PAGE_SIZE, "cursor": middle["next_cursor"]}),
            ("partner feed updated_since 2 days", "/api/v1/partner/listings/",
             {"updated_since": since}),
            ("partner feed département + category", "/api/v1/partner/listings/",
             {"departement": "79", "category": "Bureau droit"}),
            (f"partner stats ({AUTHORITIES} authorities)", "/api/v1/partner/stats/", {})]:
        def get(path=path, params=params):
            response = client.get(path, params)
            assert response.status_code == 200, (path, response.status_code,
                                                 response.content[:300])

        with CaptureQueriesContext(connection) as queries:
            get()
        results.append(measure(name, get, n=40, queries=len(queries),
                               authorities=AUTHORITIES, entries=ENTRIES))
    return results
