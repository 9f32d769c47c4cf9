"""seed_demo creates accounts with published secrets: refused outside local settings."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from tenants.demo import DEMO_OPERATOR_EMAIL
from tenants.models import Authority

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_to_run_without_demo_allowed(settings):
    settings.DEMO_ALLOWED = False
    before = set(Authority.all_objects.values_list("slug", flat=True))
    with pytest.raises(CommandError, match="DEMO_ALLOWED"):
        call_command("seed_demo")
    assert not User.objects.filter(email__iexact=DEMO_OPERATOR_EMAIL).exists()
    assert set(Authority.all_objects.values_list("slug", flat=True)) == before


def test_production_settings_refuse_demo_allowed_on_a_real_domain(monkeypatch):
    import importlib
    import sys

    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    monkeypatch.setenv("DEMO_ALLOWED", "true")
    monkeypatch.setenv("BASE_DOMAIN", "collectivrecup.fr")
    monkeypatch.delitem(sys.modules, "collectivrecup.settings.production", raising=False)
    with pytest.raises(ImproperlyConfigured, match="DEMO_ALLOWED"):
        importlib.import_module("collectivrecup.settings.production")
    monkeypatch.delitem(sys.modules, "collectivrecup.settings.production", raising=False)


def test_load_authorities_extend_the_demo_with_valid_distinct_communes():
    """`seed_demo --authorities N` (the load test) adds N - 2 made-up communes whose
    SIREN passes the check digit and collides with neither demo authority."""
    from tenants.demo import DEMO_AUTHORITIES, load_authority_specs
    from tenants.validators import validate_siren

    assert load_authority_specs(len(DEMO_AUTHORITIES)) == []
    specs = load_authority_specs(5)
    assert [spec["slug"] for spec in specs] == ["charge-3", "charge-4", "charge-5"]
    sirens = [spec["siren"] for spec in [*DEMO_AUTHORITIES, *specs]]
    assert len(set(sirens)) == len(sirens)
    for spec in specs:
        validate_siren(spec["siren"])
        assert spec["services"] and spec["sites"]
