"""ProConnect sign-in, end to end against a real OpenID Connect provider on loopback
(tests/sso_provider.py): the authorization request from the bare host, the provider's
redirect, the callback (state, nonce, PKCE, signatures, audience), the authority found
from the SIRET or the e-mail domain, and the hand-off to the authority's subdomain."""

from __future__ import annotations

import html
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.models import (
    AccessChange,
    AccessChannel,
    Service,
    SignInOutcome,
    SignInRecord,
    User,
)
from tenants.models import SignInHandoff
from tenants.tasks import prune_sign_in_handoffs
from tests.accounts.factories import PASSWORD, ServiceFactory, agent, authority_admin
from tests.conftest import client_for, host_of, in_authority

pytestmark = pytest.mark.django_db


class Flow:
    """One browser's journey: its clients on the bare host and on subdomains (their
    cookies are the browser's), from the login page's button to the hand-off."""

    def __init__(self, provider):
        self.provider = provider
        self.public = Client(HTTP_HOST=settings.BASE_DOMAIN)
        self.clients = {settings.BASE_DOMAIN: self.public}
        self.callback_url = None

    def browser(self, host: str) -> Client:
        return self.clients.setdefault(host, Client(HTTP_HOST=host))

    def authorize(self, came_from=None):
        """From `came_from`'s login page button, or from the bare host (None)."""
        if came_from is not None:
            start = self.browser(host_of(came_from)).get("/accounts/proconnect/")
            assert start.status_code == 302
            target = urlparse(start["Location"])
            response = self.public.get(target.path, {k: v[0] for k, v in
                                                     parse_qs(target.query).items()})
        else:
            response = self.public.get("/oidc/authenticate/")
        assert response.status_code == 302
        assert response["Location"].startswith(f"{self.provider.issuer}/authorize?")
        back = requests.get(response["Location"], allow_redirects=False, timeout=5)
        assert back.status_code == 302
        self.callback_url = urlparse(back.headers["Location"])
        assert self.callback_url.path == "/oidc/callback/"
        return self.callback()

    def callback(self):
        query = {k: v[0] for k, v in parse_qs(self.callback_url.query).items()}
        response = self.public.get(self.callback_url.path, query)
        response.flow = self
        return response


def handoff_target(response) -> tuple[str, str]:
    """(host, path with query) of the callback's redirect to a subdomain."""
    assert response.status_code == 302, response.content[:500]
    target = urlparse(response["Location"])
    assert target.path == "/accounts/proconnect/handoff/"
    return target.hostname, f"{target.path}?{target.query}"


def take_over(response):
    """The same browser follows the hand-off (and confirms it when it was started on
    the bare host); (its client on the subdomain, the last answer)."""
    host, path = handoff_target(response)
    client = response.flow.browser(host)
    answer = client.get(path)
    if answer.status_code == 200 and b'name="token"' in answer.content:
        token = parse_qs(urlparse(path).query)["token"][0]
        answer = client.post("/accounts/proconnect/handoff/", {"token": token})
    return client, answer


def land(response, authority) -> Client:
    host, _ = handoff_target(response)
    assert host == host_of(authority)
    client, client.landing = take_over(response)
    return client


def signed_in_email(client) -> str | None:
    response = client.get("/accounts/profile/")
    return response.wsgi_request.user.email if response.status_code == 200 else None


def refused(response, status=403):
    assert response.status_code == status, response.content[:500]
    return response.content.decode()


# --- A valid sign-in ----------------------------------------------------------------

