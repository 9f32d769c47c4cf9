"""Onboarding from the operator console: /operator/authorities/new/."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.cache import cache
from django_tenants.utils import schema_exists

from accounts.models import Role, User
from tenants.models import Authority, OperatorAction
from tenants.two_factor import DEMO_TOTP_SECRET, ensure_device
from tests.accounts.factories import PASSWORD, agent, authority_admin, operator
from tests.conftest import client_for, in_authority, verified_operator_client

pytestmark = pytest.mark.django_db

URL = "/operator/authorities/new/"
NAINTRE = {"name": "Commune de Naintré", "kind": "commune", "siren": "218601698",
           "slug": "naintre", "admin_email": "dgs@naintre.example", "email_domains": ""}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def olivier() -> User:
    return operator()


def test_the_console_links_to_the_form(olivier):
    response = verified_operator_client(olivier).get("/operator/")
    assert f'href="{URL}"' in response.content.decode()


def test_the_form_shows_the_address_it_will_create(olivier):
    response = verified_operator_client(olivier).get(URL)
    assert response.status_code == 200
    assert "&lt;slug&gt;.localhost" in response.content.decode()
    kinds = [value for value, _label in response.context["form"].fields["kind"].choices]
    assert "commune" in kinds and "epci" in kinds


def test_an_operator_without_verified_device_cannot_reach_it(olivier):
    ensure_device(olivier, DEMO_TOTP_SECRET)
    client = client_for(None)
    assert client.post("/operator/login/", {"username": olivier.email,
                                            "password": PASSWORD}).status_code == 302
    for response in (client.get(URL), client.post(URL, NAINTRE)):
        assert response.status_code == 302 and response["Location"] == "/operator/verify/"
    assert not Authority.objects.filter(slug="naintre").exists()


def test_anonymous_agents_and_authority_hosts_cannot_reach_it(chatellerault, olivier):
    anonymous = client_for(None).get(URL)
    assert anonymous.status_code == 302 and "/operator/login/" in anonymous["Location"]
    with in_authority(chatellerault):
        camille = agent()
        admin = authority_admin()
    for user in (camille, admin):
        client = client_for(chatellerault, user)
        assert client.get(URL).status_code == 404
        assert client.post(URL, NAINTRE).status_code == 404
    # The verified operator's session does not open the page on an authority's host.
    operator_client = verified_operator_client(olivier)
    assert operator_client.get(URL, HTTP_HOST="chatellerault.localhost").status_code == 404
    assert not Authority.objects.filter(slug="naintre").exists()


@pytest.mark.parametrize(("changes", "field"), [
    ({"siren": "218601699"}, "siren"),
    ({"siren": "21860169"}, "siren"),
    ({"slug": "admin"}, "slug"),
    ({"slug": "new"}, "slug"),
    ({"slug": "Naintré"}, "slug"),
    ({"slug": "chatellerault", "siren": "200070688"}, "slug"),
    ({"email_domains": "naintre.example, pas un domaine"}, "email_domains"),
    ({"admin_email": "pas-une-adresse"}, "admin_email"),
])
def test_errors_show_on_their_field_and_keep_what_was_typed(chatellerault, olivier, changes,
                                                            field):
    client = verified_operator_client(olivier)
    authorities, actions = Authority.objects.count(), OperatorAction.objects.count()
    posted = {**NAINTRE, **changes}
    response = client.post(URL, posted)
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == [field], form.errors
    html = response.content.decode()
    for name, value in posted.items():
        if name != "kind" and value:
            assert form[name].value() == value
            assert f'name="{name}"' in html
    assert 'value="Commune de Naintré"' in html
    assert Authority.objects.count() == authorities
    assert OperatorAction.objects.count() == actions
    assert not schema_exists("naintre") and not schema_exists("admin")
    assert not mail.outbox


def test_creating_an_authority_invites_its_admin_and_is_audited(
        olivier, django_capture_on_commit_callbacks):
    client = verified_operator_client(olivier)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {**NAINTRE, "slug": " naintre ", "siren": "218 601 698"})
    assert response.status_code == 302
    assert response["Location"] == "/operator/authorities/naintre/"

    authority = Authority.objects.get(slug="naintre")
    assert (authority.name, authority.kind, authority.siren) == (
        "Commune de Naintré", "commune", "218601698")
    assert authority.allowed_email_domains == ["naintre.example"]  # from the admin's e-mail
    assert schema_exists("naintre")
    with in_authority(authority):
        admin = User.objects.get()
    assert admin.email == "dgs@naintre.example"
    assert Role.AUTHORITY_ADMIN in admin.roles and not admin.has_usable_password()

    [message] = mail.outbox
    assert message.to == ["dgs@naintre.example"]
    link = next(word for word in message.body.split() if word.startswith("http"))
    assert urlsplit(link).hostname == "naintre.localhost"

    action = OperatorAction.objects.get(action="authority_created")
    assert action.actor == olivier and action.authority == authority
    assert action.details == {"operator": olivier.email, "slug": "naintre", "via": "console"}

    detail = client.get(response["Location"])
    assert detail.status_code == 200
    shown = [str(m) for m in detail.context["messages"]]
    assert len(shown) == 1 and "naintre.localhost" in shown[0]
    assert 'data-action="authority_created"' in detail.content.decode()


def test_several_domains_are_kept(olivier, django_capture_on_commit_callbacks):
    client = verified_operator_client(olivier)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {**NAINTRE, "email_domains": "Naintre.example, cc-naintre.fr"})
    assert response.status_code == 302
    authority = Authority.objects.get(slug="naintre")
    assert authority.allowed_email_domains == ["naintre.example", "cc-naintre.fr"]
