"""On PostgreSQL the database itself refuses overlapping pools and overlapping allocations.

Two CIDR blocks overlap exactly when one contains the other, which is inet's `&&` operator; a GiST index with
`inet_ops` lets an exclusion constraint check it on every insert. The services lock the pool row and consult the free
table first; these constraints catch any write that bypasses them. SQLite has no exclusion constraints, so there the
services alone hold.
"""

from django.db import migrations

CREATE = """
ALTER TABLE ipam_pool ADD CONSTRAINT pool_no_overlap
    EXCLUDE USING gist ((prefix::inet) inet_ops WITH &&);
ALTER TABLE ipam_allocation ADD CONSTRAINT allocation_no_overlap
    EXCLUDE USING gist ((prefix::inet) inet_ops WITH &&);
"""
DROP = """
ALTER TABLE ipam_allocation DROP CONSTRAINT IF EXISTS allocation_no_overlap;
ALTER TABLE ipam_pool DROP CONSTRAINT IF EXISTS pool_no_overlap;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("ipam", "0001_pools_allocations_requests")]
    operations = [migrations.RunPython(forwards, backwards)]
