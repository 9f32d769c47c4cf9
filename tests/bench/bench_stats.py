"""Statistics at scale (issue 5): the operators' cross-authority summary over 1,000
authorities and 1,000,000 facts, and one authority's report page (and PDF fiche)
with 50,000 facts.

The 1,000 authorities are public-schema rows without schemas (the summary reads only
the public schema); facts are inserted in bulk with one INSERT … SELECT over
generate_series, so that generation takes seconds. The authority of the report page
is a real one (its schema holds the listings the page counts).
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from analytics.models import REFERENCE_FACTORS_VERSION
from tests.bench.harness import Result, measure, scaled, siren_for

AUTHORITIES = scaled(1000, 5)
FACTS = scaled(1_000_000, 500)
REPORT_FACTS = scaled(50_000, 100)
SLUG = "bench-stats"
PREFIX = "bench-stats-row-"

FACTS_SQL = """
INSERT INTO analytics_transferfact (
    authority_id, transfer_id, listing_id, date, family, category, reference_code,
    destination, quantity, value_eur, weight_kg, weight_is_estimated, weight_avoided_kg,
    co2e_avoided_kg, factors_version, giver_service, receiver_service,
    receiver_authority_id, receiver_partner_id, family_estimate, updated_at)
SELECT ids[1 + (g %% array_length(ids, 1))], %(offset)s + g, %(offset)s + g / 2,
       %(first_day)s::date + (g %% 365),
       (ARRAY['Mobilier', 'Informatique et téléphonie', 'Électroménager'])[1 + g %% 3],
       (ARRAY['Chaise visiteur / empilable', 'Écran', 'Réfrigérateur'])[1 + g %% 3],
       (ARRAY['chaise-visiteur', 'ecran', 'refrigerateur'])[1 + g %% 3],
       (ARRAY['same_authority', 'same_authority', 'other_authority', 'partner',
              'discarded', 'unavailable'])[1 + g %% 6],
       1 + g %% 4, (g %% 500)::numeric + 0.5, 6 * (1 + g %% 4), true,
       CASE WHEN g %% 6 < 4 THEN 6 * (1 + g %% 4) ELSE 0 END,
       CASE WHEN g %% 6 < 4 THEN 18.6 * (1 + g %% 4) ELSE 0 END,
       %(factors_version)s, 'Service ' || (g %% 30), 'Service ' || ((g + 7) %% 30),
       CASE WHEN g %% 6 = 2 THEN ids[1 + ((g + 1) %% array_length(ids, 1))] END,
       NULL, false, now()
