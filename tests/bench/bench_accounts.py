"""Sign-in pages: the first thing every agent loads.

Data: 10 authorities with 300 agents each (3,000 accounts in all), 12 services
and 6 sites each, plus the demo authorities.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tests.bench.harness import Result, measure, scaled, siren_for

AUTHORITIES = scaled(10, 2)
AGENTS_PER_AUTHORITY = scaled(300, 10)


def generate() -> dict:
    from accounts.models import Role, Service, Site, User
    from tenants.models import Authority
    from tenants.services import create_authority

    call_command("seed_demo", verbosity=0)
    hashed = User(email="x@x.fr")
    hashed.set_password(settings.DEMO_PASSWORD)
    for index in range(AUTHORITIES):
        slug = f"bench-{index:02d}"
        if Authority.objects.filter(slug=slug).exists():
            continue
        siren = siren_for("accounts", index)
        authority = create_authority(name=f"Commune de Bench {index}", kind="commune",
                                     siren=siren, slug=slug, email_domains=[f"{slug}.example"],
                                     status="active")
        with schema_context(authority.schema_name):
            services = Service.objects.bulk_create(
                [Service(name=f"Service {n}") for n in range(12)])
            Site.objects.bulk_create([
                Site(name=f"Site {n}", address=f"{n} rue de la Mairie", postcode="86100",
                     city="Châtellerault") for n in range(6)])
            User.objects.bulk_create([
                User(email=f"agent{n}@{slug}.example", first_name="Agent", last_name=str(n),
                     roles=[Role.AGENT], service=services[n % 12], password=hashed.password,
                     email_verified_at="2026-01-01T00:00:00Z")
                for n in range(AGENTS_PER_AUTHORITY)])
    return {"slug": f"bench-{AUTHORITIES // 2:02d}"}


def run(data: dict) -> list[Result]:
    host = f"{data['slug']}.{settings.BASE_DOMAIN}"
    client = Client(HTTP_HOST=host)

    def get_login():
        response = client.get("/accounts/login/")
        assert response.status_code == 200

    with CaptureQueriesContext(connection) as queries:
        get_login()
    login_page = measure("login page (GET)", get_login, n=300,
                         queries=len(queries), authorities=AUTHORITIES + 2,
                         accounts=AUTHORITIES * AGENTS_PER_AUTHORITY)

    public = Client(HTTP_HOST=settings.BASE_DOMAIN)

    def get_landing():
        assert public.get("/").status_code == 200

    landing = measure("public landing page (GET)", get_landing, n=300)

    def sign_in_and_out():
        signer = Client(HTTP_HOST=host)
        response = signer.post("/accounts/login/", {"username": f"agent7@{data['slug']}.example",
                                                    "password": settings.DEMO_PASSWORD})
        assert response.status_code == 302, response.status_code

    sign_in = measure("sign-in (POST, PBKDF2)", sign_in_and_out, n=30, warmup=2,
                      hasher="pbkdf2_sha256")
    return [login_page, landing, sign_in]
