"""Transfers to another authority recorded before receipts existed (issue 12): their
facts named the receiver without its consent. Each gets a pending receipt request and
leaves the receiver's figures until one of its moderators confirms it."""

from datetime import timedelta

from django.db import migrations
from django.db.models import F
from django.utils import timezone

EXPIRY_DAYS = 30


def ask_receivers_to_confirm(apps, schema_editor):
    if schema_editor.connection.schema_name != "public":
        return
    TransferFact = apps.get_model("analytics", "TransferFact")
    TransferReceipt = apps.get_model("sharing", "TransferReceipt")
    now = timezone.now()
    facts = (TransferFact.objects.filter(receiver_authority__isnull=False,
                                         destination="other_authority")
             .exclude(receiver_authority_id=F("authority_id")))
    for fact in facts.iterator():
        TransferReceipt.objects.get_or_create(
            giver_id=fact.authority_id, transfer_id=fact.transfer_id, defaults={
                "receiver_id": fact.receiver_authority_id,
                "listing_title": fact.category[:120], "category": fact.category[:200],
                "quantity": fact.quantity, "value_eur": fact.value_eur,
                "transferred_on": fact.date, "requested_at": now,
                "expires_at": now + timedelta(days=EXPIRY_DAYS)})
    TransferFact.objects.filter(receiver_authority__isnull=False).update(
        receiver_authority=None)


class Migration(migrations.Migration):

    dependencies = [
        ("analytics", "0004_stats_campaigns_settings"),
        ("sharing", "0004_transfer_receipts"),
    ]

    operations = [
        migrations.RunPython(ask_receivers_to_confirm, migrations.RunPython.noop),
    ]
