"""The retirement batches' pages: who opens them, retiring by serial numbers, many items
erased at once, an action refused on its field keeping the ticks, the documents, and
pages whose query count does not grow with the batch."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exchange.itassets import batches
from exchange.itassets.models import AssetState, ErasureRecord, ITAsset
from tests.accounts.factories import agent, it_staff, moderator
from tests.conftest import client_for, in_authority
from tests.exchange.itassets.batch_world import laptops, pdf_text, retired_batch
from tests.exchange.partners.factories import grant, partner

pytestmark = pytest.mark.django_db


def _routes(batch_pk: int) -> list[tuple[str, str]]:
    return [("get", "/it/batches/"), ("post", "/it/batches/new/"),
            ("get", f"/it/batches/{batch_pk}/"), ("post", f"/it/batches/{batch_pk}/"),
            ("post", f"/it/batches/{batch_pk}/add/"),
            ("get", f"/it/batches/{batch_pk}/certificate.pdf"),
            ("get", f"/it/batches/{batch_pk}/documents/X-R1.pdf")]


def test_agents_and_moderators_without_the_it_role_open_no_batch(chatellerault):
    with in_authority(chatellerault):
        batch, _items, _staff = retired_batch(1)
        outsiders = [agent(), moderator()]
    for user in outsiders:
        client = client_for(chatellerault, user)
        for method, path in _routes(batch.pk):
            assert getattr(client, method)(path).status_code == 403, (user, path)


def test_another_authoritys_it_team_finds_no_batch_of_ours(chatellerault, grand_chatellerault):
    with in_authority(chatellerault):
        batch, _items, _staff = retired_batch(1)
        batches.send_to_recycling(batch=batch, items=_items, actor=_staff,
                                  recycler_name="Envie", recycler_kind="insertion")
    with in_authority(grand_chatellerault):
        theirs = it_staff()
    client = client_for(grand_chatellerault, theirs)
    for path in (f"/it/batches/{batch.pk}/", f"/it/batches/{batch.pk}/certificate.pdf",
                 f"/it/batches/{batch.pk}/documents/{batch.reference}-R1.pdf"):
        assert client.get(path).status_code == 404, path
    assert batch.reference not in client.get("/it/batches/").content.decode()


def test_the_it_team_retires_by_serials_and_erases_many_at_once(chatellerault):
    with in_authority(chatellerault):
        staff = it_staff()
        machines = laptops(4, staff)
    client = client_for(chatellerault, staff)
    response = client.post("/it/batches/new/")
    assert response.status_code == 302
    batch_path = response["Location"]
    # An unknown serial: nothing is retired, the typed list is kept.
    response = client.post(batch_path + "add/", {"serials": "LAP0001\nNOPE99"})
    assert response.status_code == 400
    assert "NOPE99" in response.context["add_form"].errors["serials"][0]
    response = client.post(batch_path + "add/", {"serials": "lap0001, LAP0002 LAP0003"})
    assert response.status_code == 302
    with in_authority(chatellerault):
        assert ITAsset.objects.filter(state=AssetState.RETIRED).count() == 3
    page = client.get(batch_path)
    item_ids = [row.item.pk for row in page.context["rows"]]
    assert len(item_ids) == 3
    erase = {"action": "erase", "items": item_ids[:2], "erase-method": "crypto_erase",
             "erase-tool": "nwipe", "erase-operator_name": "Léa Martin",
             "erase-erased_on": "2026-03-02", "erase-result": "ok"}
    assert client.post(batch_path, erase).status_code == 302
    with in_authority(chatellerault):
        assert ErasureRecord.objects.filter(result="ok").count() == 2
    # The third item, not erased, cannot go to recycling: refused, its tick kept.
    response = client.post(batch_path, {
        "action": "recycling", "items": [item_ids[2]], "recycling-recycler_name": "Envie",
        "recycling-recycler_kind": "insertion"})
    assert response.status_code == 400
    assert "aucun effacement réussi" in " ".join(response.context["item_errors"])
    assert f'value="{item_ids[2]}" aria-label="LAP0003" checked' in response.content.decode()
    certificate = client.get(batch_path + "certificate.pdf")
    assert certificate["Content-Type"] == "application/pdf"
    text = pdf_text(certificate.content)
    assert "Effacement cryptographique" in text and "LAP0003" in text
    assert machines[3].serial_number not in text


def test_a_donation_from_the_page_and_its_transfer_record(chatellerault):
    association = partner(legal_name="Association Solidarité Numérique")
    grant(chatellerault, association, agreement_reference="CONV-2026-07")
    with in_authority(chatellerault):
        batch, items, staff = retired_batch(2)
    client = client_for(chatellerault, staff)
    path = f"/it/batches/{batch.pk}/"
    page = client.get(path).content.decode()
    assert "Association Solidarité Numérique" in page  # offered as a partner
    response = client.post(path, {"action": "donation", "items": [i.pk for i in items],
                                  "donation-partner": association.pk,
                                  "donation-unit_value": "350"})
    assert response.status_code == 400  # above the cap, not a moderator
    assert response.context["forms"]["donation"].errors["unit_value"]
    response = client.post(path, {"action": "donation", "items": [i.pk for i in items],
                                  "donation-partner": association.pk,
                                  "donation-unit_value": "150"})
    assert response.status_code == 302
    page = client.get(path)
    assert page.context["donations"] == [f"{batch.reference}-D1"]
    record = client.get(f"{path}documents/{batch.reference}-D1.pdf")
    text = pdf_text(record.content)
    assert "Association Solidarité Numérique" in text and "300,00 €" in text
    assert "LAP0001" in text and "CONV-2026-07" in text


def test_batch_pages_take_a_bounded_number_of_queries(chatellerault):
    with in_authority(chatellerault):
        small, items, staff = retired_batch(2, prefix="S")
        large, more, _ = retired_batch(12, staff, prefix="L")
        batches.record_reconditioning(batch=large, items=more, actor=staff,
                                      reconditioned_on=more[0].retired_on,
                                      operating_system="Linux")
        batches.send_to_recycling(batch=large, items=more[:6], actor=staff,
                                  recycler_name="Envie", recycler_kind="insertion")
    client = client_for(chatellerault, staff)
    counts = []
    for batch in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/it/batches/{batch.pk}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 25, counts
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/it/batches/").status_code == 200
    assert len(queries) <= 12
