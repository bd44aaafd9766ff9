"""The throttle counters' table without a write-ahead log on PostgreSQL.

A counter is written by every REST request and by every failed password: logged, each of those writes waited for the
WAL to reach the disk at its commit. Unlogged, it does not (a transaction that wrote only unlogged tables commits
without a flush), and a crash of the database server empties the table, which at worst reopens the throttle windows
it held. SQLite has no such tables: nothing to do there.
"""

from django.db import migrations


def _set(logged: bool):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE accounts_ratecount SET {'LOGGED' if logged else 'UNLOGGED'}")

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_rate_count"),
    ]

    operations = [migrations.RunPython(_set(logged=False), _set(logged=True), elidable=False)]
