"""`make run`'s demo ProConnect (collectivrecup.localdev.demo_proconnect): started
unless a provider is configured, its issuer and client handed to the web and worker
processes, its identities those of the demo's authorities, and its first identity
lands in Châtellerault through the whole flow."""

from __future__ import annotations

import os
import socket

import pytest
import requests
from django.core.cache import cache

from collectivrecup.localdev import demo_proconnect
from tenants.demo import DEMO_AUTHORITIES, DEMO_USERS, demo_email
from tests.accounts.factories import agent
from tests.conftest import in_authority
from tests.proconnect_mock import CLIENT_ID, CLIENT_SECRET, DEMO_IDENTITIES, SCOPES
from tests.sso.test_proconnect import land, signed_in_email
from tests.sso.test_registry_provider import RegistryFlow


@pytest.fixture(scope="module")
def demo():
    env = {**os.environ, "PROCONNECT_DEMO_PORT": "0"}
    env.pop("PROCONNECT_ISSUER", None)
    process = demo_proconnect(env)
    assert process is not None
    yield env
    process.terminate()
    process.wait(timeout=10)


def test_the_demo_provider_is_started_and_named_to_the_processes(demo):
    assert demo["PROCONNECT_ISSUER"].startswith("http://127.0.0.1:")
    assert (demo["PROCONNECT_CLIENT_ID"], demo["PROCONNECT_CLIENT_SECRET"]) == (
        CLIENT_ID, CLIENT_SECRET)
    assert demo["PROCONNECT_SCOPES"] == SCOPES
    document = requests.get(f"{demo['PROCONNECT_ISSUER']}/.well-known/openid-configuration",
                            timeout=5).json()
    assert document["issuer"] == demo["PROCONNECT_ISSUER"]
    assert document["end_session_endpoint"]


def test_a_configured_provider_is_kept_and_nothing_is_started():
    env = {"PROCONNECT_ISSUER": "https://auth.agentconnect.gouv.fr/api/v2"}
    assert demo_proconnect(env) is None
    assert env == {"PROCONNECT_ISSUER": "https://auth.agentconnect.gouv.fr/api/v2"}


def test_a_taken_port_leaves_the_demo_without_proconnect(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {**os.environ, "PROCONNECT_DEMO_PORT": str(taken.getsockname()[1])}
        env.pop("PROCONNECT_ISSUER", None)
        assert demo_proconnect(env) is None
    assert "PROCONNECT_ISSUER" not in env
    assert "the demo runs without ProConnect" in capsys.readouterr().err


def test_the_demo_identities_are_those_of_the_demo_authorities():
    by_domain = {f"{spec['slug']}.example": spec for spec in DEMO_AUTHORITIES}
    for person in DEMO_IDENTITIES:
        spec = by_domain[person.sub.split("@")[1]]
        assert person.claims["siret"] == spec["siret"]
        assert person.claims["siret"].startswith(spec["siren"])
    demo_agent = DEMO_IDENTITIES[0]
    local, first, last, *_ = DEMO_USERS[0]
    assert demo_agent.sub == demo_email(local, "chatellerault")
    assert (demo_agent.claims["given_name"], demo_agent.claims["usual_name"]) == (first, last)


@pytest.mark.django_db
def test_the_demo_agent_signs_in_to_her_account_through_the_demo_provider(
        demo, chatellerault, settings):
    settings.PROCONNECT_ENABLED = True
    settings.PROCONNECT_ISSUER = demo["PROCONNECT_ISSUER"]
    settings.PROCONNECT_CLIENT_ID = settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.PROCONNECT_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_RP_SCOPES = SCOPES
    cache.clear()
    with in_authority(chatellerault):  # seed_demo's account, with its password
        existing = agent(email="agent@chatellerault.example", first_name="Camille",
                         last_name="Martin")
    flow = RegistryFlow(demo["PROCONNECT_ISSUER"], "agent@chatellerault.example")
    client = land(flow.authorize(came_from=chatellerault), chatellerault)
    assert signed_in_email(client) == "agent@chatellerault.example"
    assert client.get("/accounts/profile/").wsgi_request.user.pk == existing.pk
    cache.clear()


def test_the_demo_provider_stops_when_localdev_is_gone():
    env = {**os.environ, "PROCONNECT_DEMO_PORT": "0"}
    env.pop("PROCONNECT_ISSUER", None)
    process = demo_proconnect(env)
    assert requests.get(f"{env['PROCONNECT_ISSUER']}/jwks", timeout=5).status_code == 200
    process.stdin.close()  # as when localdev's process ends, however it ends
    assert process.wait(timeout=10) == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{env['PROCONNECT_ISSUER']}/jwks", timeout=5)
