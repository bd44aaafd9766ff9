import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Record.zone, the RRset's zone beside each record, nullable until 0012 fills it in. Its index and its foreign
    key come with 0013, after the backfill: built and checked once over the filled column, rather than kept up (an
    index entry and a key check per row) through millions of UPDATEs."""

    dependencies = [
        ("zones", "0011_zone_account_name_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="record",
            name="zone",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="records",
                to="zones.zone",
            ),
        ),
    ]