def test_valid_sign_in_creates_the_agent_and_opens_a_session_on_their_subdomain_only(
        provider, chatellerault):
    with in_authority(chatellerault):  # no service to choose: straight to the home page
        Service.objects.update(is_active=False)
    flow = Flow(provider)
    client = land(flow.authorize(came_from=chatellerault), chatellerault)
    assert client.landing.status_code == 302 and client.landing["Location"] == "/"
    assert signed_in_email(client) == "camille.martin@chatellerault.example"

    with in_authority(chatellerault):
        user = User.objects.get(email="camille.martin@chatellerault.example")
        assert (user.first_name, user.last_name) == ("Camille", "Martin")
        assert user.organizational_unit == "Direction des écoles"
        assert user.is_email_verified and not user.has_usable_password()
        assert AccessChange.objects.filter(member=user, via=AccessChannel.PROCONNECT).exists()
        record = SignInRecord.objects.get()
        assert (record.outcome, record.member) == (SignInOutcome.ACCOUNT_CREATED, user)
    # The bare host holds no signed-in session, and no cookie spans subdomains.
    assert "_auth_user_id" not in flow.public.session
    assert settings.SESSION_COOKIE_DOMAIN is None
    assert signed_in_email(Client(HTTP_HOST=host_of(chatellerault))) is None
    # The hand-off row is gone (single use, no claims left behind).
    assert not SignInHandoff.objects.exists()


def test_the_authorization_request_carries_state_nonce_and_pkce(provider, chatellerault):
    flow = Flow(provider)
    land(flow.authorize(came_from=chatellerault), chatellerault)
    asked = provider.authorize_requests[-1]
    assert len(asked["state"]) >= 32 and len(asked["nonce"]) >= 32
    assert asked["code_challenge_method"] == "S256" and asked["code_challenge"]
    assert asked["redirect_uri"] == f"http://{settings.BASE_DOMAIN}/oidc/callback/"
    assert {"openid", "given_name", "usual_name", "email", "uid", "siret"} <= set(
        asked["scope"].split())
    assert provider.token_requests[-1]["code_verifier"]


def test_the_bare_host_start_without_an_authority_finds_it_from_the_siret(
        provider, chatellerault):
    client = land(Flow(provider).authorize(), chatellerault)
    assert signed_in_email(client) == "camille.martin@chatellerault.example"


# --- The provider's answer is checked ---------------------------------------------------

def test_an_unknown_state_is_refused(provider):
    flow = Flow(provider)
    response = flow.public.get("/oidc/callback/", {"code": "whatever", "state": "x" * 32})
    assert "inconnue ou déjà utilisée" in refused(response, 400)
    assert SignInRecord.objects.filter(outcome=SignInOutcome.BAD_STATE).count() == 1


def test_a_replayed_state_is_refused(provider, chatellerault):
    flow = Flow(provider)
    land(flow.authorize(came_from=chatellerault), chatellerault)
    refused(flow.callback(), 400)
    assert SignInRecord.objects.filter(outcome=SignInOutcome.BAD_STATE).count() == 1


@pytest.mark.parametrize("tamper", ["nonce", "signature", "audience", "issuer", "expired",
                                    "userinfo_sub"])
def test_a_spoilt_token_is_refused_and_nothing_is_handed_off(provider, chatellerault, tamper):
    provider.tamper = {tamper}
    refused(Flow(provider).authorize(came_from=chatellerault))
    assert not SignInHandoff.objects.exists()
    assert SignInRecord.objects.filter(outcome=SignInOutcome.INVALID_TOKEN).count() == 1
    with in_authority(chatellerault):
        assert not User.objects.filter(email=provider.identity["email"]).exists()


def test_a_token_without_key_id_is_checked_with_the_providers_only_key(provider,
                                                                     chatellerault):
    provider.tamper = {"no_kid"}
    client = land(Flow(provider).authorize(came_from=chatellerault), chatellerault)
    assert signed_in_email(client) == "camille.martin@chatellerault.example"


@pytest.mark.parametrize("tamper", [{"no_kid", "two_keys"}, {"no_kid", "signature"}])
def test_a_token_without_key_id_is_refused_when_no_single_key_verifies_it(
        provider, chatellerault, tamper):
    provider.tamper = tamper
    refused(Flow(provider).authorize(came_from=chatellerault))
    assert SignInRecord.objects.filter(outcome=SignInOutcome.INVALID_TOKEN).count() == 1
    with in_authority(chatellerault):
        assert not User.objects.filter(email=provider.identity["email"]).exists()


