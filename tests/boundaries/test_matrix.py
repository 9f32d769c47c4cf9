"""The boundary matrix (issue 12): every route × every actor gets the answer of its row,
and no answer to an actor outside A carries A's € values, A's agents' e-mails or
listings it was not given. See matrix.py for the rows, actors.py for the world."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import urlencode

import pytest

from tests.boundaries.actors import (
    ACTORS,
    AGENT_A,
    AGENT_B,
    PARTNER_KEY_A,
    TITLE_OFFERED_A,
    TITLE_SHARED_A,
    VALUE_PRIVATE,
    euro_renderings,
)
from tests.boundaries.matrix import ROWS
from tests.boundaries.routes import all_routes

ROUTES = {route.key: route for route in all_routes()}
CASES = [(key, actor) for key in ROWS for actor in ACTORS]


def test_every_route_has_a_row():
    """A route added to either urlconf without a row here fails, and so does a row
    whose route is gone."""
    missing = sorted(set(ROUTES) - set(ROWS))
    stale = sorted(set(ROWS) - set(ROUTES))
    assert not missing, "routes without a row in tests/boundaries/matrix.py:\n" + "\n".join(
        f"  {key}  ({ROUTES[key].pattern})" for key in missing)
    assert not stale, "rows of routes that no longer exist:\n" + "\n".join(stale)


def _body(response) -> str:
    """The text of an answer; a ZIP (XLSX, export) is read member by member. PDFs are
    compressed with subset fonts: the leak check cannot read them."""
    raw = (b"".join(response.streaming_content) if response.streaming
           else response.content)
    if raw.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            raw = b"\n".join(archive.read(name) for name in archive.namelist())
    return raw.decode("utf-8", errors="replace")


@pytest.mark.parametrize(("route_key", "actor"), CASES,
                         ids=[f"{key}~{actor}" for key, actor in CASES])
def test_boundary(world, db, route_key, actor):
    row = ROWS[route_key]
    route = ROUTES[route_key]
    path = row.path or route.url(row.kwargs(world) if row.kwargs else {})
    client = world.client(actor, route.host)
    if row.method == "GET":
        response = client.get(path)
    else:
        response = client.generic(row.method, path, data=urlencode(row.data),
                                  content_type="application/x-www-form-urlencoded")
    asked = f"{row.method} {world.host_for(actor, route.host)}{path} as {actor}"
    problems = []
    expected = row.expect[actor]
    mismatch = expected.mismatch(response)
    if mismatch:
        problems.append(f"expected {expected.label}, {mismatch}")
    body = _body(response)
    for what, markers, allowed in world.secrets:
        if actor in allowed:
            continue
        found = [marker for marker in markers if marker in body]
        if found:
            problems.append(f"leaks {what}: {found[0]!r}")
    assert not problems, f"{asked}: " + "; ".join(problems)


def test_ids_of_a_name_nothing_on_bs_host(world, db):
    """The world's premise: a URL with an id of A, asked on B's host, names no row of B."""
    from exchange.listings.models import Listing
    from tests.conftest import in_authority

    with in_authority(world.b):
        assert not Listing.objects.filter(pk=world.objects["a_listing"].pk).exists()


@pytest.mark.parametrize(("actor", "route_key", "kwargs", "marker"), [
    (AGENT_A, "tenant:exchange:listing_detail", "a_listing", "value"),
    (PARTNER_KEY_A, "public:partner_api:listings", None, TITLE_OFFERED_A),
    (AGENT_B, "tenant:exchange:shared_detail", "shared", TITLE_SHARED_A),
])
def test_the_markers_are_shown_to_those_who_may_see_them(world, db, actor, route_key,
                                                         kwargs, marker):
    """The leak check is not vacuous: where a marker is meant to be seen, it is found."""
    route = ROUTES[route_key]
    if kwargs == "a_listing":
        path = route.url({"pk": world.objects["a_listing"].pk})
    elif kwargs == "shared":
        path = route.url({"slug": world.a.slug, "listing_id": world.objects["a_shared"].pk})
    else:
        path = route.url({})
    response = world.client(actor, route.host).get(path)
    assert response.status_code == 200
    body = _body(response)
    markers = euro_renderings(VALUE_PRIVATE) if marker == "value" else [marker]
    assert [found for found in markers if found in body], f"none of {markers} in {path}"
