"""A default chat widget, so the bare script tag works on a fresh install (this site only;
add the customer sites in the admin)."""

from django.db import migrations


def create_default(apps, schema_editor):
    ChatWidget = apps.get_model("chat", "ChatWidget")
    if not ChatWidget.objects.exists():
        ChatWidget.objects.create(name="Website chat", key="default")


def remove_default(apps, schema_editor):
    ChatWidget = apps.get_model("chat", "ChatWidget")
    ChatWidget.objects.filter(key="default", sessions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial")]

    operations = [migrations.RunPython(create_default, remove_default)]
