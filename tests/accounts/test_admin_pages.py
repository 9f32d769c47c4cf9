"""Authority admins manage users, roles, services and sites; nobody else does."""

import pytest

from accounts.models import Role, Service, Site, User
from tests.accounts.factories import ServiceFactory, SiteFactory, agent, authority_admin, moderator
from tests.conftest import client_for, in_authority

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "/accounts/admin/users/",
    "/accounts/admin/services/",
    "/accounts/admin/services/new/",
    "/accounts/admin/sites/",
    "/accounts/admin/sites/new/",
    "/accounts/admin/journal/",
]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_need_the_authority_admin_role(chatellerault, path):
    with in_authority(chatellerault):
        plain, mod, admin = agent(), moderator(), authority_admin()
    assert client_for(chatellerault).get(path).status_code == 302
    assert client_for(chatellerault, plain).get(path).status_code == 403
    assert client_for(chatellerault, mod).get(path).status_code == 403
    assert client_for(chatellerault, admin).get(path).status_code == 200


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_of_one_authority_is_nobody_on_another(chatellerault, grand_chatellerault, path):
    with in_authority(chatellerault):
        admin = authority_admin()
    client = client_for(chatellerault, admin)
    client.defaults["HTTP_HOST"] = "grand-chatellerault.localhost"
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_admin_changes_roles_and_service_of_a_member(chatellerault):
    with in_authority(chatellerault):
        admin = authority_admin()
        member = agent()
        sports = ServiceFactory(name="Direction des sports")
    response = client_for(chatellerault, admin).post(
        f"/accounts/admin/users/{member.pk}/",
        {"roles": [Role.AGENT, Role.MODERATOR], "service": sports.pk, "is_active": "on"},
    )
    assert response.status_code == 302
    with in_authority(chatellerault):
        member.refresh_from_db()
    assert member.roles == [Role.AGENT, Role.MODERATOR]
    assert member.service == sports


def test_admin_cannot_grant_the_operator_role(chatellerault):
    with in_authority(chatellerault):
        admin, member = authority_admin(), agent()
    response = client_for(chatellerault, admin).post(
        f"/accounts/admin/users/{member.pk}/", {"roles": [Role.OPERATOR], "is_active": "on"})
    assert response.status_code == 200
    assert response.context["form"].errors["roles"]
    with in_authority(chatellerault):
        member.refresh_from_db()
    assert member.roles == [Role.AGENT]


def test_admin_cannot_remove_own_admin_role(chatellerault):
    with in_authority(chatellerault):
        admin = authority_admin()
    response = client_for(chatellerault, admin).post(
        f"/accounts/admin/users/{admin.pk}/", {"roles": [Role.AGENT], "is_active": "on"})
    assert response.status_code == 200
    assert "propre" in response.content.decode()
    with in_authority(chatellerault):
        admin.refresh_from_db()
    assert Role.AUTHORITY_ADMIN in admin.roles


def test_deactivated_member_can_no_longer_sign_in(chatellerault):
    with in_authority(chatellerault):
        admin, member = authority_admin(), agent(email="leaving@chatellerault.example")
    client_for(chatellerault, admin).post(
        f"/accounts/admin/users/{member.pk}/", {"roles": [Role.AGENT]})
    response = client_for(chatellerault).post(
        "/accounts/login/",
        {"username": "leaving@chatellerault.example", "password": "correct horse battery"})
    assert response.status_code == 200
    with in_authority(chatellerault):
        assert User.objects.get(pk=member.pk).is_active is False


def test_admin_creates_a_service_and_a_duplicate_is_refused(chatellerault):
    with in_authority(chatellerault):
        admin = authority_admin()
    client = client_for(chatellerault, admin)
    assert client.post("/accounts/admin/services/new/",
                       {"name": "Espaces verts", "is_active": "on"}).status_code == 302
    duplicate = client.post("/accounts/admin/services/new/",
                            {"name": "ESPACES VERTS", "is_active": "on"})
    assert duplicate.status_code == 200
    assert "Un service porte déjà ce nom" in duplicate.content.decode()
    with in_authority(chatellerault):
        assert Service.objects.filter(name__iexact="espaces verts").count() == 1


def test_admin_creates_a_site_and_a_bad_postcode_keeps_the_input(chatellerault):
    with in_authority(chatellerault):
        admin = authority_admin()
    client = client_for(chatellerault, admin)
    bad = client.post("/accounts/admin/sites/new/", {
        "name": "Gymnase Nord", "address": "2 rue du Stade", "postcode": "8610",
        "city": "Châtellerault", "is_active": "on"})
    assert bad.status_code == 200
    assert "5 chiffres" in bad.content.decode()
    assert 'value="Gymnase Nord"' in bad.content.decode()
    good = client.post("/accounts/admin/sites/new/", {
        "name": "Gymnase Nord", "address": "2 rue du Stade", "postcode": "86100",
        "city": "Châtellerault", "is_active": "on"})
    assert good.status_code == 302
    with in_authority(chatellerault):
        assert Site.objects.get(name="Gymnase Nord").postcode == "86100"


def test_editing_an_object_of_another_authority_is_a_404(chatellerault, grand_chatellerault):
    with in_authority(grand_chatellerault):
        foreign = SiteFactory(name="Magasin général bis")
    with in_authority(chatellerault):
        assert not Site.objects.filter(pk=foreign.pk).exists()
        admin = authority_admin()
    response = client_for(chatellerault, admin).get(f"/accounts/admin/sites/{foreign.pk}/")
    assert response.status_code == 404
    assert "Magasin général bis" not in response.content.decode()
