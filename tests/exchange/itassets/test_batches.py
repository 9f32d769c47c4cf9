"""Retirement batches (issue 19): retire, erase, recondition, then each item's exit —
second life in-house, listing, donation under an agreement (the legal cap), recycling —
with no exit before a successful erasure (the service and PostgreSQL), the history of
every move, and the documents' text."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from exchange.itassets import batch_documents, batch_selectors, batches
from exchange.itassets.models import (
    AssetState,
    BatchItem,
    BatchState,
    ErasureMethod,
    ErasureRecord,
    ErasureResult,
    EventKind,
    ExitKind,
    ITExit,
    RecyclerKind,
)
from exchange.listings.models import ListingStatus
from exchange.partners.models import PartnerKind
from tests.accounts.factories import (
    ServiceFactory,
    SiteFactory,
    UserFactory,
    agent,
    moderator,
)
from tests.conftest import in_authority
from tests.exchange.itassets.batch_world import ERASED_ON, pdf_text, retired_batch
from tests.exchange.itassets.factories import asset
from tests.exchange.listings.factories import item_type
from tests.exchange.partners.factories import grant, partner

pytestmark = pytest.mark.django_db


@pytest.fixture
def works_council(chatellerault):
    """The authority's works council, a partner it gives to under a signed agreement."""
    council = partner(legal_name="CSE de la Ville de Châtellerault",
                      kind=PartnerKind.WORKS_COUNCIL)
    grant(chatellerault, council, agreement_reference="CONV-CSE-2026-01")
    return council


def test_only_the_it_team_retires(chatellerault):
    with in_authority(chatellerault):
        with pytest.raises(PermissionDenied):
            batches.create_batch(actor=agent())
        batch, items, staff = retired_batch(1, erased=False)
        with pytest.raises(PermissionDenied):
            batches.record_erasure(batch=batch, items=items, actor=moderator(),
                                   method=ErasureMethod.OVERWRITE, operator_name="X",
                                   erased_on=ERASED_ON, result=ErasureResult.OK)


def test_retiring_puts_items_in_one_open_batch_with_their_history(chatellerault):
    with in_authority(chatellerault):
        batch, items, staff = retired_batch(2, erased=False)
        assert batch.reference.startswith("LOT-") and batch.state == BatchState.OPEN
        laptop = items[0].asset
        laptop.refresh_from_db()
        assert laptop.state == AssetState.RETIRED
        event = laptop.events.first()
        assert (event.kind, event.batch_id, event.changes) == (
            EventKind.RETIRED, batch.pk, {"state": ["in_use", "retired"]})
        # Retired already: another batch refuses it, and PostgreSQL too.
        other = batches.create_batch(actor=staff)
        with pytest.raises(batches.BatchError) as refused:
            batches.retire_assets(batch=other, actor=staff, assets=[laptop])
        assert refused.value.code == "assets"
        with pytest.raises(IntegrityError), transaction.atomic():
            BatchItem.objects.create(batch=other, asset=laptop, retired_on=date(2026, 3, 1))


def test_no_exit_without_an_erasure(chatellerault):
    with in_authority(chatellerault):
        batch, items, staff = retired_batch(1, erased=False)
        school = SiteFactory(name="École Jules Ferry")
        with pytest.raises(batches.BatchError) as refused:
            batches.give_second_life(batch=batch, items=items, actor=staff, site=school)
        assert refused.value.code == "erasure"
        with pytest.raises(batches.BatchError):
            batches.send_to_recycling(batch=batch, items=items, actor=staff,
                                      recycler_name="Envie", recycler_kind="insertion")
        assert not ITExit.objects.exists()


def test_a_failed_erasure_blocks_the_exit_until_one_succeeds(chatellerault):
    with in_authority(chatellerault):
        batch, items, staff = retired_batch(1, result=ErasureResult.FAILED)
        items[0].asset.refresh_from_db()
        assert items[0].asset.state == AssetState.RETIRED
        with pytest.raises(batches.BatchError) as refused:
            batches.send_to_recycling(batch=batch, items=items, actor=staff,
                                      recycler_name="Envie", recycler_kind="insertion")
        assert refused.value.code == "erasure"
        batches.record_erasure(batch=batch, items=items, actor=staff,
                               method=ErasureMethod.DESTRUCTION, operator_name="Léa Martin",
                               erased_on=ERASED_ON, result=ErasureResult.OK)
        [exit_] = batches.send_to_recycling(batch=batch, items=items, actor=staff,
                                            recycler_name="Envie Auvergne",
                                            recycler_kind=RecyclerKind.INSERTION)
        assert exit_.erasure.method == ErasureMethod.DESTRUCTION


