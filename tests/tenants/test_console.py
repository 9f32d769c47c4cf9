"""The operator console: two-factor sign-in, lockout, search, audit log, status form."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from tenants.models import Authority, AuthorityStatus, OperatorAction
from tenants.two_factor import (
    DEMO_TOTP_SECRET,
    current_code,
    ensure_device,
    send_enrolment_link,
)
from tests.accounts.factories import PASSWORD, agent, operator
from tests.conftest import client_for, in_authority, verified_operator_client
from tests.tenants.factories import AuthorityFactory, OperatorActionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def password_only_client(user):
    client = client_for(None)
    response = client.post("/operator/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_password_alone_opens_no_console_page(grand_chatellerault):
    olivier = operator()
    ensure_device(olivier, DEMO_TOTP_SECRET)
    client = password_only_client(olivier)
    for path in ("/operator/", f"/operator/authorities/{grand_chatellerault.slug}/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/operator/verify/"
    posted = client.post(f"/operator/authorities/{grand_chatellerault.slug}/",
                         {"status": "suspended"})
    assert posted.status_code == 302 and posted["Location"] == "/operator/verify/"
    grand_chatellerault.refresh_from_db()
    assert grand_chatellerault.status == AuthorityStatus.ACTIVE


def test_anonymous_and_agents_get_no_second_factor_page(chatellerault):
    anonymous = client_for(None).get("/operator/verify/")
    assert anonymous.status_code == 302 and "/operator/login/" in anonymous["Location"]
    with in_authority(chatellerault):
        camille = agent()
    assert client_for(chatellerault, camille).get("/operator/verify/").status_code == 404


def test_right_code_opens_the_console_and_is_audited():
    olivier = operator()
    device = ensure_device(olivier, DEMO_TOTP_SECRET)
    client = password_only_client(olivier)
    assert client.get("/operator/verify/").status_code == 200
    response = client.post("/operator/verify/", {"code": current_code(device)})
    assert response.status_code == 302 and response["Location"] == "/operator/"
    assert client.get("/operator/").status_code == 200
    action = OperatorAction.objects.get(action="signed_in")
    assert action.actor == olivier and action.details == {"operator": olivier.email}


def test_wrong_code_is_refused():
    olivier = operator()
    device = ensure_device(olivier, DEMO_TOTP_SECRET)
    client = password_only_client(olivier)
    for code in (wrong(current_code(device)), "abcdef", ""):
        response = client.post("/operator/verify/", {"code": code})
        assert response.status_code == 400
        assert client.get("/operator/")["Location"] == "/operator/verify/"
    assert not OperatorAction.objects.filter(action="signed_in").exists()


def test_five_wrong_codes_lock_the_operator_out_even_with_the_right_code():
    olivier = operator()
    device = ensure_device(olivier, DEMO_TOTP_SECRET)
    client = password_only_client(olivier)
    statuses = [client.post("/operator/verify/", {"code": wrong(current_code(device))})
                .status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 429]
    locked = client.post("/operator/verify/", {"code": current_code(device)})
    assert locked.status_code == 429
    assert client.get("/operator/")["Location"] == "/operator/verify/"
    # The lock lives in the cache under the schema-aware key; once it expires, the
    # right code works again.
    cache.clear()
    assert client.post("/operator/verify/", {"code": current_code(device)}).status_code == 302


def test_operator_without_device_enrols_with_a_first_code(django_capture_on_commit_callbacks):
    olivier = operator()
    with django_capture_on_commit_callbacks(execute=True):
        send_enrolment_link(olivier)
    link = urlsplit(re.search(r"http\S+/two-factor/link/\S+/", mail.outbox[-1].body)[0]).path
    client = password_only_client(olivier)
    assert client.get("/operator/verify/")["Location"] == "/operator/two-factor/"
    assert client.get(link)["Location"] == "/operator/two-factor/"
    page = client.get("/operator/two-factor/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=olivier, confirmed=False)
    html = page.content.decode()
    from tenants.two_factor import secret_of

    assert secret_of(device) in html and "otpauth://totp/" in html
    assert client.post("/operator/two-factor/",
                       {"code": wrong(current_code(device))}).status_code == 400
    response = client.post("/operator/two-factor/", {"code": current_code(device)})
    assert response.status_code == 302 and response["Location"] == "/operator/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/operator/").status_code == 200
    assert client.get("/operator/two-factor/")["Location"] == "/operator/verify/"
    assert set(OperatorAction.objects.values_list("action", flat=True)) == {
        "two_factor_link_sent", "two_factor_enrolled", "signed_in"}


def test_console_lists_searches_and_filters(chatellerault, grand_chatellerault):
    client = verified_operator_client(operator())
    Authority.objects.filter(pk=grand_chatellerault.pk).update(status=AuthorityStatus.TRIAL)

    def slugs(query):
        html = client.get("/operator/", query).content.decode()
        return {slug for slug in ("chatellerault", "grand-chatellerault")
                if f'data-slug="{slug}"' in html}

    assert slugs({}) == {"chatellerault", "grand-chatellerault"}
    assert slugs({"q": "Agglom"}) == {"grand-chatellerault"}
    assert slugs({"q": "218600"}) == {"chatellerault"}
    assert slugs({"q": "grand-chat"}) == {"grand-chatellerault"}
    assert slugs({"status": "trial"}) == {"grand-chatellerault"}
    assert slugs({"status": "active"}) == {"chatellerault"}
    assert slugs({"status": "suspended"}) == set()
    assert client.get("/operator/", {"status": "nonsense"}).status_code == 200


def test_console_queries_do_not_grow_with_authorities_or_actions(chatellerault):
    olivier = operator()
    client = verified_operator_client(olivier)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/operator/").status_code == 200
        return len(queries)

    few = count()
    OperatorActionFactory.create_batch(30, actor=olivier, action="status_changed",
                                       authority=chatellerault,
                                       details={"old": "active", "new": "suspended"})
    AuthorityFactory.create_batch(5)
    many = count()
    assert many == few
    assert few <= 11  # + operators still without a second factor (enrolment links)


def test_console_shows_the_last_50_actions(chatellerault):
    olivier = operator()
    client = verified_operator_client(olivier)
    OperatorActionFactory.create_batch(
        60, actor=olivier, action="status_changed", authority=chatellerault,
        details={"operator": olivier.email, "old": "active", "new": "active"})
    html = client.get("/operator/").content.decode()
    assert html.count('data-action="status_changed"') == 50


def test_totp_code_command_is_for_local_development_only():
    olivier = operator()
    device = ensure_device(olivier, DEMO_TOTP_SECRET)
    with pytest.raises(CommandError):
        call_command("totp_code", "--email", olivier.email)
    from io import StringIO

    out = StringIO()
    with override_settings(DEBUG=True):
        call_command("totp_code", "--email", olivier.email, stdout=out)
    assert out.getvalue().strip() == current_code(device)
    with override_settings(DEBUG=True), pytest.raises(CommandError):
        call_command("totp_code", "--email", "nobody@collectivrecup.example")


def test_lockout_key_is_per_schema():
    """The failure counter is stored under django-tenants' schema-aware cache key."""
    olivier = operator()
    ensure_device(olivier, DEMO_TOTP_SECRET)
    client = password_only_client(olivier)
    client.post("/operator/verify/", {"code": "000000"})
    with schema_context("public"):
        assert cache.get(f"operator-otp-failures:{olivier.pk}") == 1
    with schema_context("chatellerault"):
        assert cache.get(f"operator-otp-failures:{olivier.pk}") is None
