"""Seed the work calendar for 2020–2026 from the chinese-calendar package.

Uses the historical models; the seeding function takes the model classes so it never touches
the current ones. Reversing removes only the package's rows, never an administrator's.
"""

from django.db import migrations

YEARS = range(2020, 2027)


def seed(apps, schema_editor):
    from cityloop.core.calendar import seed_years

    seed_years(
        apps.get_model("core", "WorkCalendarYear"),
        apps.get_model("core", "WorkCalendarDay"),
        YEARS,
    )


def unseed(apps, schema_editor):
    Day = apps.get_model("core", "WorkCalendarDay")
    Year = apps.get_model("core", "WorkCalendarYear")
    Day.objects.filter(source="chinese_calendar", date__year__in=list(YEARS)).delete()
    Year.objects.filter(source="chinese_calendar", year__in=list(YEARS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
