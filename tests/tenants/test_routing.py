"""Requests reach the authority named by the subdomain, and only when it may serve."""

import pytest

from accounts.models import User
from tenants.models import AuthorityStatus
from tests.accounts.factories import agent
from tests.conftest import client_for, in_authority

pytestmark = pytest.mark.django_db


def test_bare_host_serves_the_public_landing_page():
    response = client_for(None).get("/")
    assert response.status_code == 200
    assert response.context["is_public_site"] is True
    assert b"Collectiv'R" in response.content


def test_subdomain_serves_that_authority_login_page_in_french(chatellerault):
    response = client_for(chatellerault).get("/accounts/login/")
    assert response.status_code == 200
    assert response.context["authority"] == chatellerault
    assert b'<html lang="fr">' in response.content
    assert "Ville de Châtellerault" in response.content.decode()


def test_each_subdomain_reads_its_own_schema(chatellerault, grand_chatellerault):
    with in_authority(chatellerault):
        agent(email="only-here@chatellerault.example")
    with in_authority(chatellerault):
        assert User.objects.filter(email="only-here@chatellerault.example").exists()
    with in_authority(grand_chatellerault):
        assert not User.objects.filter(email="only-here@chatellerault.example").exists()


def test_unknown_subdomain_gets_a_french_404_page():
    response = client_for(None).get("/", HTTP_HOST="inconnue.localhost")
    assert response.status_code == 404
    body = response.content.decode()
    assert "inconnue.localhost" in body
    assert 'lang="fr"' in body
    assert "Collectivité inconnue" in body


def test_host_outside_base_domain_is_refused():
    response = client_for(None).get("/", HTTP_HOST="evil.example.org")
    assert response.status_code == 404
    assert b"Collectiv" not in response.content


@pytest.mark.parametrize(("status", "http_status", "title"), [
    (AuthorityStatus.SUSPENDED, 503, "suspendu"),
    (AuthorityStatus.CLOSED, 410, "fermé"),
])
def test_suspended_or_closed_authority_serves_a_notice_and_no_data(
        chatellerault, status, http_status, title):
    with in_authority(chatellerault):
        member = agent(email="visible@chatellerault.example", first_name="Zoé")
    client = client_for(chatellerault, member)
    chatellerault.status = status
    chatellerault.save(update_fields=["status"])

    for path in ["/", "/accounts/login/", "/accounts/profile/", "/accounts/admin/users/"]:
        response = client.get(path)
        assert response.status_code == http_status, path
        body = response.content.decode()
        assert title in body
        assert "visible@chatellerault.example" not in body
        assert "Zoé" not in body
        assert "<form method=\"post\" novalidate>" not in body

    chatellerault.status = AuthorityStatus.ACTIVE
    chatellerault.save(update_fields=["status"])
    assert client.get("/").status_code == 200
