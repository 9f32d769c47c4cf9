"""Provisioning: an authority built from the template schema equals a migrated one,
bad input creates nothing, and the first administrator can sign in from the invitation."""

from __future__ import annotations

import json
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from accounts.models import Role, User
from exchange.listings.models import Category, ExchangeSettings
from exchange.listings.services.categories import seed_categories
from tenants import provisioning, services
from tenants.models import Authority, Domain
from tests.conftest import in_authority
from tests.tenants.catalog import catalog_snapshot

pytestmark = pytest.mark.django_db

NAINTRE = {"name": "Ville de Naintré", "kind": "commune", "siren": "218601698",
           "slug": "naintre", "admin_email": "DGS@naintre.example",
           "email_domains": ["naintre.example"]}


def schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def test_template_schema_equals_a_migrated_schema():
    slow = Authority(name="Migrée", kind="commune", siren="200070688", slug="slowpath",
                     schema_name="slowpath")
    slow.save(verbosity=0)  # django-tenants: CREATE SCHEMA + every migration
    connection.set_schema_to_public()
    assert provisioning.create_schema_from_template("fastpath")

    slow_snapshot, fast_snapshot = catalog_snapshot("slowpath"), catalog_snapshot("fastpath")
    assert slow_snapshot["tables"] and slow_snapshot["indexes"] and slow_snapshot["migrations"]
    assert slow_snapshot["sequences"] and slow_snapshot["sequence_owners"]
    for part, rows in slow_snapshot.items():
        assert fast_snapshot[part] == rows, part


def test_template_is_not_an_authority_and_has_no_host():
    assert schema_exists(provisioning.TEMPLATE_SCHEMA)
    assert provisioning.template_is_current()
    assert not Authority.objects.filter(schema_name=provisioning.TEMPLATE_SCHEMA).exists()
    assert not Domain.objects.filter(tenant__schema_name=provisioning.TEMPLATE_SCHEMA).exists()
    response = Client(HTTP_HOST="_template.localhost").get("/")
    assert response.status_code == 404  # no authority answers on that host


def test_provisioning_takes_the_fast_path(monkeypatch):
    def no_migrate(*args, **kwargs):
        raise AssertionError("migrations were replayed")

    monkeypatch.setattr(Authority, "create_schema", no_migrate)
    provisioned = services.provision_authority(**NAINTRE)
    assert provisioned.authority.slug == "naintre"
    assert schema_exists("naintre")
    # django-tenants sees nothing to apply: the migration records came with the DDL.
    before = catalog_snapshot("naintre")
    call_command("migrate_schemas", tenant=True, schema_name="naintre", interactive=False,
                 verbosity=0)
    connection.set_schema_to_public()
    assert catalog_snapshot("naintre") == before


@pytest.mark.parametrize(("changes", "field"), [
    ({"slug": "chatellerault", "siren": "200070688"}, "slug"),
    ({"slug": "admin"}, "slug"),
    ({"slug": "Naintré"}, "slug"),
    ({"siren": "218601699"}, "siren"),
    ({"siren": "21860169"}, "siren"),
])
def test_bad_input_is_refused_and_creates_nothing(changes, field):
    authorities = Authority.objects.count()
    spec = {**NAINTRE, **changes}
    with pytest.raises(ValidationError) as error:
        services.provision_authority(**spec)
    assert field in error.value.message_dict
    assert Authority.objects.count() == authorities
    assert not schema_exists("naintre") and not schema_exists("admin")
    assert not mail.outbox


def test_a_failure_after_the_schema_rolls_everything_back(monkeypatch):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr("exchange.listings.services.categories.seed_categories", broken)
    with pytest.raises(RuntimeError):
        services.provision_authority(**NAINTRE)
    assert not Authority.objects.filter(slug="naintre").exists()
    assert not schema_exists("naintre")


def test_registered_steps_run_inside_the_new_schema_after_its_domain(monkeypatch):
    seen = []

    def probe(authority):
        seen.append((authority.slug, connection.schema_name,
                     Domain.objects.filter(tenant=authority).exists()))

    monkeypatch.setitem(provisioning._STEPS, "probe", probe)
    services.provision_authority(**NAINTRE)
    assert seen == [("naintre", "naintre", True)]


