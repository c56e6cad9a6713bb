from django.db import migrations


def seed(apps, schema_editor):
    from cityloop.campaigns.services import seed as seed_rows

    seed_rows(apps.get_model("campaigns", "OutputKind"))


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
