"""Sharing rows named admins as "Name <e-mail>", and the other authorities read them: keep
the name only. One UPDATE per column over small tables (a few rows per authority)."""

from django.db import migrations

COLUMNS = [
    ("sharing_sharingagreement", "proposed_by"),
    ("sharing_sharingagreement", "decided_by"),
    ("sharing_sharingagreement", "ended_by"),
    ("sharing_networkmembership", "invited_by"),
    ("sharing_networkmembership", "decided_by"),
    ("sharing_networkapproval", "approved_by"),
]


class Migration(migrations.Migration):

    dependencies = [
        ("sharing", "0005_receipts_for_earlier_transfers"),
    ]

    operations = [
        migrations.RunSQL(
            [f"UPDATE {table} SET {column} = btrim(regexp_replace({column}, '<[^>]*>', '', 'g'))"
             f" WHERE {column} LIKE '%%<%%@%%>%%'" for table, column in COLUMNS],
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