def test_new_authority_answers_on_its_subdomain_with_categories(
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        authority = services.provision_authority(**NAINTRE).authority
    assert Domain.objects.get(tenant=authority).domain == "naintre.localhost"
    with in_authority(authority):
        assert Category.objects.filter(parent=None).exists()
        assert Category.objects.exclude(reference_code="").exists()
        assert ExchangeSettings.objects.count() == 1
        admin = User.objects.get()
    with in_authority(authority):
        assert seed_categories() == 0  # the bulk seeding made the same tree
    assert admin.email == "dgs@naintre.example"
    assert set(admin.roles) == {Role.AGENT, Role.MODERATOR, Role.AUTHORITY_ADMIN}
    assert admin.email_verified_at is not None and not admin.has_usable_password()
    response = Client(HTTP_HOST="naintre.localhost").get("/accounts/login/")
    assert response.status_code == 200
    assert response.context["authority"] == authority


def test_invitation_lets_the_admin_choose_a_password_and_sign_in(
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        provisioned = services.provision_authority(**NAINTRE)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["dgs@naintre.example"]
    assert provisioned.invitation_url in message.body
    link = urlsplit(provisioned.invitation_url)
    assert link.hostname == "naintre.localhost"

    client = Client(HTTP_HOST="naintre.localhost")
    response = client.get(link.path)
    assert response.status_code == 302  # Django hides the token behind set-password/
    form_url = response["Location"]
    assert client.get(form_url).status_code == 200
    response = client.post(form_url, {"new_password1": "Recyclons-86100!",
                                      "new_password2": "Recyclons-86100!"})
    assert response.status_code == 302
    # The link works once.
    again = Client(HTTP_HOST="naintre.localhost").get(link.path)
    assert again.status_code == 200 and not again.context["validlink"]

    response = client.post("/accounts/login/", {"username": "dgs@naintre.example",
                                                "password": "Recyclons-86100!"})
    assert response.status_code == 302
    assert client.get("/accounts/profile/").status_code == 200


def test_onboard_authority_prints_one_line_of_json():
    out = StringIO()
    call_command("onboard_authority", "--name", NAINTRE["name"], "--kind", "commune",
                 "--siren", NAINTRE["siren"], "--slug", "naintre",
                 "--admin-email", "dgs@naintre.example", "--email-domain", "naintre.example",
                 stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert data["slug"] == "naintre"
    assert urlsplit(data["url"]).hostname == "naintre.localhost"
    assert "/accounts/password-reset/" in data["invitation_url"]
    assert Authority.objects.get(slug="naintre").allowed_email_domains == ["naintre.example"]


@pytest.mark.parametrize(("slug", "siren"), [
    ("chatellerault", "200070688"), ("www", "218601698"), ("naintre", "123456789")])
def test_onboard_authority_refuses_with_exit_code_1(slug, siren):
    authorities = Authority.objects.count()
    with pytest.raises(CommandError) as error:
        call_command("onboard_authority", "--name", "X", "--kind", "commune",
                     "--siren", siren, "--slug", slug, "--admin-email", "a@b.example",
                     stdout=StringIO())
    assert error.value.returncode == 1
    assert str(error.value)
    assert Authority.objects.count() == authorities
    assert not schema_exists("naintre") and not schema_exists("www")


def test_a_stale_template_is_detected_and_never_replayed(monkeypatch):
    """New migrations on disk that the template lacks: its DDL is not used. Inside a
    transaction (pg_dump could not see a re-migrated template) the schema is migrated."""
    real = provisioning.leaf_migrations()
    monkeypatch.setattr(provisioning, "leaf_migrations",
                        lambda: (*real, ("exchange", "9999_not_yet_applied")))
    assert not provisioning.template_is_current()
    assert provisioning.template_ddl() is None
    assert not provisioning.create_schema_from_template("stale")
    authority = services.provision_authority(**NAINTRE).authority
    assert schema_exists("naintre")
    assert catalog_snapshot("naintre")["migrations"] == catalog_snapshot(
        provisioning.TEMPLATE_SCHEMA)["migrations"]
    with in_authority(authority):
        assert Category.objects.exists()
