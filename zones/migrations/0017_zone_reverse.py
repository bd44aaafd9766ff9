"""The partial index zone_reverse: the reverse zones by name, for ipam.reverse.zones_for (the /space page)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_rate_count"),
        ("zones", "0016_sync_markers"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="zone",
            index=models.Index(condition=models.Q(("name__endswith", ".arpa")), fields=["name"], name="zone_reverse"),
        ),
    ]
