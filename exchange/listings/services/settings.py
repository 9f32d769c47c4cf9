"""The authority's exchange settings row (its rules: moderation mode, expiry, contacts
per hour…). Reading it is a selector (exchange.listings.selectors.exchange_settings);
the administrators edit it through its form (moderation_forms.ExchangeSettingsForm)."""

from __future__ import annotations

from exchange.listings.models import ExchangeSettings


def ensure_exchange_settings() -> ExchangeSettings:
    """Create the authority's settings row with its defaults when missing (a write,
    for provisioning only)."""
    settings_row, _ = ExchangeSettings.objects.get_or_create(pk=1)
    return settings_row