FROM generate_series(1, %(count)s) AS g, (SELECT %(ids)s::bigint[] AS ids) AS chosen
"""


def _insert_facts(ids: list[int], count: int, offset: int) -> None:
    first_day = timezone.localdate().replace(month=1, day=1)
    with connection.cursor() as cursor:
        cursor.execute(FACTS_SQL, {"ids": ids, "count": count, "offset": offset,
                                   "first_day": first_day,
                                   "factors_version": REFERENCE_FACTORS_VERSION})


def generate() -> dict:
    """The real authority of the report page and its 50,000 facts. The 1,000 rows
    without schemas come in `run` (and leave after it): other modules' runs, such as
    the migrations one, iterate over every authority and need a schema for each."""
    from analytics.models import TransferFact
    from tenants.models import Authority
    from tenants.services import create_authority

    authority = Authority.objects.filter(slug=SLUG).first() or create_authority(
        name="Ville de Bench-Stats", kind="commune", siren=siren_for("stats"), slug=SLUG,
        email_domains=[f"{SLUG}.example"], status="active", departement="86")
    if not TransferFact.objects.filter(authority=authority).exists():
        _insert_facts([authority.pk], REPORT_FACTS, 0)
        with schema_context(authority.schema_name):
            from accounts.models import Role, User

            User.objects.create_user(email=f"moderateur@{SLUG}.example",
                                     password=settings.DEMO_PASSWORD,
                                     roles=[Role.AGENT, Role.MODERATOR],
                                     email_verified_at=timezone.now())
    return {"authority": authority}


def _add_schemaless_authorities() -> list[int]:
    from analytics.models import StatsSettings
    from tenants.models import Authority, AuthorityKind

    kinds = [kind.value for kind in AuthorityKind]
    departements = [f"{n:02d}" for n in range(1, 96) if n != 20]
    if Authority.objects.filter(slug__startswith=PREFIX).count() < AUTHORITIES:
        Authority.objects.bulk_create([
            Authority(name=f"Collectivité {n}", slug=f"{PREFIX}{n}",
                      schema_name=f"bench_stats_row_{n}", kind=kinds[n % len(kinds)],
                      siren=siren_for("stats-rows", n),
                      departement=departements[n % len(departements)],
                      population=1000 + n * 37, status="active")
            for n in range(AUTHORITIES)], batch_size=1000)
        rows = list(Authority.objects.filter(slug__startswith=PREFIX).values_list(
            "pk", flat=True))
        StatsSettings.objects.bulk_create([
            StatsSettings(authority_id=pk, public_impact=pk % 3 == 0) for pk in rows])
    rows = list(Authority.objects.filter(slug__startswith=PREFIX).values_list("pk", flat=True))
    _insert_facts(rows, FACTS, 10_000_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE analytics_transferfact")
        cursor.execute("ANALYZE tenants_authority")
    return rows


def _remove_schemaless_authorities(rows: list[int]) -> None:
    from analytics.models import StatsSettings, TransferFact
    from tenants.models import Authority

    TransferFact.objects.filter(authority_id__in=rows).delete()
    StatsSettings.objects.filter(authority_id__in=rows).delete()
    Authority.objects.filter(pk__in=rows).delete()


def run(data: dict) -> list[Result]:
    import time

    authority = data["authority"]
    facts = FACTS + REPORT_FACTS
    started = time.monotonic()
    rows = _add_schemaless_authorities()
    print(f"bench_stats: {AUTHORITIES} authorities and {FACTS:,} facts inserted in "
          f"{time.monotonic() - started:.1f} s")
    try:
        return _run(authority, facts)
    finally:
        _remove_schemaless_authorities(rows)


def _run(authority, facts: int) -> list[Result]:
    from accounts.models import User
    from analytics.selectors import cross_authority_totals, public_impact

    results = []
    with CaptureQueriesContext(connection) as queries:
        totals = cross_authority_totals()
    assert totals["overall"]["transfers"] > 0
    results.append(measure("operator summary (kind, département)", cross_authority_totals,
                           n=10, warmup=2, queries=len(queries), facts=facts,
                           authorities=AUTHORITIES + 1))
    year = timezone.localdate().year
    results.append(measure("operator summary, one year",
                           lambda: cross_authority_totals(
                               timezone.localdate().replace(month=1, day=1),
                               timezone.localdate().replace(month=12, day=31)),
                           n=10, warmup=2, facts=facts))
    results.append(measure("public impact page totals", public_impact, n=10, warmup=2,
                           facts=facts))

    client = Client(HTTP_HOST=f"{SLUG}.{settings.BASE_DOMAIN}")
    with schema_context(authority.schema_name):
        client.force_login(User.objects.get(email=f"moderateur@{SLUG}.example"),
                           backend="django.contrib.auth.backends.ModelBackend")
    for name, path in [(f"report page, {REPORT_FACTS:,} facts",
                        f"/listings/moderation/report/?period=year&year={year}"),
                       (f"PDF fiche, {REPORT_FACTS:,} facts",
                        f"/listings/moderation/report/fiche.pdf?period=year&year={year}"),
                       (f"AGEC page, {REPORT_FACTS:,} facts",
                        f"/listings/moderation/agec/?year={year}")]:
        def get(path=path):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        with CaptureQueriesContext(connection) as queries:
            get()
        results.append(measure(name, get, n=20, warmup=2, queries=len(queries),
                               facts=REPORT_FACTS))
    return results
