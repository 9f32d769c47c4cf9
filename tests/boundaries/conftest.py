"""Fixtures of the boundary matrix (defined in actors.py)."""

from tests.boundaries.actors import _suspended_schema, world  # noqa: F401
