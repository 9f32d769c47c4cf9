"""What listings ask the partners' directory (exchange.listings.recipients): the close
form's choice of partners and the transfer record's lines naming one. Listings stand
alone: without an app providing partners, neither names a partner."""

import pytest

from accounts.models import Service
from exchange.listings import recipients, transfer_records
from exchange.listings.forms import CloseForm
from exchange.listings.recipients import RecipientKind
from tests.accounts.factories import agent
from tests.conftest import in_authority

pytestmark = pytest.mark.django_db


class OfferingDirectory:
    """A stand-in for the app that provides partners (exchange.partners)."""

    def choices(self, authority):
        return Service.objects.all()

    def record_lines(self, recipient):
        return [f"Partner n° {recipient.partner_id}"]


def test_the_close_form_and_the_record_ask_the_partners_directory(chatellerault,
                                                                  monkeypatch):
    with in_authority(chatellerault):
        agent()  # one service to offer
        monkeypatch.setitem(recipients._DIRECTORIES, RecipientKind.PARTNER,
                            OfferingDirectory())
        assert "partner" in CloseForm().fields
        assert transfer_records.partner_lines(7) == ["Partner n° 7"]
        # Without an app providing partners: nothing to choose, nothing more to print.
        monkeypatch.delitem(recipients._DIRECTORIES, RecipientKind.PARTNER)
        assert "partner" not in CloseForm().fields
        assert transfer_records.partner_lines(7) == []
