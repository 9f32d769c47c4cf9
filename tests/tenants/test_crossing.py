"""The tenancy layer (tenants/crossing.py): the one "live" rule, the grounds of the
platform, and crossings that check their ground at crossing time and always put the
connection back where it was."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection

from accounts.models import User
from tenants.crossing import (
    CrossingRefused,
    OwnWork,
    PlatformWork,
    check,
    for_each_live_authority,
    in_authority,
    in_public,
    in_schema,
    is_live,
    live_authorities,
    may_cross,
)
from tenants.models import Authority
from tests.accounts.factories import agent
from tests.conftest import in_authority as inside_for_setup
from tests.tenants.gone import GONE, make_gone

pytestmark = pytest.mark.django_db

# Other tests of the session may create more authorities: look at the two of conftest.
OURS = {"chatellerault", "grand-chatellerault"}


def live_slugs() -> list[str]:
    return [slug for slug in live_authorities().values_list("slug", flat=True)
            if slug in OURS]


@dataclass(frozen=True)
class Never:
    """A ground that never holds (an agreement that ended, a revoked grant)."""

    reason: str = "test: never"
    requires_live: bool = False

    def holds(self, target: Authority) -> bool:
        return False


# --- The live rule ---------------------------------------------------------------------

def test_live_authorities_are_trial_or_active_with_their_data_and_not_the_platform(
        chatellerault, grand_chatellerault):
    assert live_slugs() == ["chatellerault", "grand-chatellerault"]
    assert "public" not in live_authorities().values_list("schema_name", flat=True)
    Authority.all_objects.filter(pk=grand_chatellerault.pk).update(status="trial")
    assert live_slugs() == ["chatellerault", "grand-chatellerault"]
    public = Authority.all_objects.get(schema_name="public")
    assert not is_live(public)
    assert not is_live(None)
    assert is_live(chatellerault)


@pytest.mark.parametrize("how", GONE)
def test_a_suspended_closed_or_deleted_authority_is_not_live(chatellerault,
                                                            grand_chatellerault, how):
    gone = make_gone(chatellerault, how)
    assert live_slugs() == ["grand-chatellerault"]
    assert not is_live(gone)
    assert not gone.serves_data


# --- Grounds ------------------------------------------------------------------------------

@pytest.mark.parametrize("how", GONE)
def test_own_work_refuses_an_authority_that_is_not_live(chatellerault, how):
    gone = make_gone(chatellerault, how)
    with pytest.raises(CrossingRefused) as refused:
        check(gone, OwnWork("expire listings"))
    assert refused.value.target == gone
    assert refused.value.why == ("data deleted" if how == "deleted"
                                 else f"authority is {how}")
    assert "own work: expire listings" in str(refused.value)
    assert not may_cross(gone, OwnWork("expire listings"))
    check(chatellerault, OwnWork("expire listings"))  # the live row passes


@pytest.mark.parametrize("how", ["suspended", "closed"])
def test_platform_work_reaches_a_suspended_or_closed_authority(chatellerault, how):
    gone = make_gone(chatellerault, how)
    with in_authority(gone, ground=PlatformWork("lifecycle e-mail")):
        assert connection.schema_name == "chatellerault"


def test_platform_work_refuses_an_authority_whose_data_were_deleted(chatellerault):
    deleted = make_gone(chatellerault, "deleted")
    with (pytest.raises(CrossingRefused) as refused,
          in_authority(deleted, ground=PlatformWork("export"))):
        pytest.fail("the block must not run")
    assert refused.value.why == "data deleted"
    assert connection.schema_name == "public"


def test_the_platform_row_is_never_a_target():
    public = Authority.all_objects.get(schema_name="public")
    with pytest.raises(CrossingRefused) as refused:
        check(public, PlatformWork("anything"))
    assert refused.value.why == "not an authority"


def test_a_ground_that_does_not_hold_refuses_before_entering(chatellerault):
    with (pytest.raises(CrossingRefused) as refused,
          in_authority(chatellerault, ground=Never())):
        pytest.fail("the block must not run")
    assert refused.value.why == "ground does not hold"
    assert "test: never" in str(refused.value)
    assert connection.schema_name == "public"


# --- Crossings put the connection back ------------------------------------------------

def test_in_authority_runs_the_block_in_the_target_and_restores_on_exit(
        chatellerault, grand_chatellerault):
    with inside_for_setup(grand_chatellerault):
        agent(email="only-in-agglo@grand-chatellerault.example")
    with in_authority(grand_chatellerault, ground=OwnWork("test")) as target:
        assert target == grand_chatellerault
        assert connection.schema_name == "grand_chatellerault"
        assert connection.tenant == grand_chatellerault
        assert User.objects.filter(email="only-in-agglo@grand-chatellerault.example").exists()
        with in_authority(chatellerault, ground=OwnWork("nested")):
            assert connection.schema_name == "chatellerault"
            assert not User.objects.filter(
                email="only-in-agglo@grand-chatellerault.example").exists()
        assert connection.schema_name == "grand_chatellerault"
    assert connection.schema_name == "public"


def test_in_authority_restores_the_schema_when_the_block_raises(chatellerault,
                                                                  grand_chatellerault):
    with in_authority(grand_chatellerault, ground=OwnWork("outer")):
        with (pytest.raises(ValueError),
              in_authority(chatellerault, ground=OwnWork("inner"))):
            raise ValueError("boom")
        assert connection.schema_name == "grand_chatellerault"
    assert connection.schema_name == "public"


@pytest.mark.parametrize("how", GONE)
def test_in_schema_reads_the_current_status_not_a_stale_copy(chatellerault, how):
    stale = Authority.objects.get(pk=chatellerault.pk)
    make_gone(chatellerault, how)
    assert stale.status == "active"  # the copy the caller holds still says active
    with (pytest.raises(CrossingRefused),
          in_schema(stale.schema_name, ground=OwnWork("after-commit callback"))):
        pytest.fail("the block must not run")
    assert connection.schema_name == "public"


def test_in_schema_refuses_an_unknown_schema_and_enters_a_known_one(chatellerault):
    with (pytest.raises(CrossingRefused) as refused,
          in_schema("no_such_schema", ground=PlatformWork("test"))):
        pytest.fail("the block must not run")
    assert refused.value.target is None
    assert "no_such_schema" in refused.value.why
    with in_schema("chatellerault", ground=PlatformWork("test")) as target:
        assert target == chatellerault
        assert connection.schema_name == "chatellerault"
    assert connection.schema_name == "public"


def test_in_public_enters_the_public_schema_and_restores_the_authority(chatellerault):
    with in_authority(chatellerault, ground=OwnWork("test")):
        with in_public(purpose="billing"):
            assert connection.schema_name == "public"
        assert connection.schema_name == "chatellerault"
        with (pytest.raises(RuntimeError),
              in_public(purpose="billing")):
            raise RuntimeError("boom")
        assert connection.schema_name == "chatellerault"


# --- The loop over live authorities ----------------------------------------------------

@pytest.mark.parametrize("how", GONE)
def test_for_each_live_authority_skips_the_others_and_runs_each_in_its_schema(
        chatellerault, grand_chatellerault, how):
    make_gone(grand_chatellerault, how)
    visited = [(authority.slug, connection.schema_name)
               for authority in for_each_live_authority(purpose="test")
               if authority.slug in OURS]
    assert visited == [("chatellerault", "chatellerault")]
    assert connection.schema_name == "public"


def test_for_each_live_authority_visits_all_live_ones_in_schema_order(
        chatellerault, grand_chatellerault):
    visited = [connection.schema_name for _ in for_each_live_authority(purpose="test")]
    assert visited == sorted(visited)
    assert [schema for schema in visited if schema in ("chatellerault", "grand_chatellerault")
            ] == ["chatellerault", "grand_chatellerault"]
    assert connection.schema_name == "public"


def test_for_each_live_authority_restores_the_schema_on_break_and_on_exception(
        chatellerault, grand_chatellerault):
    for _authority in for_each_live_authority(purpose="test"):
        assert connection.schema_name == "chatellerault"
        break
    assert connection.schema_name == "public"
    with pytest.raises(ValueError):
        for _authority in for_each_live_authority(purpose="test"):
            raise ValueError("boom")
    assert connection.schema_name == "public"
