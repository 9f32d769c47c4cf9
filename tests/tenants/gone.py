"""Authorities that are no longer live, for tests of the tenancy layer and of the
surfaces it guards."""

from __future__ import annotations

from django.utils import timezone

from tenants.models import Authority

# The three ways an authority stops being live.
GONE = ["suspended", "closed", "deleted"]


def make_gone(authority: Authority, how: str) -> Authority:
    """`authority` suspended, closed, or with its data deleted (the row only: the real
    deletion also drops the schema), read again from the database."""
    rows = Authority.all_objects.filter(pk=authority.pk)
    if how == "deleted":
        rows.update(data_deleted_at=timezone.now())
    else:
        rows.update(status=how)
    return Authority.all_objects.get(pk=authority.pk)