def test_postgresql_refuses_an_exit_whose_erasure_failed_or_is_another_items(chatellerault):
    with in_authority(chatellerault):
        batch, items, staff = retired_batch(2, result=ErasureResult.FAILED)
        failed = ErasureRecord.objects.get(item=items[0])
        with pytest.raises(IntegrityError), transaction.atomic():
            ITExit.objects.create(item=items[0], erasure=failed, kind=ExitKind.RECYCLING,
                                  exited_on=ERASED_ON, recycler_name="Envie",
                                  recycler_kind="insertion")
        # Claiming success on the exit row does not help: the erasure row says failed.
        with pytest.raises(IntegrityError), transaction.atomic():
            ITExit.objects.create(item=items[0], erasure=failed, erasure_result="ok",
                                  kind=ExitKind.RECYCLING, exited_on=ERASED_ON,
                                  recycler_name="Envie", recycler_kind="insertion")
        other_ok = ErasureRecord.objects.create(
            item=items[1], method="overwrite", operator_name="Léa", erased_on=ERASED_ON,
            result="ok")
        with pytest.raises(IntegrityError), transaction.atomic():
            ITExit.objects.create(item=items[0], erasure=other_ok, kind=ExitKind.RECYCLING,
                                  exited_on=ERASED_ON, recycler_name="Envie",
                                  recycler_kind="insertion")
        # And an erasure an exit relies on cannot be turned into a failure afterwards.
        ITExit.objects.create(item=items[1], erasure=other_ok, kind=ExitKind.RECYCLING,
                              exited_on=ERASED_ON, recycler_name="Envie",
                              recycler_kind="insertion")
        with pytest.raises(IntegrityError), transaction.atomic():
            ErasureRecord.objects.filter(pk=other_ok.pk).update(result="failed")


def test_a_second_life_in_a_school_keeps_the_item_with_its_next_life(chatellerault):
    with in_authority(chatellerault):
        batch, items, staff = retired_batch(2)
        school = SiteFactory(name="École Jules Ferry")
        batches.record_reconditioning(batch=batch, items=items, actor=staff,
                                      reconditioned_on=ERASED_ON, parts="SSD 256 Go",
                                      operating_system="Linux Mint 22", licence_removed=True)
        exits = batches.give_second_life(batch=batch, items=items[:1], actor=staff,
                                         site=school, exited_on=date(2026, 3, 5))
        laptop = items[0].asset
        laptop.refresh_from_db()
        assert (laptop.state, laptop.life, laptop.holder_site_id) == (
            AssetState.IN_USE, 2, school.pk)
        assert (exits[0].kind, exits[0].life_after, exits[0].exited_on) == (
            ExitKind.SECOND_LIFE, 2, date(2026, 3, 5))
        kinds = list(laptop.events.order_by("id").values_list("kind", flat=True))
        assert kinds == [EventKind.CREATED, EventKind.RETIRED, EventKind.ERASED,
                         EventKind.RECONDITIONED, EventKind.EXITED]
        assert laptop.events.first().changes["holder_site"] == ["", "École Jules Ferry"]
        batch.refresh_from_db()
        assert batch.state == BatchState.OPEN  # one item left in it
        # Back in use, it may be retired again later.
        again = batches.create_batch(actor=staff)
        batches.retire_assets(batch=again, actor=staff, assets=[laptop])


def test_a_donation_under_the_agreement_and_its_transfer_record(chatellerault, works_council):
    with in_authority(chatellerault):
        batch, items, staff = retired_batch(3)
        exits = batches.donate(batch=batch, items=items, actor=staff,
                               partner_id=works_council.pk, unit_value=Decimal("120"))
        assert {e.reference for e in exits} == {f"{batch.reference}-D1"}
        assert exits[0].partner_name == "CSE de la Ville de Châtellerault"
        assert exits[0].agreement_reference.startswith("CONV-CSE-2026-01")
        items[0].asset.refresh_from_db()
        assert items[0].asset.state == AssetState.LEFT
        batch.refresh_from_db()
        assert batch.state == BatchState.CLOSED  # every item left
        text = pdf_text(batch_documents.donation_record_pdf(
            authority=chatellerault, exits=batch_selectors.exits_of(batch, exits[0].reference)))
    for expected in ("CSE de la Ville de Châtellerault", "Comité social", "LAP0001",
                     "LAP0003", "INV-LAP-2", "CONV-CSE-2026-01", "360,00", "L. 3212-2"):
        assert expected in text, expected


