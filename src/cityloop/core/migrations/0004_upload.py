# The upload table moves from cases to the kernel (photo storage is core's, issue 17): the
# state moves, the table stays where it is (``cases_upload``), so no row is copied.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_notification'),
        ('cases', '0001_initial'),  # the table itself is made there
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Upload',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('file', models.CharField(max_length=200)),
                        ('width', models.PositiveIntegerField()),
                        ('height', models.PositiveIntegerField()),
                        ('sha256', models.CharField(max_length=64)),
                        ('gps', models.JSONField(blank=True, null=True)),
                        ('created_at', models.DateTimeField()),
                        ('used', models.BooleanField(default=False)),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='uploads', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={'db_table': 'cases_upload'},
                ),
            ],
            database_operations=[],
        ),
    ]
