from django.db import migrations


def seed(apps, schema_editor):
    from cityloop.supervision.services import seed as seed_rows

    seed_rows(apps.get_model("supervision", "TaskKind"), apps.get_model("supervision", "TaskCategory"))
    policy = apps.get_model("supervision", "LightPolicy")
    if not policy.objects.filter(active=True).exists():
        policy.objects.create(name="默认规则", active=True)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
