"""Conditions for CHECK constraints and partial indexes that survive the template schema.

New authorities' schemas are built from a dump of the template schema
(tenants/provisioning.py), so every constraint and index predicate must read back the
same after pg_dump re-creates it (tests/tenants/test_provisioning.py compares the two
catalogs). `field IN ('a', 'b')` on a varchar column does not: PostgreSQL deparses it as
`(field)::text = ANY ((ARRAY['a'::character varying, …])::text[])` and parses that text
back into another expression. Equalities joined by OR read back unchanged."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q


def one_of(field: str, values: Iterable[object]) -> Q:
    """`field` equals one of `values`, as `field = a OR field = b …` (never empty)."""
    condition = Q()
    for value in values:
        condition |= Q(**{field: value})
    if not condition:
        raise ValueError(f"one_of({field!r}): no value")
    return condition
