from django.db import migrations
from django.db.models import OuterRef, Subquery


def _backfill(apps: object, schema_editor: object) -> None:
    # Until now a zone's journal went with the zone, so every row still has its zone: one UPDATE names them all.
    change = apps.get_model("zones", "Change")  # type: ignore[attr-defined]
    zone = apps.get_model("zones", "Zone")  # type: ignore[attr-defined]
    names = zone.objects.filter(pk=OuterRef("zone_id")).values("name")[:1]
    change.objects.filter(zone_name__isnull=True).update(zone_name=Subquery(names))


class Migration(migrations.Migration):
    """Fill in Change.zone_name from the zone each row belongs to, before the column becomes required."""

    dependencies = [
        ("zones", "0006_change_outlives_zone_zone_name_nullable"),
    ]

    operations = [
        migrations.RunPython(_backfill, migrations.RunPython.noop, elidable=True),
    ]
