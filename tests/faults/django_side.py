"""What `make faults` runs inside the stack's Django (through `manage.py shell -c`, with
the stack's settings and database): the preparation, and the offer ticker that makes
approvals reach partners by webhook within seconds instead of the next day.

Test tooling, not product code: it sets demo authorities up for the run only.
"""

from __future__ import annotations

import logging
import time

from django.db import close_old_connections, connection
from django_tenants.utils import schema_context

from exchange.listings.models import ExchangeSettings
from exchange.partners.cascade import offer_due_listings
from exchange.partners.demo import DEMO_PARTNER
from exchange.partners.models import Partner, WebhookEndpoint
from tenants.models import Authority

log = logging.getLogger("tests.faults")
SECRET = "faults-webhook-secret"


def prepare(webhook_url: str, slugs: list[str]) -> None:
    """The demo partner's one active endpoint is the run's receiver; the authorities
    offer a published listing to partners at once (so every approval makes a webhook);
    what is already due is offered now, before the traffic."""
    partner = Partner.objects.get(siret=DEMO_PARTNER["siret"])
    WebhookEndpoint.objects.filter(partner=partner).exclude(url=webhook_url).update(
        is_active=False)
    WebhookEndpoint.objects.update_or_create(partner=partner, url=webhook_url,
                                             defaults={"secret": SECRET, "is_active": True})
    for authority in Authority.objects.filter(slug__in=slugs):
        with schema_context(authority.schema_name):
            ExchangeSettings.objects.filter(pk=1).update(offer_to_partners_after_days=0)
            offered = offer_due_listings()
        print(f"{authority.slug}: {offered} listings offered to partners before the run")


def offer_ticker(slugs: list[str], every: float = 5.0) -> None:
    """Every `every` seconds, the offer cascade in each authority (a stand-in for beat's
    daily job); a database down is waited out."""
    while True:
        for slug in slugs:
            try:
                authority = Authority.objects.get(slug=slug)
                with schema_context(authority.schema_name):
                    offer_due_listings()
            except Exception as error:  # PostgreSQL or the broker down: next turn
                log.warning("offer ticker: %s", type(error).__name__)
                connection.close()
            close_old_connections()
        time.sleep(every)
