"""The tenancy layer: the one place where code leaves the schema it runs in.

Every read or write in another authority's schema, and every visit to the public
schema's shared data on an authority's behalf, goes through this module. Each crossing
names its *ground* — why it is allowed — and the ground is checked at the moment of
crossing, not when a link was made or a key was issued:

    with in_authority(owner, ground=SharingAgreementGround(viewer)):
        listing = Listing.objects.get(pk=listing_id)

    with in_public(purpose="billing webhook"):
        ...

A ground is a small object with a `reason` (for logs and errors), a `requires_live`
flag and a `holds(target)` method. The grounds that only the platform knows live here
(`PlatformWork`, `OwnWork`); the grounds that belong to a domain are defined by that
domain (`exchange.sharing.grounds.SharingAgreementGround`,
`exchange.partners.grounds.PartnerGrantGround`), so this module never imports upwards.

The "live" rule: an authority is live when its status is trial or active and its data
were not deleted. Its statuses and its test of one row are the model's
(`tenants.models.LIVE_STATUSES`, `Authority.serves_data`); this module applies it to
querysets and crossings (`live_authorities`, `is_live`). Shared and partner surfaces,
periodic jobs and crossings all use it.

`django_tenants.utils.schema_context` and `tenant_context` are used nowhere else in the
application code (tests/platform_core/test_tenancy_layer.py greps for them).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django_tenants.utils import schema_context, tenant_context

from tenants.models import LIVE_STATUSES, Authority

log = logging.getLogger(__name__)


class CrossingRefused(PermissionError):
    """A crossing whose ground does not hold now (agreement ended, grant revoked,
    authority suspended, closed or deleted). Callers turn it into a 404 or 403."""

    def __init__(self, target: Authority | None, ground: Ground, why: str):
        self.target = target
        self.ground = ground
        self.why = why
        name = getattr(target, "schema_name", "?")
        super().__init__(f"crossing into {name} refused ({ground.reason}): {why}")


class Ground(Protocol):
    """Why a crossing is allowed. Implementations are small frozen dataclasses."""

    reason: str
    requires_live: bool

    def holds(self, target: Authority) -> bool:
        """True when the ground still holds for `target`, checked at crossing time."""


# --- The "live" rule ----------------------------------------------------------------

def live_authorities() -> QuerySet[Authority]:
    """Authorities whose data are served: trial or active, data not deleted, not the
    platform row. THE rule: shared feeds, partner feeds, jobs and crossings use it."""
    return (Authority.all_objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
            .filter(status__in=LIVE_STATUSES, data_deleted_at__isnull=True)
            .order_by("schema_name"))


def is_live(authority: Authority | None) -> bool:
    """The same rule for one authority already loaded (None: not live)."""
    return authority is not None and authority.serves_data


# --- Grounds only the platform knows --------------------------------------------------

@dataclass(frozen=True)
class PlatformWork:
    """The operator or the platform itself acting on an authority (provisioning,
    lifecycle e-mails, export, import, deletion, demo seeding, migrations). Allowed on
    any authority whose schema still exists, whatever its status."""

    purpose: str
    requires_live: bool = False

    @property
    def reason(self) -> str:
        return f"platform: {self.purpose}"

    def holds(self, target: Authority) -> bool:
        return target.data_deleted_at is None


@dataclass(frozen=True)
class OwnWork:
    """The authority's own work run outside its request (a scheduled job, a task, an
    after-commit callback for one of its listings). Only while the authority is live."""

    purpose: str
    requires_live: bool = True

    @property
    def reason(self) -> str:
        return f"own work: {self.purpose}"

    def holds(self, target: Authority) -> bool:
        return True


# --- Crossings --------------------------------------------------------------------------

def check(target: Authority, ground: Ground) -> None:
    """Raise CrossingRefused unless `ground` holds for `target` now."""
    if target is None or target.is_public:
        raise CrossingRefused(target, ground, "not an authority")
    if target.data_deleted_at is not None:
        raise CrossingRefused(target, ground, "data deleted")
    if ground.requires_live and not is_live(target):
        raise CrossingRefused(target, ground, f"authority is {target.status}")
    if not ground.holds(target):
        raise CrossingRefused(target, ground, "ground does not hold")


def may_cross(target: Authority, ground: Ground) -> bool:
    """`check` as a boolean, for selectors that answer "nothing" rather than raise."""
    try:
        check(target, ground)
    except CrossingRefused:
        return False
    return True


@contextmanager
def in_authority(target: Authority, *, ground: Ground) -> Iterator[Authority]:
    """Run the block in `target`'s schema, after checking `ground`. The connection's
    tenant is `target` inside (so `connection.tenant` and media paths follow it) and is
    restored on exit, whatever happens."""
    check(target, ground)
    with tenant_context(target):
        yield target


@contextmanager
def in_schema(schema_name: str, *, ground: Ground) -> Iterator[Authority]:
    """`in_authority` for code that holds only a schema name (an after-commit callback
    that captured it). The authority is read again, so its status is the current one."""
    target = Authority.all_objects.filter(schema_name=schema_name).first()
    if target is None:
        raise CrossingRefused(None, ground, f"no authority with schema {schema_name}")
    with in_authority(target, ground=ground):
        yield target


@contextmanager
def in_public(*, purpose: str) -> Iterator[None]:
    """Run the block in the public schema (shared data: authorities, catalogue,
    grants, operators, billing). Reading public data needs no ground beyond a purpose;
    what may be read there is decided by the selectors that filter it."""
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        yield


@contextmanager
def in_dropped_schema(schema_name: str, *, purpose: str) -> Iterator[None]:
    """Offboarding only: a schema whose authority row may be gone or marked deleted
    (media clean-up after a drop, restore into a new schema before its row exists)."""
    log.info("entering schema %s for %s", schema_name, purpose)
    with schema_context(schema_name):
        yield


def for_each_live_authority(*, purpose: str) -> Iterator[Authority]:
    """Yield every live authority, the block of the loop running in its schema:

        for authority in for_each_live_authority(purpose="expire listings"):
            expire_due_listings()

    THE "run this in every authority" loop (jobs fan out through it). The schema is
    restored when the loop ends, is left with `break`, or its body raises (the
    generator is closed as the loop unwinds)."""
    ground = OwnWork(purpose)
    for authority in live_authorities():
        with in_authority(authority, ground=ground):
            yield authority


def current_schema() -> str:
    return connection.schema_name
