"""The SIRET had two homes (billing details, statistics settings); it now has one, the
authority's row. Which value moves when both are set and differ: the first, in this
order, of billing's when it starts with the authority's SIREN, the statistics one when
it does, billing's, the statistics one. Billing's wins a tie because invoices are the
legal document and its field was check-digit validated. No value is dropped for not
matching the SIREN: the admin sees it and can correct it."""

from django.db import migrations


def move_siret(apps, schema_editor):
    Authority = apps.get_model("tenants", "Authority")
    BillingProfile = apps.get_model("billing", "BillingProfile")
    StatsSettings = apps.get_model("analytics", "StatsSettings")
    billing = dict(BillingProfile.objects.exclude(siret="").values_list("authority_id", "siret"))
    stats = dict(StatsSettings.objects.exclude(siret="").values_list("authority_id", "siret"))
    for authority in Authority._default_manager.filter(pk__in=set(billing) | set(stats)):
        found = [value for value in (billing.get(authority.pk), stats.get(authority.pk))
                 if value]
        matching = [value for value in found if authority.siren
                    and value.startswith(authority.siren)]
        authority.siret = (matching or found)[0]
        authority.save(update_fields=["siret"])


def copy_back(apps, schema_editor):
    Authority = apps.get_model("tenants", "Authority")
    BillingProfile = apps.get_model("billing", "BillingProfile")
    StatsSettings = apps.get_model("analytics", "StatsSettings")
    for pk, siret in Authority._default_manager.exclude(siret="").values_list("pk", "siret"):
        BillingProfile.objects.filter(authority_id=pk).update(siret=siret)
        StatsSettings.objects.filter(authority_id=pk).update(siret=siret)


class Migration(migrations.Migration):

    dependencies = [
        ("tenants", "0005_authority_siret"),
        ("billing", "0003_invoice_event_order"),
        ("analytics", "0005_stats_settings_for_every_authority"),
    ]

    operations = [
        migrations.RunPython(move_siret, copy_back),
    ]
