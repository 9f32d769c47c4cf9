"""The `Recipient` value and how the form's and the API's fields become one."""

import pytest

from accounts.models import Service
from exchange.listings.errors import ExchangeError
from exchange.listings.models import ClosureReason
from exchange.listings.recipients import (
    Recipient,
    RecipientKind,
    recipient_from_fields,
    required_recipient,
)

SPORTS = Service(name="Direction des sports")


def test_each_reason_reads_only_its_own_fields():
    fields = {"service": SPORTS, "authority_slug": "", "authority_name": "Ville de Naintré",
              "partner_id": None, "partner_name": "Emmaüs"}
    assert recipient_from_fields(ClosureReason.EXCHANGED_INTERNAL, **fields) == \
        Recipient.service(SPORTS)
    assert recipient_from_fields(ClosureReason.EXCHANGED_OTHER_AUTHORITY, **fields) == \
        Recipient.named("Ville de Naintré")
    assert recipient_from_fields(ClosureReason.GIVEN_TO_PARTNER, **fields) == \
        Recipient.named("Emmaüs")
    assert recipient_from_fields(ClosureReason.DISCARDED, **fields) is None


def test_a_platform_slug_or_a_granted_partner_wins_over_a_typed_name():
    authority = recipient_from_fields(ClosureReason.EXCHANGED_OTHER_AUTHORITY,
                                      authority_slug="grand-chatellerault",
                                      authority_name="Agglo")
    assert (authority.kind, authority.authority_slug) == (RecipientKind.AUTHORITY,
                                                          "grand-chatellerault")
    partner = recipient_from_fields(ClosureReason.GIVEN_TO_PARTNER, partner_id=7,
                                    partner_name="Emmaüs")
    assert (partner.kind, partner.partner_id) == (RecipientKind.PARTNER, 7)


def test_blank_fields_name_nobody():
    assert recipient_from_fields(ClosureReason.GIVEN_TO_PARTNER, partner_name="   ") is None
    assert recipient_from_fields(ClosureReason.EXCHANGED_INTERNAL, service=None) is None
    assert Recipient.named("  Emmaüs ").name == "Emmaüs"
    with pytest.raises(ValueError):
        Recipient.named(" ")


def test_required_recipient_checks_the_kind_against_the_reason():
    named = Recipient.named("Emmaüs")
    assert required_recipient(ClosureReason.GIVEN_TO_PARTNER, named) is named
    assert required_recipient(ClosureReason.WITHDRAWN, None) is None
    for reason, recipient in [(ClosureReason.EXCHANGED_INTERNAL, named),
                              (ClosureReason.GIVEN_TO_PARTNER, None),
                              (ClosureReason.DISCARDED, named)]:
        with pytest.raises(ExchangeError) as refused:
            required_recipient(reason, recipient)
        assert refused.value.code == "recipient"
