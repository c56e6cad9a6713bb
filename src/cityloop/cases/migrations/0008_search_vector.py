"""Full text and light counts that read an index, not every row (issue 20 item 2).

- PostgreSQL: ``search_vector``, a stored generated column ``to_tsvector('simple',
  search_text)`` under its own GIN index, replaces the expression index of 0002: the recheck
  of a lossy bitmap reads the vector instead of recomputing ``to_tsvector`` per row (~70 µs
  each at 1 M cases). Not a model field (SQLite keeps its FTS5 table of 0002); Django never
  selects it.
- ``case_open_light_keys``: the open cases' light with their scope keys (INCLUDE, PostgreSQL
  only): the home light counts read this small index instead of the scattered case rows.
"""

from django.conf import settings
from django.db import migrations, models

PG_UP = [
    "ALTER TABLE cases_case ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED",
    "CREATE INDEX case_search_vector_gin ON cases_case USING gin (search_vector)",
    "DROP INDEX IF EXISTS cases_case_search_gin",
    "ANALYZE cases_case",
]
PG_DOWN = [
    "CREATE INDEX IF NOT EXISTS cases_case_search_gin ON cases_case "
    "USING gin (to_tsvector('simple', search_text))",
    "DROP INDEX IF EXISTS case_search_vector_gin",
    "ALTER TABLE cases_case DROP COLUMN IF EXISTS search_vector",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0007_list_keys'),
        ('org', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('status__in', ('reported', 'accepted', 'dispatched', 'handling', 'replied', 'suspended'))), fields=['light'], include=('scope_keys',), name='case_open_light_keys'),
        ),
        migrations.RunPython(_run(PG_UP), _run(PG_DOWN)),
    ]
