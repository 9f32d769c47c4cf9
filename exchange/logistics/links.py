"""The link this app adds to a listing's page (registered in apps.py)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.permissions import can_request_transport


def transport_link(user, listing) -> tuple[str, str] | None:
    """« Demander un transport » for the poster or the taker of a taken listing."""
    if not can_request_transport(user, listing):
        return None
    return _("Ask for transport"), reverse("logistics:transport_create", args=[listing.pk])
