"""Case.public_summary: what the tracking page and Open311 show of a case.

On SQLite, adding a NOT NULL column makes Django rebuild ``cases_case``, which drops the
full-text triggers of 0002; they are put back (and the index rebuilt) right after.
"""

import importlib

from django.db import migrations, models

search = importlib.import_module("cityloop.cases.migrations.0002_search")


def _reinstall_search(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in [*search.SQLITE_DOWN, *search.SQLITE_UP]:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_reply_templates")]

    operations = [
        migrations.AddField(
            model_name="case",
            name="public_summary",
            field=models.CharField(blank=True, max_length=200, verbose_name="public summary"),
        ),
        migrations.RunPython(_reinstall_search, _reinstall_search),
    ]
