"""Helpers of the sharing tests: a third authority outside every agreement, agreements
made through the services, shared listings projected as in the product."""

from __future__ import annotations

import pytest
from django.test.utils import CaptureQueriesContext  # noqa: F401 - re-exported for tests

from exchange.listings.models import Visibility
from exchange.listings.services.visibility import set_visibility
from exchange.sharing import services as sharing
from tenants.models import Authority
from tenants.validators import luhn_is_valid
from tests.accounts.factories import authority_admin
from tests.conftest import in_authority
from tests.exchange.listings.factories import published_listing

# A slug no other test uses (tenants tests create and expect to refuse "naintre"…).
OUTSIDER = {"slug": "sharing-outsider", "name": "Commune hors accord", "kind": "commune",
            "email_domains": ["outsider.example"], "departement": "86", "population": 6000}


def _valid_siren(prefix: str = "21869991") -> str:
    return next(prefix + str(d) for d in range(10) if luhn_is_valid(prefix + str(d)))


@pytest.fixture(scope="session")
def _outsider_schema(django_db_setup, django_db_blocker):
    """A third authority, created once per session like the two of conftest."""
    from tenants.services import create_authority

    with django_db_blocker.unblock():
        if not Authority.objects.filter(slug=OUTSIDER["slug"]).exists():
            create_authority(**OUTSIDER, siren=_valid_siren(), status="active")


@pytest.fixture
def naintre(_outsider_schema, db) -> Authority:
    return Authority.objects.get(slug=OUTSIDER["slug"])


def admin_of(authority: Authority, **kwargs):
    with in_authority(authority):
        return authority_admin(**kwargs)


def share(first: Authority, second: Authority):
    """An active agreement between the two, proposed by `first`, accepted by `second`."""
    with in_authority(first):
        agreement = sharing.propose_agreement(authority=first, actor=authority_admin(),
                                              other=second)
    with in_authority(second):
        return sharing.accept_agreement(agreement=agreement, authority=second,
                                        actor=authority_admin())


def shared_listing(authority: Authority, capture, **data):
    """A published listing of `authority`, made shared, projected (after-commit run)."""
    with in_authority(authority), capture(execute=True):
        listing = published_listing(**data)
        set_visibility(listing=listing, actor=listing.poster,
                       visibility=Visibility.SHARED)
    return listing


def confirm_receipts(receiver: Authority) -> int:
    """A moderator of `receiver`, from its schema, confirms every transfer awaiting its
    receipt (through the service, as the "Cessions reçues à confirmer" page does), so
    that they count in its figures. Returns how many."""
    from exchange.sharing import receipt_selectors, receipts
    from tests.accounts.factories import moderator

    with in_authority(receiver):
        someone = moderator()
        pending = list(receipt_selectors.receipts_awaiting(receiver))
        for receipt in pending:
            receipts.confirm_receipt(receipt_id=receipt.pk, authority=receiver, actor=someone)
    return len(pending)
