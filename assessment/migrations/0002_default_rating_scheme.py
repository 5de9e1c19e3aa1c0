"""The default county rating scheme (docs/domain.md §8.2, a PROPOSAL the province edits)."""

from django.db import migrations

from assessment.defaults import DEFAULT_SCHEME, ensure_default_scheme


def add_default_scheme(apps, schema_editor):
    ensure_default_scheme(apps.get_model("assessment", "RatingScheme"))


def remove_default_scheme(apps, schema_editor):
    apps.get_model("assessment", "RatingScheme").objects.filter(name=DEFAULT_SCHEME["name"]).delete()


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]

    operations = [migrations.RunPython(add_default_scheme, remove_default_scheme)]
