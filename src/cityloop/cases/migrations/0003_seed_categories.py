"""Seed the category tree from ``cases/data/categories.csv``: the 数字城管 部件 and 事件 classes
and the seven citizen-message classes of the 12345 data.

Uses the historical model; the loader takes the model class so it never touches the current
one. Reversing removes only the seed's categories, and none that a case uses.
"""

from django.db import migrations


def seed(apps, schema_editor):
    from cityloop.cases.services import seed_categories

    seed_categories(apps.get_model("cases", "Category"))


def unseed(apps, schema_editor):
    from cityloop.cases.services import unseed_categories

    unseed_categories(apps.get_model("cases", "Category"))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_search"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
