"""An operator enrols a TOTP device only through a one-time link e-mailed to them: the
password alone shows no secret and confirms nothing; the link is signed, works once,
expires, and is sent by create_operator or by another operator from the console."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail, signing
from django.core.cache import cache
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from tenants import two_factor
from tenants.models import OperatorAction
from tenants.two_factor import current_code, send_enrolment_link
from tests.accounts.factories import PASSWORD, operator
from tests.conftest import client_for, verified_operator_client

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/operator/two-factor/link/\S+/")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def signed_in_with_password(user):
    client = client_for(None)
    response = client.post("/operator/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def mailed_link(user) -> str:
    [message] = [m for m in mail.outbox if m.to == [user.email]]
    return urlsplit(LINK.search(message.body)[0]).path


def test_the_password_alone_cannot_enrol_a_device():
    olivier = operator()
    client = signed_in_with_password(olivier)
    assert client.get("/operator/verify/")["Location"] == "/operator/two-factor/"
    page = client.get("/operator/two-factor/")
    assert page.status_code == 403
    assert 'id="enrol-needs-link"' in page.content.decode()
    assert "uniquement par un lien envoyé à votre adresse" in page.content.decode()
    assert 'id="totp-secret"' not in page.content.decode()
    assert not TOTPDevice.objects.filter(user=olivier).exists()
    # Codes guessed or computed from nothing are not even looked at.
    assert client.post("/operator/two-factor/", {"code": "123456"}).status_code == 403
    assert client.get("/operator/")["Location"] == "/operator/verify/"
    assert not OperatorAction.objects.filter(action="two_factor_enrolled").exists()


def test_the_mailed_link_enrols_once(django_capture_on_commit_callbacks):
    olivier = operator()
    with django_capture_on_commit_callbacks(execute=True):
        send_enrolment_link(olivier)
    link = mailed_link(olivier)
    # Opened before signing in: the password comes first, then back to the link.
    anonymous = client_for(None)
    response = anonymous.get(link)
    assert response.status_code == 302 and response["Location"].startswith("/operator/login/")
    signed_in = anonymous.post(response["Location"],
                               {"username": olivier.email, "password": PASSWORD})
    assert signed_in["Location"] == link
    assert anonymous.get(link)["Location"] == "/operator/two-factor/"
    page = anonymous.get("/operator/two-factor/")
    device = TOTPDevice.objects.get(user=olivier, confirmed=False)
    assert page.status_code == 200 and two_factor.secret_of(device) in page.content.decode()
    done = anonymous.post("/operator/two-factor/", {"code": current_code(device)})
    assert done.status_code == 302 and done["Location"] == "/operator/"
    assert anonymous.get("/operator/").status_code == 200
    # The link is spent: in another session it opens nothing, even for its owner.
    again = signed_in_with_password(olivier)
    assert again.get(link)["Location"] == "/operator/verify/"
    TOTPDevice.objects.filter(user=olivier).delete()  # lost phone: still spent
    assert again.get(link).status_code == 400
    assert again.get("/operator/two-factor/").status_code == 403


def test_a_link_is_personal_signed_and_short_lived(django_capture_on_commit_callbacks,
                                                   settings, monkeypatch):
    olivier, other = operator(), operator(email="autre@collectivrecup.example")
    with django_capture_on_commit_callbacks(execute=True):
        send_enrolment_link(olivier)
    link = mailed_link(olivier)
    # Someone else's link, a tampered one: refused.
    assert signed_in_with_password(other).get(link).status_code == 400
    token = link.rstrip("/").rsplit("/", 1)[1]
    forged = signing.dumps({"user": olivier.pk, "device": 999999}, salt="other")
    client = signed_in_with_password(olivier)
    assert client.get(link.replace(token, forged)).status_code == 400
    assert client.get(link.replace(token, token[:-2] + "xx")).status_code == 400
    # Past OPERATOR_ENROL_LINK_MAX_AGE, refused, also in the session that opened it.
    assert client.get(link)["Location"] == "/operator/two-factor/"
    settings.OPERATOR_ENROL_LINK_MAX_AGE = -1
    assert client.get(link).status_code == 400
    assert client.get("/operator/two-factor/").status_code == 403


def test_a_newer_link_replaces_the_older(django_capture_on_commit_callbacks):
    olivier = operator()
    with django_capture_on_commit_callbacks(execute=True):
        send_enrolment_link(olivier)
    first = mailed_link(olivier)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        send_enrolment_link(olivier)
    second = mailed_link(olivier)
    client = signed_in_with_password(olivier)
    assert client.get(first).status_code == 400
    assert client.get(second)["Location"] == "/operator/two-factor/"


def test_another_operator_sends_a_link_from_the_console(django_capture_on_commit_callbacks):
    sender = operator(email="olivier@collectivrecup.example")
    newcomer = operator(email="nouvelle@collectivrecup.example")
    console = verified_operator_client(sender)
    page = console.get("/operator/").content.decode()
    assert f'data-operator="{newcomer.pk}"' in page
    assert f'data-operator="{sender.pk}"' not in page  # enrolled already
    with django_capture_on_commit_callbacks(execute=True):
        response = console.post(f"/operator/operators/{newcomer.pk}/two-factor-link/")
    assert response.status_code == 302
    assert mailed_link(newcomer)
    [message] = mail.outbox
    assert message.subject == "Configurez votre double authentification Collectiv'Récup"
    action = OperatorAction.objects.get(action="two_factor_link_sent")
    assert (action.actor, action.details["target_operator_id"]) == (sender, newcomer.pk)
    # An enrolled operator gets none (404), and a password-only session may send none.
    assert console.post(f"/operator/operators/{sender.pk}/two-factor-link/").status_code == 404
    half = signed_in_with_password(newcomer)
    assert half.post(f"/operator/operators/{newcomer.pk}/two-factor-link/")["Location"] \
        == "/operator/verify/"
    assert console.get(f"/operator/operators/{newcomer.pk}/two-factor-link/").status_code == 405


def test_create_operator_mails_the_enrolment_link_and_never_prints_it(
        django_capture_on_commit_callbacks):
    from io import StringIO

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("create_operator", "--email", "ops@collectivrecup.example", stdout=out)
    output = out.getvalue()
    assert "e-mailed to ops@collectivrecup.example" in output
    assert not LINK.search(output)
    user = User.objects.get(email="ops@collectivrecup.example")
    assert mailed_link(user).startswith("/operator/two-factor/link/")
