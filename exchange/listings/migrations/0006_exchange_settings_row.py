"""Every authority's schema gets its exchange settings row now, so that reading the
settings (GET) never has to create it (issue 14, pure reads)."""

from django.db import migrations


def create_missing_row(apps, schema_editor):
    ExchangeSettings = apps.get_model("exchange", "ExchangeSettings")
    ExchangeSettings.objects.get_or_create(pk=1)


class Migration(migrations.Migration):

    dependencies = [
        ("exchange", "0005_listing_outlier_confirmation"),
    ]

    operations = [
        migrations.RunPython(create_missing_row, migrations.RunPython.noop),
    ]