def test_a_provider_error_is_refused(provider, chatellerault):
    flow = Flow(provider)
    flow.public.get("/oidc/authenticate/")
    state = next(iter(flow.public.session["oidc_states"]))
    response = flow.public.get("/oidc/callback/", {"error": "access_denied", "state": state})
    refused(response)
    assert SignInRecord.objects.filter(outcome=SignInOutcome.PROVIDER_ERROR).count() == 1


# --- The hand-off token ---------------------------------------------------------------

def test_a_reused_handoff_token_is_refused(provider, chatellerault):
    response = Flow(provider).authorize(came_from=chatellerault)
    host, path = handoff_target(response)
    browser = response.flow.browser(host)
    assert browser.get(path).status_code == 302
    browser.post("/accounts/logout/")
    refused(browser.get(path), 400)
    assert signed_in_email(browser) is None
    with in_authority(chatellerault):
        assert SignInRecord.objects.filter(outcome=SignInOutcome.HANDOFF_REFUSED).count() == 1


def test_a_handoff_token_older_than_a_minute_is_refused(provider, chatellerault, monkeypatch):
    response = Flow(provider).authorize(came_from=chatellerault)
    host, path = handoff_target(response)
    later = time.time() + settings.SSO_HANDOFF_MAX_AGE + 1
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    client = response.flow.browser(host)
    refused(client.get(path), 400)
    assert signed_in_email(client) is None


def test_an_expired_handoff_row_is_refused(provider, chatellerault):
    response = Flow(provider).authorize(came_from=chatellerault)
    host, path = handoff_target(response)
    SignInHandoff.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client = response.flow.browser(host)
    refused(client.get(path), 400)
    assert signed_in_email(client) is None


def test_a_handoff_token_is_refused_on_another_subdomain(provider, chatellerault,
                                                           grand_chatellerault):
    _, path = handoff_target(Flow(provider).authorize(came_from=chatellerault))
    client = Client(HTTP_HOST=host_of(grand_chatellerault))
    refused(client.get(path), 400)
    assert signed_in_email(client) is None
    assert SignInHandoff.objects.count() == 1  # still there for its own subdomain


def test_a_forged_handoff_token_is_refused(provider, chatellerault):
    client = Client(HTTP_HOST=host_of(chatellerault))
    refused(client.get("/accounts/proconnect/handoff/", {"token": "forged:token"}), 400)


# --- Which authority ----------------------------------------------------------------

def test_an_establishment_listed_by_an_authority_leads_there(provider, grand_chatellerault):
    grand_chatellerault.sso_organisations = ["21345678900012"]
    grand_chatellerault.save(update_fields=["sso_organisations"])
    provider.identity |= {"siret": "21345678900012",
                          "email": "lea.roux@grand-chatellerault.example"}
    client = land(Flow(provider).authorize(), grand_chatellerault)
    assert signed_in_email(client) == "lea.roux@grand-chatellerault.example"


def test_the_email_domain_is_the_fallback_when_the_siret_matches_no_authority(
        provider, grand_chatellerault):
    provider.identity |= {"siret": "11111111100019",
                          "email": "lea.roux@grand-chatellerault.example"}
    client = land(Flow(provider).authorize(), grand_chatellerault)
    assert signed_in_email(client) == "lea.roux@grand-chatellerault.example"


def test_an_organisation_of_no_authority_gets_a_clear_page_and_no_account(provider,
                                                                        chatellerault):
    provider.identity |= {"siret": "11111111100019", "email": "jo@nulle-part.example"}
    page = refused(Flow(provider).authorize())
    assert "Aucune collectivité pour votre organisation" in page
    assert "a été créé. Si votre collectivité utilise" in page
    assert not SignInHandoff.objects.exists()
    assert not User.objects.filter(email="jo@nulle-part.example").exists()
    with in_authority(chatellerault):
        assert not User.objects.filter(email="jo@nulle-part.example").exists()
    assert SignInRecord.objects.filter(outcome=SignInOutcome.NO_AUTHORITY).count() == 1


