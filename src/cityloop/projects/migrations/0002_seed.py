from django.db import migrations


def seed(apps, schema_editor):
    from cityloop.projects.services import seed as seed_rows

    seed_rows(apps.get_model("projects", "ProjectType"), apps.get_model("projects", "RequestKind"))


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
