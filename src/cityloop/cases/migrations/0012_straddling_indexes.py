"""Indexes for the figures' cases due in a period but not closed in it (issue 20, figures for
a year): read through a range of ``case_handle_due_closed`` they were every case due in the
period — a third of the table for a year, 307 k rows at 1 M cases, for 11 k answers.

* ``case_unclosed_due`` (both databases): the cases not closed, by handling deadline — the
  open ones, a few per cent — holding what their grouped count reads (PostgreSQL counts
  them from the index; SQLite ignores INCLUDE).
* ``case_closed_span`` (PostgreSQL): a GiST index of each closed case's span between its
  deadline and its closing, ``(earlier, later]``. A case due in the period and closed before
  it is one whose span holds the period's start; one closed after it, one whose span holds
  its end: two stabbing lookups that read only the cases across a boundary. SQLite, which
  has no such index and scans anyway, keeps the plain comparison (cases/queries.py).
"""

from django.db import migrations, models

SPAN = (
    "tstzrange(LEAST(handle_due_at, closed_at), GREATEST(handle_due_at, closed_at), '(]')"
)


def create_span_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS case_closed_span ON cases_case USING gist ({SPAN}) "
        "WHERE closed_at IS NOT NULL AND handle_due_at IS NOT NULL"
    )


def drop_span_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS case_closed_span")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0011_open_list_covering"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("closed_at__isnull", True)),
                fields=["handle_due_at"],
                include=(
                    "id",
                    "closed_at",
                    "closed_on_time",
                    "status",
                    "place_path",
                    "responsible_unit",
                    "dispatcher_unit",
                    "category",
                    "source",
                    "reporter",
                    "zone",
                    "road",
                    "grid",
                ),
                name="case_unclosed_due",
            ),
        ),
        migrations.RunPython(create_span_index, drop_span_index),
    ]