def test_an_agent_of_another_authority_starting_here_is_refused(provider, chatellerault,
                                                                grand_chatellerault):
    page = refused(Flow(provider).authorize(came_from=grand_chatellerault))
    assert "Agglomération de Grand Châtellerault" in page
    assert not SignInHandoff.objects.exists()


# --- Accounts -------------------------------------------------------------------------

def test_no_account_is_created_outside_the_authoritys_email_domains(provider, chatellerault):
    provider.identity |= {"email": "camille@prestataire.example"}  # SIRET of chatellerault
    _, answer = take_over(Flow(provider).authorize())
    assert "pas une adresse de cette collectivité" in refused(answer)
    with in_authority(chatellerault):
        assert not User.objects.filter(email="camille@prestataire.example").exists()
        assert SignInRecord.objects.get().outcome == SignInOutcome.OUTSIDE_DOMAINS


def test_an_existing_password_account_is_linked_by_its_email_and_renamed_from_the_claims(
        provider, chatellerault):
    with in_authority(chatellerault):
        existing = agent(email="camille@prestataire.example", first_name="Cam",
                         last_name="Ancien-Nom")
        count = User.objects.count()
    provider.identity |= {"email": "Camille@Prestataire.example"}
    client = land(Flow(provider).authorize(came_from=chatellerault), chatellerault)
    assert signed_in_email(client) == "camille@prestataire.example"
    with in_authority(chatellerault):
        existing.refresh_from_db()
        assert (existing.first_name, existing.last_name) == ("Camille", "Martin")
        assert existing.organizational_unit == "Direction des écoles"
        assert existing.check_password(PASSWORD)  # the password still works
        assert User.objects.count() == count
        assert SignInRecord.objects.get().outcome == SignInOutcome.SIGNED_IN


def test_a_deactivated_account_is_refused(provider, chatellerault):
    with in_authority(chatellerault):
        agent(email="camille.martin@chatellerault.example", is_active=False)
    client, answer = take_over(Flow(provider).authorize(came_from=chatellerault))
    assert "désactivé" in refused(answer)
    assert signed_in_email(client) is None


def test_a_new_agent_chooses_their_service_on_the_first_visit(provider, chatellerault):
    with in_authority(chatellerault):
        schools = ServiceFactory(name="Direction des écoles")
    client = land(Flow(provider).authorize(came_from=chatellerault), chatellerault)
    assert client.landing["Location"] == "/accounts/proconnect/service/"
    page = client.get("/accounts/proconnect/service/")
    assert page.status_code == 200 and "Direction des écoles" in page.content.decode()
    assert client.post("/accounts/proconnect/service/", {"service": ""}).status_code == 200
    assert client.post("/accounts/proconnect/service/",
                       {"service": schools.pk})["Location"] == "/"
    with in_authority(chatellerault):
        assert User.objects.get(email="camille.martin@chatellerault.example").service == schools


# --- On or off ------------------------------------------------------------------------

def test_proconnect_is_off_and_not_offered_unless_configured(chatellerault, settings):
    settings.PROCONNECT_ENABLED = False
    assert Client(HTTP_HOST=settings.BASE_DOMAIN).get("/oidc/authenticate/").status_code == 404
    assert Client(HTTP_HOST=settings.BASE_DOMAIN).get("/oidc/callback/").status_code == 404
    tenant = client_for(chatellerault)
    assert tenant.get("/accounts/proconnect/").status_code == 404
    assert "ProConnect" not in tenant.get("/accounts/login/").content.decode()


