# The year lock of a household, owned by the registry (docs/architecture.md).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0010_aid_measure_project"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="HouseholdYearLock",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("year", models.PositiveSmallIntegerField(verbose_name="年度")),
                ("reason", models.CharField(max_length=100, verbose_name="锁定依据")),
                ("locked_at", models.DateTimeField(verbose_name="锁定时间")),
                (
                    "household",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="year_locks",
                        to="households.household",
                        verbose_name="贫困户",
                    ),
                ),
                (
                    "locked_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="锁定人",
                    ),
                ),
            ],
            options={
                "verbose_name": "年度锁定",
                "verbose_name_plural": "年度锁定",
                "ordering": ["household", "-year"],
                "constraints": [
                    models.UniqueConstraint(fields=("household", "year"), name="year_lock_one_per_household_year")
                ],
            },
        ),
    ]
