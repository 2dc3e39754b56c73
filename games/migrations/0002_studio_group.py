"""The "Studio" group: members may create games (and own what they create)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STUDIO = "Studio"


def create_studio_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure the
    # games app's exist before granting one.
    games_app = apps.get_app_config("games")
    games_app.models_module = True
    create_permissions(games_app, apps=apps, verbosity=0)
    games_app.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=STUDIO)
    group.permissions.add(Permission.objects.get(content_type__app_label="games", codename="add_game"))


def remove_studio_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=STUDIO).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("games", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_studio_group, remove_studio_group)]
