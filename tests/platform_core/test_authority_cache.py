"""core.cache: the read-through per-authority cache (issue 15). Keys carry the schema
and a version; invalidation forgets a value now and again after commit."""

import pytest
from django.core.cache import cache
from django.db import connection, transaction

from core import cache as authority_cache
from tests.conftest import in_authority

pytestmark = pytest.mark.django_db


def test_a_value_is_built_once_then_read_from_the_cache(chatellerault):
    built = []

    def build():
        built.append(1)
        return {"answer": len(built)}

    with in_authority(chatellerault):
        assert authority_cache.cached("probe", build) == {"answer": 1}
        assert authority_cache.cached("probe", build) == {"answer": 1}
    assert len(built) == 1


def test_the_key_names_the_schema_and_the_version(chatellerault):
    with in_authority(chatellerault):
        key = authority_cache.key("probe")
    assert key == f"authority:chatellerault:probe:v{authority_cache.VERSION}"
    assert authority_cache.key("probe", schema="other") == (
        f"authority:other:probe:v{authority_cache.VERSION}")


def test_two_authorities_never_read_each_other_s_value(chatellerault, grand_chatellerault):
    with in_authority(chatellerault):
        assert authority_cache.cached("probe", lambda: "chatellerault") == "chatellerault"
    with in_authority(grand_chatellerault):
        assert authority_cache.cached("probe", lambda: "grand") == "grand"
    with in_authority(chatellerault):
        assert authority_cache.cached("probe", lambda: "rebuilt") == "chatellerault"


def test_invalidate_forgets_the_current_authority_s_value_only(chatellerault,
                                                               grand_chatellerault):
    with in_authority(chatellerault):
        authority_cache.cached("probe", lambda: "old")
    with in_authority(grand_chatellerault):
        authority_cache.cached("probe", lambda: "grand")
    with in_authority(chatellerault):
        authority_cache.invalidate("probe")
        assert authority_cache.cached("probe", lambda: "new") == "new"
    with in_authority(grand_chatellerault):
        assert authority_cache.cached("probe", lambda: "rebuilt") == "grand"


def test_invalidate_forgets_again_after_commit(chatellerault, django_capture_on_commit_callbacks):
    """A read between the write and the commit caches the old rows: the commit forgets
    them again."""
    with in_authority(chatellerault):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            authority_cache.invalidate("probe")
            assert cache.get(authority_cache.key("probe")) is None
            authority_cache.cached("probe", lambda: "read before the commit")
        assert connection.schema_name == "chatellerault"
        assert authority_cache.cached("probe", lambda: "after the commit") == "after the commit"


class _BrokenCache:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache down")
        return fail


def test_a_cache_that_fails_is_read_around(chatellerault, monkeypatch, caplog):
    """Redis stopped: the value is built from the database, writes still succeed."""
    monkeypatch.setattr(authority_cache, "cache", _BrokenCache())
    with in_authority(chatellerault):
        assert authority_cache.cached("probe", lambda: "from the database") == (
            "from the database")
        authority_cache.invalidate("probe")
    assert "cache unavailable" in caplog.text
