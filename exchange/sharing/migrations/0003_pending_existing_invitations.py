"""Invitations sent under the old rule (one member alone) wait for every member's
approval like new ones: none was approved by the other members."""

from django.db import migrations


def invitations_await_approval(apps, schema_editor):
    NetworkMembership = apps.get_model("sharing", "NetworkMembership")
    NetworkMembership.objects.filter(status="invited").update(status="pending")


class Migration(migrations.Migration):

    dependencies = [
        ("sharing", "0002_network_approval_by_all_members"),
    ]

    operations = [
        migrations.RunPython(invitations_await_approval, migrations.RunPython.noop),
    ]
