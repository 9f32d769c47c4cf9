"""Existing grants count as accepted (they were in force before acceptance existed, and
partners already read through them); existing keys an authority admin created are
bound to that authority's grant of their partner, so they stop reading other
authorities' data. A key whose creating authority never granted its partner is revoked.
Operator-issued keys (no authority) stay partner-wide."""

from django.db import migrations
from django.db.models import F


def forwards(apps, schema_editor):
    PartnerGrant = apps.get_model("partners", "PartnerGrant")
    ApiKey = apps.get_model("partners", "ApiKey")
    from django.utils import timezone

    PartnerGrant.objects.filter(accepted_at__isnull=True).update(
        accepted_at=F("created_at"), accepted_by="migration: in force before acceptance")
    for key in ApiKey.objects.filter(authority__isnull=False, grant__isnull=True):
        grants = PartnerGrant.objects.filter(authority_id=key.authority_id,
                                             partner_id=key.partner_id)
        grant = (grants.filter(revoked_at__isnull=True).first()
                 or grants.order_by("-created_at").first())
        if grant is not None:
            key.grant = grant
            key.save(update_fields=["grant"])
        elif key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.revoked_by = "migration: no grant of its authority"
            key.save(update_fields=["revoked_at", "revoked_by"])


class Migration(migrations.Migration):

    dependencies = [("partners", "0002_grant_acceptance_and_grant_keys")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
