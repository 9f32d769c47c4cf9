"""One rule for one resource, on the pages and the API (accounts.permissions): the feed
and a listing are for agents and moderators on both, an admin-only account gets 403 on
both. Templates read flags (`can`, `wanted.can_close`), never role names."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.accounts.factories import TokenFactory, agent, authority_admin, moderator
from tests.conftest import client_for, host_of, in_authority
from tests.exchange.listings.factories import WantedRequestFactory, published_listing

pytestmark = pytest.mark.django_db

API = "/api/v1"



def _api(authority, user) -> APIClient:
    client = APIClient(HTTP_HOST=host_of(authority))
    with in_authority(authority):
        token = TokenFactory(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.mark.parametrize(("roles", "expected"), [
    (["agent"], 200),
    (["moderator"], 200),
    (["authority_admin"], 403),
])
def test_the_feed_and_a_listing_answer_the_same_on_the_pages_and_the_api(
        chatellerault, roles, expected):
    """Deliberate change: the web feed used to need a login only, while the API needed
    the agent or moderator role; both now ask accounts.permissions.can_use_exchange."""
    with in_authority(chatellerault):
        listing = published_listing()
        member = agent(roles=roles)
    web, api = client_for(chatellerault, member), _api(chatellerault, member)
    assert web.get("/listings/").status_code == expected
    assert api.get(f"{API}/listings/").status_code == expected
    assert web.get(f"/listings/{listing.pk}/").status_code == expected
    assert api.get(f"{API}/listings/{listing.pk}/").status_code == expected
    assert web.get("/listings/shared/").status_code == expected
    assert api.get(f"{API}/shared-listings/").status_code == expected


@pytest.mark.parametrize(("roles", "flags"), [
    (["agent"], {"agent": True, "use_exchange": True, "moderate": False,
                 "administer": False, "manage_factors": False, "operate": False}),
    (["agent", "moderator"], {"agent": True, "use_exchange": True, "moderate": True,
                              "administer": False, "manage_factors": True,
                              "operate": False}),
    (["authority_admin"], {"agent": False, "use_exchange": False, "moderate": False,
                           "administer": True, "manage_factors": True, "operate": False}),
])
def test_every_page_gets_the_role_flags_of_its_user(chatellerault, roles, flags):
    with in_authority(chatellerault):
        member = agent(roles=roles)
    response = client_for(chatellerault, member).get("/")
    assert response.status_code == 200
    assert {name: response.context["can"][name] for name in flags} == flags


def test_menus_follow_the_flags(chatellerault):
    with in_authority(chatellerault):
        plain, mod, admin = agent(), moderator(), authority_admin()
    moderation_link = 'href="/listings/moderation/"'
    admin_link = 'href="/accounts/admin/users/"'
    plain_html = client_for(chatellerault, plain).get("/listings/").content.decode()
    mod_html = client_for(chatellerault, mod).get("/listings/").content.decode()
    admin_home = client_for(chatellerault, admin).get("/").content.decode()
    plain_home = client_for(chatellerault, plain).get("/").content.decode()
    assert moderation_link not in plain_html
    assert moderation_link in mod_html
    assert admin_link in admin_home
    assert admin_link not in plain_home


def test_the_close_button_of_a_wanted_request_is_for_its_author_and_the_moderators(
        chatellerault):
    with in_authority(chatellerault):
        author, other, mod = agent(), agent(), moderator()
        wanted = WantedRequestFactory(author=author, title="Tapis de gymnastique")
    close_action = f'action="/listings/wanted/{wanted.pk}/close/"'
    for member, shown in ((author, True), (mod, True), (other, False)):
        html = client_for(chatellerault, member).get("/listings/wanted/").content.decode()
        assert (close_action in html) is shown
