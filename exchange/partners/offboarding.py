"""What partners keep about an authority in the public schema, for offboarding
(tenants/offboarding/public_data.py; declared in apps.py): when its data is deleted, its
webhook deliveries (payloads copied from its listings) go, its partners' waiting
requests are declined, and its grants and the keys its admins created are revoked."""

from __future__ import annotations

from exchange.partners.models import (
    ApiKey,
    PartnerGrant,
    PartnerRequest,
    RequestStatus,
    WebhookDelivery,
)
from tenants.models import Authority
from tenants.offboarding.public_data import Withdrawal


def withdraw(authority: Authority, withdrawal: Withdrawal) -> dict[str, int]:
    """Close every partner surface that serves the authority's data."""
    now, by = withdrawal.at, withdrawal.by
    return {
        "webhook_deliveries": WebhookDelivery.objects.filter(authority=authority)
        .delete()[0],
        "partner_requests": PartnerRequest.objects.filter(
            authority=authority, status__in=[RequestStatus.PENDING, RequestStatus.SENT])
        .update(status=RequestStatus.DECLINED, answered_at=now),
        "partner_grants": PartnerGrant.objects.filter(
            authority=authority, revoked_at__isnull=True).update(revoked_at=now, revoked_by=by),
        "api_keys": ApiKey.objects.filter(authority=authority, revoked_at__isnull=True)
        .update(revoked_at=now, revoked_by=by),
    }
