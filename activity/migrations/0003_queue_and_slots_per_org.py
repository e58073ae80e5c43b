"""Business-unit queues and send slots are named by org and unit id together.

Slots are short leases made again on first use, so the old ones, which name
no org, are dropped rather than guessed at.
"""

import django.db.models.deletion
from django.db import migrations, models


def forget_slots(apps, schema_editor):
    apps.get_model("activity", "SendSlot").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("activity", "0002_submission_log"),
        ("orgs", "0002_businessunit_extension_assignment_activitytype_and_more"),
    ]

    operations = [
        migrations.AlterField(
            model_name="businessunitqueue",
            name="business_unit_sf_id",
            field=models.CharField(max_length=18),
        ),
        migrations.AddConstraint(
            model_name="businessunitqueue",
            constraint=models.UniqueConstraint(
                fields=("org", "business_unit_sf_id"), name="one_queue_per_unit"
            ),
        ),
        migrations.RunPython(forget_slots, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="sendslot",
            name="one_slot_number",
        ),
        migrations.AddField(
            model_name="sendslot",
            name="org",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="send_slots",
                to="orgs.org",
            ),
        ),
        migrations.AddConstraint(
            model_name="sendslot",
            constraint=models.UniqueConstraint(
                fields=("org", "business_unit_sf_id", "number"),
                name="one_slot_number",
            ),
        ),
    ]
