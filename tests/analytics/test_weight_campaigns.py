"""Six-monthly weight campaigns (issue 5, item 3): opened by the beat job for the
semester just ended, moderators mailed after commit, lines prefilled from the factors,
corrections, validation and lock; later changes (a late closure, a rebuild with new
factors, a correction) become adjustments with who/when/before/after, and the report
shows both figures."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from analytics import campaigns
from analytics.facts import rebuild_facts
from analytics.models import (
    AdjustmentKind,
    TransferFact,
    WeightAdjustment,
    WeightCampaign,
)
from exchange.listings.recipients import Recipient
from tests.accounts.factories import agent, moderator
from tests.analytics.factories import (
    FactorOverrideFactory,
    chairs_listing,
    date_transfer,
    give,
    make_town,
    reference_figures,
)
from tests.conftest import client_for, in_authority

pytestmark = pytest.mark.django_db

CHAIR = "chaise-visiteur"


def url(year=2026, semester=1) -> str:
    return reverse("statistics:weight_campaign", args=[year, semester])


@pytest.fixture
def semester(chatellerault, django_capture_on_commit_callbacks):
    """Châtellerault, first semester 2026: 6 chairs to a service in March, 5 chairs to a
    partner in May, 4 thrown away (not reused: not in the campaign)."""
    with in_authority(chatellerault):
        town = make_town()
        first = chairs_listing(town, quantity=10, value="300.00")
        second = chairs_listing(town, quantity=5, value="100.00")
        with django_capture_on_commit_callbacks(execute=True):
            date_transfer(give(town, first, 6), 2026, 3, 10)
            date_transfer(give(town, first, 4, reason="discarded"), 2026, 3, 11)
            date_transfer(give(town, second, 5, reason="given_to_partner",
                               recipient=Recipient.named("Emmaüs")), 2026, 5, 2)
    rebuild_facts(chatellerault)  # the dates moved after the facts were written
    town["weight"], town["co2e"] = reference_figures(CHAIR)
    return town


def test_previous_semester():
    assert campaigns.previous_semester(date(2026, 7, 1)) == (2026, 1)
    assert campaigns.previous_semester(date(2027, 1, 1)) == (2026, 2)


def test_beat_schedule_runs_on_1_january_and_1_july(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["analytics-open-weight-campaigns"]
    assert entry["task"] == "analytics.open_weight_campaigns_everywhere"
    schedule = entry["schedule"]
    assert schedule.month_of_year == {1, 7} and schedule.day_of_month == {1}


def test_job_opens_campaigns_everywhere_and_mails_moderators(
        semester, chatellerault, grand_chatellerault, settings, monkeypatch,
        django_capture_on_commit_callbacks):
    from analytics import tasks

    settings.CELERY_TASK_ALWAYS_EAGER = True
    monkeypatch.setattr(tasks.timezone, "localdate", lambda: date(2026, 7, 1))
    with in_authority(grand_chatellerault):
        moderator(email="mod@grand-chatellerault.example")
    with django_capture_on_commit_callbacks(execute=True):
        queued = tasks.open_weight_campaigns_everywhere.apply().get()
    assert queued >= 2
    mine = WeightCampaign.objects.get(authority=chatellerault, year=2026, semester=1)
    assert WeightCampaign.objects.filter(authority=grand_chatellerault, year=2026,
                                         semester=1).exists()
    assert sorted(mine.lines.values_list("quantity", flat=True)) == [5, 6]
    to_chatellerault = [m for m in mail.outbox if semester["moderator"].email in m.to]
    assert len(to_chatellerault) == 1
    assert "/listings/moderation/weights/2026/s1/" in to_chatellerault[0].body
    assert not [m for m in mail.outbox if semester["poster"].email in m.to]
    # A second run opens nothing more and mails nobody.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.open_weight_campaigns_everywhere.apply().get()
    assert WeightCampaign.objects.filter(authority=chatellerault).count() == 1
    assert mail.outbox == []


def test_correct_validate_lock_and_adjust(semester, chatellerault,
                                         django_capture_on_commit_callbacks):
    weight = semester["weight"]
    campaign, _created = campaigns.open_campaign(chatellerault, 2026, 1)
    client = client_for(chatellerault, semester["moderator"])
    html = client.get(url()).content.decode()
    assert Decimal(re.search(r'id="total-kg" data-value="([^"]*)"', html).group(1)) == \
        11 * weight
    chairs = semester["chairs"].name
    assert f'data-category="{chairs}"' in html

    # Correct one line (6 chairs weigh 40 kg), then validate.
    line = campaign.lines.get(quantity=6)
    response = client.post(url(), {"action": "line", "transfer_id": line.transfer_id,
                                   "weight_kg": "40"})
    assert response.status_code == 302
    assert client.post(url(), {"action": "validate"}).status_code == 302
    campaign.refresh_from_db()
    validated = Decimal("40") + 5 * weight
    assert campaign.is_locked and campaign.validated_weight_kg == validated
    assert campaign.validated_by == semester["moderator"].email

    # Locked: a line correction is refused, with a French message, nothing changes.
    response = client.post(url(), {"action": "line", "transfer_id": line.transfer_id,
                                   "weight_kg": "1"})
    assert response.status_code == 400
    assert "validé" in response.content.decode()
    assert campaign.lines.get(pk=line.pk).corrected_kg == Decimal("40")

    # A late closure dated in the semester becomes an adjustment.
    with in_authority(chatellerault):
        late = chairs_listing(semester, quantity=2, value="20.00")
        with django_capture_on_commit_callbacks(execute=True):
            transfer = give(semester, late, 2)
            date_transfer(transfer, 2026, 6, 20)
    rebuild_facts(chatellerault)
    late_adjustment = WeightAdjustment.objects.get(campaign=campaign,
                                                   transfer_id=transfer.pk)
    assert late_adjustment.kind == AdjustmentKind.LATE_TRANSFER
    assert (late_adjustment.before_kg, late_adjustment.after_kg) == (0, 2 * weight)

    # A rebuild with new factors records the changes of each fact.
    FactorOverrideFactory(authority=chatellerault, reference_code=CHAIR,
                          weight_kg=Decimal("8"), source="pesée 2026")
    counts = rebuild_facts(chatellerault)
    assert counts["updated"] >= 3
    changed = WeightAdjustment.objects.filter(campaign=campaign,
                                              kind=AdjustmentKind.FACT_CHANGED)
    assert changed.count() == 3  # 6 chairs, 5 chairs, the late 2 (the thrown ones: 0)
    assert all(a.actor == "system" for a in changed)
    assert rebuild_facts(chatellerault)["updated"] == 0
    assert WeightAdjustment.objects.filter(campaign=campaign).count() == 4

    # A moderator corrects the category total after validation: an adjustment too.
    current = validated + 2 * weight + sum(a.delta_kg for a in changed)
    response = client.post(url(), {"action": "category", "category": semester["chairs"].name,
                                   "total_kg": "100"})
    assert response.status_code == 302
    correction = WeightAdjustment.objects.get(campaign=campaign,
                                              kind=AdjustmentKind.CORRECTION)
    assert (correction.before_kg, correction.after_kg) == (current, Decimal("100"))
    assert correction.actor == semester["moderator"].email
    campaign.refresh_from_db()
    assert campaign.validated_weight_kg == validated  # never moves

    # The report shows both figures; the campaign page lists the audit trail.
    report = client.get(reverse("statistics:moderation_report")
                        + "?period=semester&year=2026&semester=1").content.decode()
    row = re.search(r'data-semester="2026-S1">(.*?)</tr>', report, re.S).group(1)
    # French, one decimal, as the cards of the report.
    assert f">{validated:.1f}<".replace(".", ",") in row and ">100,0<" in row
    html = client.get(url()).content.decode()
    assert html.count('data-kind="fact_changed"') == 3
    assert 'data-kind="correction"' in html and 'data-kind="late_transfer"' in html


def test_category_total_beats_its_lines_while_open(semester, chatellerault):
    campaign, _created = campaigns.open_campaign(chatellerault, 2026, 1)
    client = client_for(chatellerault, semester["moderator"])
    client.post(url(), {"action": "category", "category": semester["chairs"].name,
                        "total_kg": "123,5"})
    client.post(url(), {"action": "validate"})
    campaign.refresh_from_db()
    assert campaign.validated_weight_kg == Decimal("123.5")


def test_bad_input_is_refused_in_french(semester, chatellerault):
    campaigns.open_campaign(chatellerault, 2026, 1)
    client = client_for(chatellerault, semester["moderator"])
    response = client.post(url(), {"action": "line", "transfer_id": "1", "weight_kg": "-3"})
    assert response.status_code == 400
    assert "Saisissez un poids" in response.content.decode()
    response = client.post(url(), {"action": "line", "transfer_id": "999999",
                                   "weight_kg": "3"})
    assert response.status_code == 400


def test_roles_and_isolation(semester, chatellerault, grand_chatellerault):
    campaigns.open_campaign(chatellerault, 2026, 1)
    with in_authority(chatellerault):
        plain = agent(email="agent.plain@chatellerault.example")
    assert client_for(chatellerault, plain).get(url()).status_code == 403
    assert client_for(chatellerault, plain).get(
        reverse("statistics:weight_campaigns")).status_code == 403
    assert client_for(chatellerault).get(url()).status_code == 302
    with in_authority(grand_chatellerault):
        other = moderator(email="mod2@grand-chatellerault.example")
    # Grand Châtellerault has no campaign of its own: Châtellerault's is not found.
    assert client_for(grand_chatellerault, other).get(url()).status_code == 404
    listing = client_for(grand_chatellerault, other).get(
        reverse("statistics:weight_campaigns")).content.decode()
    assert "2026-S1" not in listing
    own = client_for(chatellerault, semester["moderator"]).get(
        reverse("statistics:weight_campaigns")).content.decode()
    assert own.count('data-semester="2026-S1"') == 1


def test_campaign_facts_only_reuse(semester, chatellerault):
    campaign, _created = campaigns.open_campaign(chatellerault, 2026, 1)
    reused = TransferFact.objects.filter(authority=chatellerault,
                                         destination__in=["same_authority", "partner"])
    assert set(campaign.lines.values_list("transfer_id", flat=True)) == set(
        reused.values_list("transfer_id", flat=True))


def test_campaign_page_queries_bounded(semester, chatellerault, django_assert_max_num_queries,
                                       django_capture_on_commit_callbacks):
    """The campaign page reads a bounded number of queries, whatever its lines."""
    campaign, _created = campaigns.open_campaign(chatellerault, 2026, 1)
    client = client_for(chatellerault, semester["moderator"])
    client.get(url())
    with in_authority(chatellerault), django_capture_on_commit_callbacks(execute=True):
        for _ in range(15):
            date_transfer(give(semester, chairs_listing(semester, quantity=1), 1),
                          2026, 4, 1)
    rebuild_facts(chatellerault)
    with django_assert_max_num_queries(25):
        html = client.get(url()).content.decode()
    assert html.count("<tr data-transfer=") == 17
    assert campaign.lines.count() == 17


def test_factor_page_queries_bounded(semester, chatellerault, django_assert_max_num_queries):
    """About 45 item types; far fewer queries (none per item)."""
    with django_assert_max_num_queries(30):
        response = client_for(chatellerault, semester["moderator"]).get(
            reverse("statistics:factor_overrides"))
    assert response.content.decode().count("<tr data-code=") >= 40
