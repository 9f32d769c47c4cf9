"""A control character in a page's query parameter (a NUL byte first: PostgreSQL refuses
it in text) is a clean 400 page on every host, never a 500 (issue 12)."""

from __future__ import annotations

import pytest

from tests.accounts.factories import agent
from tests.conftest import client_for, host_of, in_authority
from tests.exchange.listings.factories import published_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(chatellerault):
    with in_authority(chatellerault):
        return agent()


@pytest.mark.parametrize("query", ["q=%00", "q=chaise%00", "q=%1B&sort=recent", "%00=x",
                                   "q=ok&q=%7F"])
def test_the_feed_search_with_a_control_character_is_a_400_page(chatellerault, member,
                                                                  query):
    response = client_for(chatellerault, member).get(f"/listings/?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "Requête incorrecte" in html
    assert "caractères non acceptés" in html


def test_the_feed_search_still_finds_with_ordinary_text_and_line_breaks(chatellerault,
                                                                        member):
    with in_authority(chatellerault):
        published_listing(title="Chaises empilables")
    client = client_for(chatellerault, member)
    assert "Chaises empilables" in client.get("/listings/?q=chaise").content.decode()
    assert client.get("/listings/?q=chaise%0D%0A").status_code == 200


def test_the_bare_host_refuses_them_too(client):
    response = client.get("/?next=%00", HTTP_HOST=host_of(None))
    assert response.status_code == 400
