"""Seed the demo province's monitoring lines 2021–2026, all unverified (monitoring/defaults.py)."""

from django.db import migrations

from monitoring.defaults import DEMO_PROVINCE, DEMO_PROVINCE_LINES, ensure_default_lines


def seed(apps, schema_editor):
    ensure_default_lines(apps.get_model("monitoring", "MonitoringLine"))


def unseed(apps, schema_editor):
    MonitoringLine = apps.get_model("monitoring", "MonitoringLine")
    years = [year for year, _, _ in DEMO_PROVINCE_LINES]
    MonitoringLine.objects.filter(province_id=DEMO_PROVINCE, year__in=years).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