def test_the_login_page_offers_proconnect_when_configured(provider, chatellerault):
    tenant = client_for(chatellerault)
    page = tenant.get("/accounts/login/").content.decode()
    assert "S'identifier avec ProConnect" in page
    start = tenant.get("/accounts/proconnect/")
    target = urlparse(start["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == (
        f"{settings.SITE_SCHEME}://{settings.BASE_DOMAIN}/oidc/authenticate/")
    query = parse_qs(target.query)
    assert query["authority"] == ["chatellerault"]
    assert query["binding"] == [start.cookies["proconnect_binding"].value]
    assert start.cookies["proconnect_binding"]["httponly"]


def test_unused_handoffs_are_pruned_with_their_claims(provider, chatellerault):
    handoff_target(Flow(provider).authorize(came_from=chatellerault))
    assert prune_sign_in_handoffs.delay().get() == 0  # still within its minute
    SignInHandoff.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert prune_sign_in_handoffs.delay().get() == 1
    assert not SignInHandoff.objects.exists()


def test_the_authority_admin_reads_the_sign_ins_in_the_journal(provider, chatellerault):
    land(Flow(provider).authorize(came_from=chatellerault), chatellerault)
    provider.identity |= {"email": "camille@prestataire.example"}
    take_over(Flow(provider).authorize(came_from=chatellerault))
    with in_authority(chatellerault):
        admin = authority_admin()
    page = client_for(chatellerault, admin).get("/accounts/admin/journal/").content.decode()
    assert "Connexions par fournisseur d'identité, et accès de secours" in html.unescape(page)
    assert "Camille Martin &lt;camille.martin@chatellerault.example&gt;" in page
    assert "Connecté, compte créé" in page
    assert "Adresse hors des domaines de la collectivité" in page
    assert "camille@prestataire.example" not in page  # a refusal names nobody


# --- The hand-off is bound to the browser ----------------------------------------------

def test_a_handoff_started_on_the_subdomain_works_only_in_that_browser(provider,
                                                                      chatellerault):
    response = Flow(provider).authorize(came_from=chatellerault)
    host, path = handoff_target(response)
    victim = Client(HTTP_HOST=host)  # someone else's browser, sent the link
    refused(victim.get(path), 400)
    token = parse_qs(urlparse(path).query)["token"][0]
    refused(victim.post("/accounts/proconnect/handoff/", {"token": token}), 400)
    assert signed_in_email(victim) is None
    # The token was not used up: its own browser still signs in with it.
    assert response.flow.browser(host).get(path).status_code == 302
    assert signed_in_email(response.flow.browser(host)) == provider.identity["email"]


def test_a_handoff_started_on_the_bare_host_waits_for_the_agents_confirmation(
        provider, chatellerault):
    host, path = handoff_target(Flow(provider).authorize())
    client = Client(HTTP_HOST=host)
    page = client.get(path)
    assert page.status_code == 200
    assert "Continuer en tant que Camille Martin" in page.content.decode()
    assert signed_in_email(client) is None
    assert SignInHandoff.objects.count() == 1  # a GET uses nothing up
    token = parse_qs(urlparse(path).query)["token"][0]
    assert client.post("/accounts/proconnect/handoff/", {"token": token}).status_code == 302
    assert signed_in_email(client) == "camille.martin@chatellerault.example"
    refused(Client(HTTP_HOST=host).post("/accounts/proconnect/handoff/", {"token": token}),
            400)


def test_an_organisation_of_two_authorities_chooses_from_the_bare_host(
        provider, chatellerault, grand_chatellerault):
    grand_chatellerault.sso_organisations = ["218600666"]  # the town is in the EPCI
    grand_chatellerault.save(update_fields=["sso_organisations"])
    provider.identity |= {"email": "lea.roux@grand-chatellerault.example"}
    response = Flow(provider).authorize()
    assert response.status_code == 200
    page = response.content.decode()
    assert "Choisissez votre collectivité" in page
    for authority in (chatellerault, grand_chatellerault):
        assert f'href="{settings.SITE_SCHEME}://{host_of(authority)}/accounts/proconnect/"' \
            in page
    assert not SignInHandoff.objects.exists()
    # Started from one of them, the agent lands there.
    client = land(Flow(provider).authorize(came_from=grand_chatellerault),
                  grand_chatellerault)
    assert client.landing.status_code == 302
    assert signed_in_email(client) == "lea.roux@grand-chatellerault.example"
