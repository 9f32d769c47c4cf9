"""No zero-kg transfers, in a browser (issue 16): a listing posted in the family
« Mobilier » itself is given away; the moderators' report says how many transfers are
estimated from their family's average and its link opens « Facteurs »."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_login import sign_in

pytestmark = pytest.mark.browser

SLUG = "chatellerault"

# Posted by the demo's agent in « Mobilier » itself, approved by the demo's moderator,
# then thrown away (a transfer with no recipient): its fact is written at commit.
GIVE_IN_FAMILY = """
from decimal import Decimal
from django_tenants.utils import schema_context
from accounts.models import Site, User
from analytics.models import TransferFact
from exchange.listings.models import Category
from exchange.listings.services import moderation, posting
from exchange.listings.services.closure import close_listing
with schema_context("chatellerault"):
    agent = User.objects.get(email="agent@chatellerault.example")
    chief = User.objects.get(email="moderateur@chatellerault.example")
    listing = posting.create_listing(
        poster=agent, submit=True, title="Lot de mobilier divers (famille)",
        description="Tables et étagères dépareillées.",
        category=Category.objects.get(name="Mobilier", parent=None), quantity=3,
        condition="good", estimated_value=Decimal("30.00"), site=Site.objects.first())
    moderation.approve_listing(listing=listing, actor=chief)
    transfer = close_listing(listing=listing, actor=agent, reason="discarded")
fact = TransferFact.objects.get(authority__slug="chatellerault", transfer_id=transfer.pk)
print(fact.family_estimate, fact.weight_kg)
"""


def test_the_report_counts_family_estimates_and_links_to_the_factors(served_instance, page):
    output = served_instance.manage("shell", "-c", GIVE_IN_FAMILY).strip().splitlines()[-1]
    flagged, weight = output.split()
    assert flagged == "True" and float(weight) > 0, served_instance.log_tail()

    sign_in(page, served_instance, SLUG, "moderateur@chatellerault.example")
    page.goto(served_instance.url(SLUG, "/listings/moderation/report/"))
    estimates = page.locator("#family-estimates")
    expect(estimates).to_be_visible()
    assert int(estimates.get_attribute("data-count")) >= 1
    expect(estimates).to_contain_text("estimés d'après la moyenne de")
    page.click("#refine-factors")
    expect(page).to_have_url(served_instance.url(SLUG, "/listings/factors/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Facteurs"))
