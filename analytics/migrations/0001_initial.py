from django.db import migrations, models


def load_reference_items(apps, schema_editor):
    from analytics.reference_data import read_reference_rows

    ReferenceItem = apps.get_model("analytics", "ReferenceItem")
    fields = {f.name for f in ReferenceItem._meta.get_fields()}
    for row in read_reference_rows():
        ReferenceItem.objects.update_or_create(
            code=row["code"], defaults={k: v for k, v in row.items() if k in fields and k != "code"}
        )


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="ReferenceItem",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.SlugField(max_length=60, unique=True, verbose_name="code")),
                ("family_fr", models.CharField(max_length=120, verbose_name="family")),
                ("label_fr", models.CharField(max_length=200, verbose_name="label")),
                ("typical_weight_kg", models.DecimalField(decimal_places=3, max_digits=9, verbose_name="typical unit weight (kg)")),
                ("weight_basis", models.CharField(choices=[("S", "Sourced"), ("D", "Derived"), ("E", "Estimated")], max_length=1)),
                ("weight_source", models.CharField(blank=True, max_length=300)),
                ("co2e_kg_per_item", models.DecimalField(decimal_places=3, max_digits=9, verbose_name="kg CO2e avoided per item")),
                ("co2e_basis", models.CharField(choices=[("S", "Sourced"), ("D", "Derived"), ("E", "Estimated")], max_length=1)),
                ("co2e_source", models.CharField(blank=True, max_length=300)),
                ("agec_category", models.CharField(blank=True, max_length=200)),
                ("rep_stream", models.CharField(blank=True, max_length=100)),
                ("version", models.CharField(default="2026.1", max_length=20)),
            ],
            options={"ordering": ["family_fr", "label_fr"]},
        ),
        migrations.RunPython(load_reference_items, migrations.RunPython.noop),
    ]
