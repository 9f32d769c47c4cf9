"""`manage.py create_operator`: the first operator of a new deployment, and the link
with which they choose a password on the operator console."""

import io
import re
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Role, User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

EMAIL = "olivia.exploitation@collectivrecup.example"
NEW_PASSWORD = "un grand pré vert 2026"
LINK = re.compile(r"https?://\S+/operator/password-reset/\S+/\S+/")


def create_operator(*args: str) -> str:
    out = io.StringIO()
    call_command("create_operator", "--email", EMAIL, *args, stdout=out)
    return out.getvalue()


def operators() -> list[User]:
    return list(User.objects.filter(email__iexact=EMAIL))  # public schema


def sign_in(password: str):
    return client_for(None).post("/operator/login/", {"username": EMAIL,
                                                      "password": password})


def test_creates_one_verified_operator_without_a_usable_password():
    output = create_operator("--first-name", "Olivia", "--last-name", "Martin")
    [user] = operators()
    assert user.roles == [Role.OPERATOR]
    assert user.is_email_verified and user.full_name == "Olivia Martin"
    assert not user.has_usable_password()
    assert f"Operator {EMAIL} created." in output
    assert LINK.search(output)


def test_a_second_run_changes_nothing():
    create_operator()
    [before] = operators()
    output = create_operator("--first-name", "Autre")
    [after] = operators()
    assert (after.pk, after.password, after.first_name, after.roles) == (
        before.pk, before.password, before.first_name, before.roles)
    assert "already exists; nothing changed" in output
    assert LINK.search(output)  # no password chosen yet: a fresh link


def test_the_printed_link_sets_a_password_that_signs_in_once():
    link = LINK.search(create_operator()).group(0)
    assert urlsplit(link).netloc == "localhost"
    client = client_for(None)
    path = urlsplit(link).path

    form = client.get(path, follow=True)  # Django moves the token into the session
    assert form.status_code == 200
    assert "Choisissez un nouveau mot de passe" in form.content.decode()
    saved = client.post(form.redirect_chain[-1][0], {
        "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True)
    assert saved.redirect_chain[-1][0] == "/operator/password-reset/done/"
    assert "Mot de passe enregistré" in saved.content.decode()

    signed_in = sign_in(NEW_PASSWORD)
    assert signed_in.status_code == 302 and signed_in["Location"] == "/operator/"
    console = client_for(None)
    console.post("/operator/login/", {"username": EMAIL, "password": NEW_PASSWORD})
    # Then the second factor: a new operator enrols a TOTP device (tests/tenants/).
    assert console.get("/operator/")["Location"] == "/operator/verify/"

    reused = client_for(None).get(path, follow=True)
    assert "Lien invalide" in reused.content.decode()
    assert "already exists; nothing changed" in (output := create_operator())
    assert not LINK.search(output)  # a password is set: no new link


def test_password_prompt_sets_the_password_at_once():
    with mock.patch("getpass.getpass", side_effect=[NEW_PASSWORD, NEW_PASSWORD]):
        output = create_operator("--password-prompt")
    assert not LINK.search(output)
    assert sign_in(NEW_PASSWORD).status_code == 302


def test_a_weak_or_mistyped_password_creates_nothing():
    with mock.patch("getpass.getpass", side_effect=["12345678", "12345678"]), \
            pytest.raises(CommandError):
        create_operator("--password-prompt")
    with mock.patch("getpass.getpass", side_effect=[NEW_PASSWORD, "autre chose"]), \
            pytest.raises(CommandError, match="differ"):
        create_operator("--password-prompt")
    assert operators() == []
