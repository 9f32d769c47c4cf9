"""The Stripe client, or None in manual mode (no STRIPE_SECRET_KEY).

HTTP_CLIENT lets tests drive the real `stripe` library through a fake HTTP client that
replays recorded responses (tests/tenants/stripe_fake.py): nothing here is mocked.
"""

from __future__ import annotations

import stripe
from django.conf import settings

HTTP_CLIENT: stripe.HTTPClient | None = None


def is_manual() -> bool:
    return not settings.STRIPE_SECRET_KEY


def client() -> stripe.StripeClient | None:
    if is_manual():
        return None
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, http_client=HTTP_CLIENT,
                               max_network_retries=2)
