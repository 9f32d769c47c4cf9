"""The shared feed ("Autres collectivités") of an authority sharing with 100 others
that hold 1,000 shared listings each: 100,000 catalogue entries.

The feed reads only the public schema (catalogue entries, agreements, authorities), so
the 100 partner authorities are bulk-inserted Authority rows without schemas (a schema
each would take minutes and is never read by this page); the viewer is a real authority
with its schema, user and session. Entries get the search vector the projection writes.
"""

from __future__ import annotations

import random

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.bench.harness import Result, measure, scaled, siren_for

PARTNERS = scaled(100, 3)
LISTINGS_EACH = scaled(1000, 10)
DEEP_PAGE = scaled(40, 2)
SLUG = "bench-sharing"
WORDS = ["chaise", "bureau", "armoire", "écran", "table", "caisson", "lampe", "étagère",
         "fauteuil", "hêtre", "chêne", "métal", "réunion", "pliante", "école", "archives"]


def generate() -> dict:
    """Nothing yet: the schemaless partner rows would disturb the other modules (the
    migrations benchmark migrates every authority). `run` makes and removes them."""
    return {}


def _populate() -> dict:
    from accounts.models import Role, User
    from exchange.catalogue.models import CatalogueEntry
    from exchange.listings.models import SEARCH_CONFIG, Category
    from exchange.sharing.models import AgreementStatus, SharingAgreement
    from tenants.models import Authority
    from tenants.services import create_authority

    viewer = Authority.objects.filter(slug=SLUG).first() or create_authority(
        name="Communauté de Bench Partage", kind="epci", siren=siren_for("sharing"),
        slug=SLUG, email_domains=[f"{SLUG}.example"], status="active")
    with schema_context(viewer.schema_name):
        user = User.objects.filter(email=f"agent@{SLUG}.example").first()
        if user is None:
            User.objects.create_user(email=f"agent@{SLUG}.example", password="x",
                                     first_name="Agent", last_name="Bench",
                                     roles=[Role.AGENT], email_verified_at=timezone.now())
        categories = list(Category.objects.filter(parent__isnull=False)
                          .select_related("parent"))
    slugs = [f"bench-partner-{n}" for n in range(PARTNERS)]
    if Authority.objects.filter(slug__in=slugs).count() < PARTNERS:
        Authority.objects.bulk_create([
            Authority(name=f"Commune partenaire {n}", kind="commune",
                      siren=siren_for("sharing-partners", n), slug=slug,
                      schema_name=slug.replace("-", "_"), status="active")
            for n, slug in enumerate(slugs)], ignore_conflicts=True)
    partners = list(Authority.objects.filter(slug__in=slugs).order_by("pk"))
    SharingAgreement.objects.bulk_create([
        SharingAgreement(proposer=viewer, recipient=partner, status=AgreementStatus.ACTIVE,
                         proposed_by="bench") for partner in partners], ignore_conflicts=True)
    if CatalogueEntry.objects.filter(authority__in=partners).count() < PARTNERS * LISTINGS_EACH:
        CatalogueEntry.objects.filter(authority__in=partners).delete()
        rng = random.Random(4)
        now = timezone.now()
        for partner in partners:
            entries = []
            for n in range(LISTINGS_EACH):
                words = " ".join(rng.sample(WORDS, 3))
                category = rng.choice(categories)
                # 9 in 10 shared; the others only offered to partners (not in this feed).
                audience = ({"is_shared": True} if rng.random() < 0.9
                            else {"is_shared": False, "offered_at": now})
                entries.append(CatalogueEntry(
                    authority=partner, listing_id=n + 1, title=f"{words.capitalize()} n°{n}",
                    description=f"Lot de {words} en bon état.", family=category.parent.name,
                    category=category.name, reference_code=category.reference_code,
                    condition=rng.choice(["new", "good", "used", "to_repair"]),
                    commune="Châtellerault", postcode="86100", quantity=rng.randint(1, 12),
                    published_at=now - timezone.timedelta(minutes=rng.randint(0, 200000)),
                    photo_ids=[n + 1], **audience))
            CatalogueEntry.objects.bulk_create(entries, batch_size=2000)
        CatalogueEntry.objects.filter(authority__in=partners).update(
            search_vector=SearchVector("title", weight="A", config=SEARCH_CONFIG)
            + SearchVector("description", weight="B", config=SEARCH_CONFIG))
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE catalogue_catalogueentry")  # as autovacuum would
    # A family and an item type present in the entries, as ids of the viewer's tree.
    return {"viewer": viewer, "family": categories[0].parent_id, "item": categories[0].pk}


def _clean_up() -> None:
    from tenants.models import Authority

    Authority.objects.filter(slug__startswith="bench-partner-").delete()  # entries cascade


def run(_data: dict) -> list[Result]:
    from accounts.models import User

    data = _populate()
    viewer = data["viewer"]
    client = Client(HTTP_HOST=f"{SLUG}.{settings.BASE_DOMAIN}")
    with schema_context(viewer.schema_name):
        client.force_login(User.objects.get(email=f"agent@{SLUG}.example"),
                           backend="django.contrib.auth.backends.ModelBackend")
    results = []
    for name, path in [("shared feed page 1", "/listings/shared/"),
                       (f"shared feed page {DEEP_PAGE}", f"/listings/shared/?page={DEEP_PAGE}"),
                       ("shared feed search 'chaise hetre'", "/listings/shared/?q=chaise+hetre"),
                       ("shared feed one authority",
                        f"/listings/shared/?authority=bench-partner-{PARTNERS // 2}"),
                       ("shared feed family", f"/listings/shared/?category={data['family']}"),
                       ("shared listings API", "/api/v1/shared-listings/")]:
        def get(path=path):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        with CaptureQueriesContext(connection) as queries:
            get()
        results.append(measure(name, get, n=40, queries=len(queries),
                               entries=PARTNERS * LISTINGS_EACH))
    _clean_up()
    return results
