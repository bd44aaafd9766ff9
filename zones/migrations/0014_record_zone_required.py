"""Every record names its zone (0012 filled in the existing rows), through an index.

On PostgreSQL the database also holds the denormalised column to the truth: a composite foreign key from a record's
(rrset_id, zone_id) to its RRset's (id, zone_id) refuses a record filed under another zone than its RRset's, which a
reader that selects records by zone would otherwise show in that other zone (another customer's). It needs a unique
key over (id, zone_id) of the RRsets to point at; it is checked at commit, as Django's own foreign keys are. SQLite
cannot add a foreign key to an existing table: there zone_apply alone fills the column (tests/zones/test_record_zone.py).
"""

import django.db.models.deletion
from django.db import migrations, models

CREATE = """
ALTER TABLE zones_rrset ADD CONSTRAINT rrset_unique_id_zone UNIQUE (id, zone_id);
ALTER TABLE zones_record ADD CONSTRAINT record_zone_is_rrset_zone FOREIGN KEY (rrset_id, zone_id)
    REFERENCES zones_rrset (id, zone_id) DEFERRABLE INITIALLY DEFERRED;
"""
DROP = """
ALTER TABLE zones_record DROP CONSTRAINT IF EXISTS record_zone_is_rrset_zone;
ALTER TABLE zones_rrset DROP CONSTRAINT IF EXISTS rrset_unique_id_zone;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("zones", "0013_record_zone_backfill"),
    ]

    operations = [
        migrations.AlterField(
            model_name="record",
            name="zone",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="records", to="zones.zone"
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
