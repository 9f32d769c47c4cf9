"""Sign-up: only with an address of the authority, confirmed by e-mail."""

import re

import pytest
from django.core import mail

from accounts.models import Role, User
from tests.accounts.factories import ServiceFactory
from tests.conftest import client_for, in_authority

pytestmark = pytest.mark.django_db


def signup_data(schools_service, **overrides):
    data = {
        "email": "lea.dupont@chatellerault.example", "first_name": "Léa",
        "last_name": "Dupont", "service": schools_service.pk,
        "password1": "un-mot-de-passe-solide", "password2": "un-mot-de-passe-solide",
    }
    data.update(overrides)
    return data


@pytest.fixture
def schools(chatellerault):
    with in_authority(chatellerault):
        return ServiceFactory(name="Direction des écoles")


def test_signup_with_a_foreign_domain_is_refused_and_keeps_the_form(chatellerault, schools):
    client = client_for(chatellerault)
    response = client.post("/accounts/signup/",
                           signup_data(schools, email="lea@gmail.example"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "chatellerault.example" in body
    assert 'value="Léa"' in body  # nothing typed is lost
    with in_authority(chatellerault):
        assert not User.objects.filter(email="lea@gmail.example").exists()
    assert mail.outbox == []


def test_signup_with_another_authority_domain_is_refused(chatellerault, schools):
    response = client_for(chatellerault).post(
        "/accounts/signup/", signup_data(schools, email="lea@grand-chatellerault.example"))
    assert response.status_code == 200
    with in_authority(chatellerault):
        assert not User.objects.filter(email__startswith="lea@").exists()


def test_signup_then_verify_then_sign_in(chatellerault, schools,
                                         django_capture_on_commit_callbacks):
    client = client_for(chatellerault)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", signup_data(schools))
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["lea.dupont@chatellerault.example"]
    link = re.search(r"http://chatellerault\.localhost(/accounts/verify/\S+/)", message.body)
    assert link, message.body

    with in_authority(chatellerault):
        user = User.objects.get(email="lea.dupont@chatellerault.example")
        assert user.roles == [Role.AGENT]
        assert user.service == schools
        assert user.email_verified_at is None

    credentials = {"username": "lea.dupont@chatellerault.example",
                   "password": "un-mot-de-passe-solide"}
    refused = client.post("/accounts/login/", credentials)
    assert refused.status_code == 200
    assert "_auth_user_id" not in client.session

    assert client.get(link.group(1)).status_code == 302
    assert client.get(link.group(1)).status_code == 400  # a link works once

    accepted = client.post("/accounts/login/", credentials)
    assert accepted.status_code == 302
    assert client.get("/").status_code == 200


def test_signup_twice_with_the_same_address_is_refused(chatellerault, schools):
    client = client_for(chatellerault)
    client.post("/accounts/signup/", signup_data(schools))
    response = client.post("/accounts/signup/",
                           signup_data(schools, email="LEA.DUPONT@chatellerault.example"))
    assert response.status_code == 200
    assert "existe" in response.content.decode()
    with in_authority(chatellerault):
        assert User.objects.filter(email__iexact="lea.dupont@chatellerault.example").count() == 1


@pytest.mark.parametrize(("field", "value"), [
    ("password2", "autre-chose-encore"),
    ("password1", "123"),
    ("email", "pas-une-adresse"),
    ("service", ""),
])
def test_bad_signup_input_gets_an_error_on_the_field(chatellerault, schools, field, value):
    data = signup_data(schools, **{field: value})
    if field == "password1":
        data["password2"] = value
    response = client_for(chatellerault).post("/accounts/signup/", data)
    assert response.status_code == 200
    assert response.context["form"].errors.get(field), response.context["form"].errors
    with in_authority(chatellerault):
        assert not User.objects.exists()


def test_tampered_verification_link_is_refused(chatellerault):
    response = client_for(chatellerault).get("/accounts/verify/MQ/abc-def/")
    assert response.status_code == 400
