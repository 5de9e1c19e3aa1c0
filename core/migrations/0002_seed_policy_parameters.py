"""Seed the national policy parameters (core/policy_defaults.py)."""

from django.db import migrations

from core.policy_defaults import ensure_default_parameters


def seed(apps, schema_editor):
    ensure_default_parameters(apps.get_model("fupin", "PolicyParameter"))


def unseed(apps, schema_editor):
    PolicyParameter = apps.get_model("fupin", "PolicyParameter")
    PolicyParameter.objects.filter(region__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("fupin", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
