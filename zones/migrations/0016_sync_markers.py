"""The sweeper's markers: Zone.synced_version, the generated Zone.unsynced with its partial index, Nameserver.swept.

Every zone starts unmarked (a candidate) and every server not counted: until the first sweep the readers look at every
zone, as before; the first sweep marks what every server has (one pass over the zones).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_security_event_secondary_actions"),
        ("zones", "0015_zonesync_verified_verifyrun"),
    ]

    operations = [
        migrations.AddField(
            model_name="nameserver",
            name="swept",
            field=models.BooleanField(db_default=False),
        ),
        migrations.AddField(
            model_name="zone",
            name="synced_version",
            field=models.PositiveBigIntegerField(db_default=4611686018427387904),
        ),
        migrations.AddField(
            model_name="zone",
            name="unsynced",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Q(("version", models.F("synced_version")), _negated=True),
                output_field=models.BooleanField(),
            ),
        ),
        migrations.AddIndex(
            model_name="zone",
            index=models.Index(condition=models.Q(("unsynced", True)), fields=["id"], name="zone_unsynced"),
        ),
    ]
