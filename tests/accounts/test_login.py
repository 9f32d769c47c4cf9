"""Sign-in, lockout, and the separation of authorities and operators."""

import pytest
from django.conf import settings

from tests.accounts.factories import PASSWORD, agent, operator
from tests.conftest import client_for, in_authority

pytestmark = pytest.mark.django_db


def login(client, email, password=PASSWORD, path="/accounts/login/"):
    return client.post(path, {"username": email, "password": password})


def test_agent_signs_in_on_own_authority_only(chatellerault, grand_chatellerault):
    with in_authority(chatellerault):
        agent(email="camille@chatellerault.example")

    own = client_for(chatellerault)
    assert login(own, "camille@chatellerault.example").status_code == 302
    assert own.get("/").status_code == 200

    other = client_for(grand_chatellerault)
    response = login(other, "camille@chatellerault.example")
    assert response.status_code == 200
    assert "_auth_user_id" not in other.session
    assert "Adresse e-mail ou mot de passe incorrect" in response.content.decode()


def test_session_cookie_of_one_authority_is_worthless_on_another(chatellerault,
                                                                  grand_chatellerault):
    with in_authority(chatellerault):
        camille = agent(email="camille@chatellerault.example")
    with in_authority(grand_chatellerault):
        # Same primary key in the other schema, to rule out a lucky id match.
        twin = agent(email="twin@grand-chatellerault.example")
    assert camille.pk >= 1 and twin.pk >= 1

    signed_in = client_for(chatellerault, camille)
    cookie = signed_in.cookies[settings.SESSION_COOKIE_NAME].value
    assert signed_in.get("/").status_code == 200

    thief = client_for(grand_chatellerault)
    thief.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response = thief.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert thief.get("/accounts/profile/").status_code == 302


def test_agent_session_does_not_open_the_operator_console(chatellerault):
    with in_authority(chatellerault):
        camille = agent(email="camille@chatellerault.example")
    signed_in = client_for(chatellerault, camille)
    console = client_for(None)
    console.cookies[settings.SESSION_COOKIE_NAME] = (
        signed_in.cookies[settings.SESSION_COOKIE_NAME].value)
    response = console.get("/operator/")
    assert response.status_code == 302
    assert "/operator/login/" in response["Location"]


def test_operator_signs_in_on_bare_host_but_not_on_an_authority(chatellerault):
    olivier = operator(email="olivier@collectivrecup.example")  # public schema
    console = client_for(None)
    assert login(console, olivier.email, path="/operator/login/").status_code == 302
    # Password alone opens nothing: the second factor comes next (tests/tenants/).
    assert console.get("/operator/")["Location"] == "/operator/verify/"

    app = client_for(chatellerault)
    assert login(app, olivier.email).status_code == 200
    assert "_auth_user_id" not in app.session


def test_authority_user_cannot_sign_in_to_the_operator_console(chatellerault):
    with in_authority(chatellerault):
        agent(email="camille@chatellerault.example")
    console = client_for(None)
    response = login(console, "camille@chatellerault.example", path="/operator/login/")
    assert response.status_code == 200
    assert console.get("/operator/").status_code == 302


def test_operator_console_refuses_a_public_user_without_the_operator_role():
    nobody = agent(email="nobody@collectivrecup.example")  # public schema, no operator role
    response = client_for(None, nobody).get("/operator/")
    assert response.status_code == 403


def test_repeated_failures_lock_the_account_out(chatellerault):
    with in_authority(chatellerault):
        agent(email="camille@chatellerault.example")
    client = client_for(chatellerault)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "camille@chatellerault.example", "wrong").status_code == 200
    locked = login(client, "camille@chatellerault.example", "wrong")
    assert locked.status_code == 429
    assert "Trop de tentatives" in locked.content.decode()
    # Even the right password is refused while locked.
    assert login(client, "camille@chatellerault.example").status_code == 429


def test_lockout_in_one_authority_does_not_lock_the_other(chatellerault, grand_chatellerault):
    with in_authority(chatellerault):
        agent(email="same@both.example")
    with in_authority(grand_chatellerault):
        agent(email="same@both.example")
    first = client_for(chatellerault)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(first, "same@both.example", "wrong")
    assert login(first, "same@both.example").status_code == 429
    assert login(client_for(grand_chatellerault), "same@both.example").status_code == 302


def test_logout_requires_post_and_ends_the_session(chatellerault):
    with in_authority(chatellerault):
        camille = agent(email="camille@chatellerault.example")
    client = client_for(chatellerault, camille)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_password_reset_mails_a_link_on_the_authority_host(chatellerault, mailoutbox):
    with in_authority(chatellerault):
        agent(email="camille@chatellerault.example")
    client = client_for(chatellerault)
    response = client.post("/accounts/password-reset/",
                           {"email": "camille@chatellerault.example"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "http://chatellerault.localhost/accounts/password-reset/" in mailoutbox[0].body
    # An unknown address gets the same answer and no mail.
    client.post("/accounts/password-reset/", {"email": "nobody@chatellerault.example"})
    assert len(mailoutbox) == 1
