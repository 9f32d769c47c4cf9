"""`manage.py seed_demo` (issue 13): a demo that looks like a year of use — transfers in
most months of the past twelve, the report's monthly series filled, a complete AGEC
declaration (SIRET), both authorities on the public impact page, photos drawn per kind
of object and family, and a second run that creates nothing."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from analytics.models import StatsSettings, TransferFact
from exchange.listings.demo import demo_photo
from exchange.listings.models import Category, ContactRequest, Listing, ModerationEvent, Transfer
from tenants.billing.models import BillingProfile
from tenants.demo import DEMO_AUTHORITIES, demo_email
from tenants.models import Authority
from tenants.validators import validate_siret
from tests.analytics.agec_validation import assert_valid
from tests.conftest import client_for, in_authority

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_in_tmp(settings, tmp_path):
    """Photos are written under a temporary MEDIA_ROOT (still one folder per schema)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def past_year() -> tuple[date, date]:
    """The twelve months before the current one, and the current one so far."""
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - 12
    return date(index // 12, index % 12 + 1, 1), today


def test_the_demo_looks_like_a_year_of_use(media_in_tmp, chatellerault, grand_chatellerault,
                                           tmp_path):
    seed()
    start, end = past_year()
    for authority in (chatellerault, grand_chatellerault):
        with in_authority(authority):
            transfer_months = {(at.year, at.month) for at in Transfer.objects.filter(
                created_at__date__gte=start).values_list("created_at", flat=True)}
            assert len(transfer_months) >= 10, authority.slug
            # Delays to a taker in the history (before this month) vary from 1 to 30 days.
            delays = {(t.created_at - t.listing.published_at).days for t in
                      Transfer.objects.select_related("listing").filter(
                          reason="exchanged_internal", created_at__date__lt=end.replace(day=1))}
            assert len(delays) >= 8
            assert min(delays) >= 1
            assert max(delays) <= 30
            # No new transfer to another authority in the history.
            assert not Transfer.objects.filter(reason="exchanged_other_authority").exists()
        # The facts carry the back-dated dates.
        fact_months = {(d.year, d.month) for d in TransferFact.objects.filter(
            authority=authority, date__gte=start).values_list("date", flat=True)}
        assert len(fact_months) >= 10

        with in_authority(authority):
            moderator = User.objects.get(email=demo_email("moderateur", authority.slug))
        client = client_for(authority, moderator)
        response = client.get(reverse("statistics:moderation_report"), {
            "period": "custom", "start": start.isoformat(), "end": end.isoformat()})
        assert response.status_code == 200
        chart = json.loads(re.search(
            r'<script id="report-data" type="application/json">(.*?)</script>',
            response.content.decode(), re.S).group(1))
        assert len([n for n in chart["exchanged"] if n > 0]) >= 10
        assert len([v for v in chart["value"] if v > 0]) >= 10
        assert len(set(chart["exchanged"])) >= 3  # a shape, not a flat line

        declaration = client.get(reverse("statistics:agec_csv"), {"year": date.today().year})
        # The demo's declaration passes data.gouv.fr's validator (issue 16).
        assert declaration.status_code == 200
        assert_valid(declaration.content, tmp_path / authority.slug)
        rows = list(csv.DictReader(io.StringIO(declaration.content.decode())))
        assert rows
        for row in rows:
            assert re.fullmatch(r"\d{14}", row["siret"])
            validate_siret(row["siret"])
            assert row["siret"].startswith(authority.siren)

        assert Authority.objects.get(pk=authority.pk).siret == rows[0]["siret"]

    impact = client_for(None).get("/impact/")
    page = impact.content.decode()
    for spec in DEMO_AUTHORITIES:
        assert spec["name"] in page
    assert StatsSettings.objects.filter(public_impact=True).count() == 2
    # A newcomer sees it working (issue 20): not « 0 collectivité, 0,0 tonnes ».
    assert re.search(r'id="impact-authorities">(\d+)<', page).group(1) == "2"
    assert Decimal(re.search(r'id="impact-tonnes" data-kg="([^"]+)"', page).group(1)) > 0
    assert re.search(r'id="impact-summary">2 collectivités, \d+,\d tonnes', page)


def counts() -> dict:
    figures = {"facts": TransferFact.objects.count(),
               "stats_settings": StatsSettings.objects.count(),
               "billing": BillingProfile.objects.count()}
    for spec in DEMO_AUTHORITIES:
        from tenants.models import Authority

        with in_authority(Authority.objects.get(slug=spec["slug"])):
            for model in (Listing, Transfer, ModerationEvent, ContactRequest):
                figures[f"{spec['slug']}.{model.__name__}"] = model.objects.count()
    return figures


def test_a_second_seed_creates_nothing_and_keeps_an_admins_choice(
        media_in_tmp, chatellerault, grand_chatellerault):
    seed()
    StatsSettings.objects.filter(authority=chatellerault).update(public_impact=False)
    before = counts()
    assert before["chatellerault.Listing"] > 60

    assert "0 object(s) created" in seed()

    assert counts() == before
    assert not StatsSettings.objects.get(authority=chatellerault).public_impact


def _category(code: str) -> Category:
    return Category.objects.select_related("parent").get(reference_code=code)


def test_photos_are_drawn_per_kind_of_object_and_family(chatellerault):
    with in_authority(chatellerault):
        chair, armchair = _category("chaise-visiteur"), _category("fauteuil-direction")
        screen, laptop = _category("ecran"), _category("ordinateur-portable")
        fridge, cabinet = _category("refrigerateur"), _category("armoire-haute")
        drawings = {code: demo_photo(category) for code, category in [
            ("chair", chair), ("armchair", armchair), ("screen", screen), ("laptop", laptop),
            ("fridge", fridge), ("cabinet", cabinet)]}
    assert drawings["chair"] == drawings["armchair"]  # seating: the same chair
    assert drawings["screen"] == drawings["laptop"]  # IT: the same monitor
    assert len({drawings[k] for k in ("chair", "screen", "fridge", "cabinet")}) == 4
    assert all(drawing.startswith(b"\xff\xd8") for drawing in drawings.values())  # JPEG