def test_a_donation_above_the_cap_needs_a_moderator(chatellerault, works_council):
    with in_authority(chatellerault):
        batch, items, staff = retired_batch(1)
        with pytest.raises(batches.BatchError) as refused:
            batches.donate(batch=batch, items=items, actor=staff, partner_id=works_council.pk,
                           unit_value=Decimal("300.01"), confirm_above_cap=True)
        assert refused.value.code == "cap"
        boss = UserFactory(roles=["agent", "moderator", "it"])
        [exit_] = batches.donate(batch=batch, items=items, actor=boss,
                                 partner_id=works_council.pk, unit_value=Decimal("450"),
                                 confirm_above_cap=True)
        assert exit_.confirmed_by_id == boss.pk


def test_no_donation_to_a_partner_without_a_live_grant(chatellerault, grand_chatellerault):
    stranger = partner(legal_name="Association sans convention")
    elsewhere = partner(legal_name="Association de l'agglo")
    grant(grand_chatellerault, elsewhere)
    pending = partner(legal_name="Association en attente")
    grant(chatellerault, pending, accepted=False)
    with in_authority(chatellerault):
        batch, items, staff = retired_batch(1)
        for who in (stranger, elsewhere, pending):
            with pytest.raises(batches.ExchangeError) as refused:
                batches.donate(batch=batch, items=items, actor=staff, partner_id=who.pk,
                               unit_value=Decimal("50"))
            assert refused.value.code == "recipient"
        assert not ITExit.objects.exists()


def test_recycling_weighs_by_the_reference_factors_and_its_removal_slip(chatellerault):
    with in_authority(chatellerault):
        batch, items, staff = retired_batch(2)
        exits = batches.send_to_recycling(batch=batch, items=items, actor=staff,
                                          recycler_name="Envie Auvergne",
                                          recycler_kind=RecyclerKind.INSERTION)
        assert [e.weight_kg for e in exits] == [Decimal("1.700")] * 2
        text = pdf_text(batch_documents.removal_slip_pdf(
            authority=chatellerault, exits=batch_selectors.exits_of(batch, exits[0].reference)))
    for expected in ("Bordereau d'enlèvement", "Envie Auvergne", "Entreprise d'insertion",
                     "LAP0001", "LAP0002", "3,4 kg"):
        assert expected in text, expected


def test_an_offer_on_the_exchange_posts_a_listing_without_serial_numbers(chatellerault):
    with in_authority(chatellerault):
        batch, items, staff = retired_batch(2)
        exits = batches.offer_on_exchange(
            batch=batch, items=items, actor=staff, title="Portables reconditionnés",
            description="Linux Mint installé.", category=item_type("Ordinateur portable"),
            unit_value=Decimal("80"), service=ServiceFactory(name="Direction du numérique"),
            site=SiteFactory(name="Centre technique"))
        listing = exits[0].listing
        assert listing.quantity == 2 and listing.estimated_value == Decimal("160")
        assert listing.status in (ListingStatus.PENDING, ListingStatus.PUBLISHED)
        assert "LAP0001" not in listing.title + listing.description
        items[0].asset.refresh_from_db()
        assert (items[0].asset.state, items[0].asset.holder_user_id) == (AssetState.LISTED,
                                                                         None)


def test_the_certificate_lists_each_item_with_its_erasure(chatellerault):
    with in_authority(chatellerault):
        batch, items, staff = retired_batch(2)
        unerased = asset(staff, serial_number="NOTYET1")
        batches.retire_assets(batch=batch, actor=staff, assets=[unerased])
        text = pdf_text(batch_documents.erasure_certificate_pdf(
            authority=chatellerault, batch=batch, rows=batch_selectors.item_rows(batch),
            issued_by="Léa Martin"))
    for expected in ("Certificat d'effacement des données", batch.reference, "LAP0001",
                     "INV-LAP-2", "Blancco Drive Eraser", "Léa Martin", "02/03/2026",
                     "Réussi", "NOTYET1", "Pas encore effacé", "Châtellerault"):
        assert expected in text, expected


def test_per_year_figures_are_one_query(chatellerault, django_assert_num_queries):
    """The figures the next increment builds: retired and exits by kind in a year."""
    with in_authority(chatellerault):
        batch, items, staff = retired_batch(3)
        school = SiteFactory()
        batches.give_second_life(batch=batch, items=items[:2], actor=staff, site=school)
        batches.send_to_recycling(batch=batch, items=items[2:], actor=staff,
                                  recycler_name="Envie", recycler_kind="insertion")
        year = items[0].retired_on.year
        from django.db.models import Count
        with django_assert_num_queries(1):
            rows = dict(ITExit.objects.filter(exited_on__year=year).values_list("kind")
                        .annotate(n=Count("id")).order_by())
        assert rows == {ExitKind.SECOND_LIFE: 2, ExitKind.RECYCLING: 1}
