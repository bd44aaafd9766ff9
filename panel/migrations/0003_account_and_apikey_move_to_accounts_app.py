from django.db import migrations


class Migration(migrations.Migration):
    """Account and ApiKey now belong to the accounts app (its 0001 took over these tables); nothing changes in the
    database."""

    dependencies = [
        ("panel", "0002_api_keys"),
        ("accounts", "0001_move_accounts_from_panel"),
        ("zones", "0005_account_moves_to_accounts_app"),
        ("ipam", "0005_account_moves_to_accounts_app"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="account", name="members"),
                migrations.RemoveField(model_name="apikey", name="account"),
                migrations.DeleteModel(name="ApiKey"),
                migrations.DeleteModel(name="Account"),
            ],
            database_operations=[],
        ),
    ]
