"""Fixtures shared by the exchange tests."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counters (API tokens, contacts, partner keys) live in the cache: every
    test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    """Run the after-commit callbacks of a block: `with capture(execute=True): …`."""
    return django_capture_on_commit_callbacks
