# The upload table's model now lives in core (core 0004); its table stays (``cases_upload``).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0009_figure_months'),
        ('core', '0004_upload'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='Upload')],
            database_operations=[],
        ),
    ]
