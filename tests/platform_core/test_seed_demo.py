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
