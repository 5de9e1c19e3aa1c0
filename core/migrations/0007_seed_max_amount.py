"""Seed the MAX_AMOUNT parameter (core/policy_defaults.py) that core/parsing.py bounds amounts with."""

from django.db import migrations

from core.policy_defaults import default_parameter_rows

KEY = "MAX_AMOUNT"


def seed(apps, schema_editor):
    PolicyParameter = apps.get_model("fupin", "PolicyParameter")
    rows = [row for row in default_parameter_rows(PolicyParameter) if row.key == KEY]
    PolicyParameter.objects.bulk_create(rows, ignore_conflicts=True)


def unseed(apps, schema_editor):
    apps.get_model("fupin", "PolicyParameter").objects.filter(key=KEY, region__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("fupin", "0006_max_amount_parameter")]
    operations = [migrations.RunPython(seed, unseed)]
