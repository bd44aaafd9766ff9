"""The database cache's table (settings.CACHES without REDIS_URL): throttle counters shared by every worker.

`migrate` is the one set-up step of every installation, so the table comes with it rather than with a separate
`createcachetable` that a deployment could forget (every worker would then fail its first cache read). The command is
idempotent, and does nothing for caches that are not database caches (Redis, the tests' in-process cache).
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("panel", "0003_account_and_apikey_move_to_accounts_app")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
