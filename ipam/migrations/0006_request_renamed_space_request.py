"""`Request` becomes `SpaceRequest` (beside Django's HTTP request, `request_decline(request=...)` read as either).

The table is renamed, its rows kept; the audit rows of requests take the services' new names
(space_request_file/approve/decline) and name the space request under "space_request" in their detail.
"""

import django.db.models.deletion
from django.db import migrations, models

ACTIONS = {f"request_{verb}": f"space_request_{verb}" for verb in ("file", "approve", "decline")}


def _rename_events(apps, names: dict[str, str], old_key: str, new_key: str) -> None:
    event_model = apps.get_model("ipam", "Event")
    for event in event_model.objects.filter(action__in=names):
        event.action = names[event.action]
        if old_key in event.detail:
            event.detail[new_key] = event.detail.pop(old_key)
        event.save(update_fields=["action", "detail"])


def forwards(apps, schema_editor) -> None:
    _rename_events(apps, ACTIONS, "request", "space_request")


def backwards(apps, schema_editor) -> None:
    _rename_events(apps, {new: old for old, new in ACTIONS.items()}, "space_request", "request")


class Migration(migrations.Migration):
    dependencies = [("ipam", "0005_account_moves_to_accounts_app")]

    operations = [
        migrations.RenameModel(old_name="Request", new_name="SpaceRequest"),
        migrations.AlterField(
            model_name="spacerequest",
            name="account",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="space_requests", to="accounts.account"
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
