# Joins the two 0007s of issue 16 (i16-purchases and i16-weights), merged on i16-declaration.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0007_agec_purchases_donations'),
        ('analytics', '0007_transferfact_family_estimate'),
    ]

    operations = [
    ]
