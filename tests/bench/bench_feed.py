"""The listings feed of one authority holding 5,000 listings (4,000 published).

Listings are bulk-inserted (with one photo row each, all pointing at one stored
file) so that generation takes seconds; the search vector is filled by the same
expression the services use.
"""

from __future__ import annotations

import random
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.bench.harness import Result, measure, scaled, siren_for

LISTINGS = scaled(5000, 40)
DEEP_PAGE = scaled(40, 2)
PUBLISHED_SHARE = 0.8
SLUG = "bench-feed"

WORDS = ["chaise", "bureau", "armoire", "écran", "table", "caisson", "lampe", "étagère",
         "fauteuil", "hêtre", "chêne", "métal", "réunion", "pliante", "école", "archives"]


def generate() -> dict:
    from accounts.models import Role, Service, Site, User
    from exchange.listings.models import (
        SEARCH_CONFIG,
        Category,
        Listing,
        ListingPhoto,
        ListingStatus,
    )
    from tenants.models import Authority
    from tenants.services import create_authority

    authority = Authority.objects.filter(slug=SLUG).first() or create_authority(
        name="Communauté de Bench", kind="epci", siren=siren_for("feed"), slug=SLUG,
        email_domains=[f"{SLUG}.example"], status="active")
    rng = random.Random(42)
    with schema_context(authority.schema_name):
        if Listing.objects.count() >= LISTINGS:
            return {"authority": authority}
        services = Service.objects.bulk_create([Service(name=f"Service {n}") for n in range(30)])
        sites = Site.objects.bulk_create([
            Site(name=f"Site {n}", address="1 rue de la Mairie", postcode="86100",
                 city="Châtellerault") for n in range(15)])
        hashed = User(email="x@x.fr")
        hashed.set_password(settings.DEMO_PASSWORD)
        users = User.objects.bulk_create([
            User(email=f"agent{n}@{SLUG}.example", first_name="Agent", last_name=str(n),
                 roles=[Role.AGENT], service=services[n % 30], password=hashed.password,
                 email_verified_at=timezone.now()) for n in range(200)])
        categories = list(Category.objects.filter(parent__isnull=False))
        now = timezone.now()
        listings = []
        for n in range(LISTINGS):
            published = n < LISTINGS * PUBLISHED_SHARE
            words = " ".join(rng.sample(WORDS, 3))
            listings.append(Listing(
                title=f"{words.capitalize()} n°{n}", description=f"Lot de {words} en bon état.",
                category=rng.choice(categories), quantity=rng.randint(1, 12),
                condition=rng.choice(["new", "good", "used", "to_repair"]),
                estimated_value=Decimal(rng.randint(5, 900)), poster=users[n % 200],
                service=services[n % 30], site=sites[n % 15],
                status=ListingStatus.PUBLISHED if published else ListingStatus.CLOSED,
                published_at=now - timezone.timedelta(minutes=n),
                expires_at=now + timezone.timedelta(days=30)))
        Listing.objects.bulk_create(listings, batch_size=1000)
        Listing.objects.update(
            search_vector=SearchVector("title", weight="A", config=SEARCH_CONFIG)
            + SearchVector("description", weight="B", config=SEARCH_CONFIG))
        ListingPhoto.objects.bulk_create(
            [ListingPhoto(listing=listing, image="bench/photo.jpg", thumbnail="bench/thumb.jpg",
                          width=800, height=600) for listing in Listing.objects.all()],
            batch_size=1000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"authority": authority}


def run(data: dict) -> list[Result]:
    from accounts.models import User

    authority = data["authority"]
    client = Client(HTTP_HOST=f"{SLUG}.{settings.BASE_DOMAIN}")
    with schema_context(authority.schema_name):
        client.force_login(User.objects.get(email=f"agent7@{SLUG}.example"),
                           backend="django.contrib.auth.backends.ModelBackend")

    results = []
    for name, path in [("feed page 1", "/listings/"),
                       (f"feed page {DEEP_PAGE}", f"/listings/?page={DEEP_PAGE}"),
                       ("feed search 'chaise hetre'", "/listings/?q=chaise+hetre"),
                       ("feed filtered (condition)", "/listings/?condition=good")]:
        def get(path=path):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        with CaptureQueriesContext(connection) as queries:
            get()
        results.append(measure(name, get, n=60, queries=len(queries), listings=LISTINGS))
    return results
