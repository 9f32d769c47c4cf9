"""Every authority gets its statistics settings row now, so that reading the settings
(GET) never has to create it (issue 14, pure reads)."""

from django.conf import settings
from django.db import migrations


def create_missing_rows(apps, schema_editor):
    Authority = apps.get_model("tenants", "Authority")
    StatsSettings = apps.get_model("analytics", "StatsSettings")
    # _default_manager: from tenants 0004 on, the historical Authority has no `objects`
    # (its managers are `all_objects`), and the plan may run this migration after it.
    missing = (Authority._default_manager.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
               .filter(stats_settings__isnull=True))
    StatsSettings.objects.bulk_create(
        [StatsSettings(authority=authority) for authority in missing])


class Migration(migrations.Migration):

    dependencies = [
        ("analytics", "0004_stats_campaigns_settings"),
    ]

    operations = [
        migrations.RunPython(create_missing_rows, migrations.RunPython.noop),
    ]
