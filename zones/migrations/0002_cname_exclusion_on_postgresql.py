"""On PostgreSQL the database itself refuses a CNAME beside other data at the same name (RFC 1034 §3.6.2).

Two RRsets of one zone and name conflict when exactly one of them is a CNAME. The service checks this first; the
constraint catches any write that bypasses it. SQLite has no exclusion constraints, so there the service alone holds.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE zones_rrset ADD CONSTRAINT rrset_cname_exclusive
    EXCLUDE USING gist (zone_id WITH =, name WITH =, ((type = 'CNAME')) WITH <>);
"""
DROP = "ALTER TABLE zones_rrset DROP CONSTRAINT IF EXISTS rrset_cname_exclusive;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("zones", "0001_zones_rrsets_records_changes")]
    operations = [migrations.RunPython(forwards, backwards)]
