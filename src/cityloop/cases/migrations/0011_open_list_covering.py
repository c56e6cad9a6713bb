"""The open cases' list index holds the columns the scope keys and the queues read (issue 20):
PostgreSQL picks a workbench page's ids and its capped count from the index alone (an
index-only scan once the visibility map is set), instead of visiting every open case row in
the reader's scope. SQLite ignores INCLUDE."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0010_upload_to_core'),
        ('org', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='case',
            name='case_open_list_order',
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('status__in', ('reported', 'accepted', 'dispatched', 'handling', 'replied', 'suspended'))), fields=['light_rank', 'due_at', '-reported_at', '-id'], include=('scope_keys', 'status', 'light', 'level', 'place_path', 'handler', 'responsible_unit', 'pending_request'), name='case_open_list_order'),
        ),
    ]
