# Registry history (issue 12): effective years, poor years from the log, the historical load, lock history.

import django.contrib.postgres.fields
import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models

import households.models

FILL_EFFECTIVE_YEARS = """
UPDATE households_adjustmentrecord a
   SET effective_year = CASE
         WHEN a.kind = 'EXITED' AND h.exit_year IS NOT NULL THEN h.exit_year
         WHEN a.kind = 'NEW' THEN h.identified_year
         ELSE a.year
       END
  FROM households_household h
 WHERE h.id = a.household_id
"""

FILL_POVERTY_YEARS = """
UPDATE households_household h
   SET poor_years = spans.poor_years, exit_years = spans.exit_years
  FROM (
        SELECT household_id,
               COALESCE(range_agg(int4range(effective_year, next_year)) FILTER (WHERE to_status = 'POOR'),
                        '{}'::int4multirange) AS poor_years,
               COALESCE(array_agg(effective_year ORDER BY effective_year) FILTER (WHERE kind = 'EXITED'),
                        '{}'::smallint[]) AS exit_years
          FROM (SELECT household_id, kind, to_status, effective_year,
                       lead(effective_year) OVER (PARTITION BY household_id ORDER BY effective_year, id) AS next_year
                  FROM households_adjustmentrecord
                 WHERE to_status <> '') AS steps
         GROUP BY household_id
       ) AS spans
 WHERE h.id = spans.household_id;

UPDATE households_household h
   SET poor_years = CASE
         WHEN h.status IN ('POOR', 'EXITED') THEN
           int4multirange(int4range(h.identified_year,
                                    CASE WHEN h.status = 'EXITED' THEN GREATEST(h.exit_year, h.identified_year) END))
         ELSE '{}'::int4multirange
       END,
       exit_years = CASE WHEN h.status = 'EXITED' AND h.exit_year IS NOT NULL
                         THEN ARRAY[h.exit_year]::smallint[] ELSE '{}'::smallint[] END
 WHERE h.poor_years IS NULL;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0011_household_year_lock"),
        ("pghistory", "0007_auto_20250421_0444"),
        ("villages", "0002_village_exit_year"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="HistoricalLoad",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("original_name", models.CharField(max_length=200, verbose_name="文件名")),
                ("household_count", models.PositiveIntegerField(verbose_name="户数")),
                ("member_count", models.PositiveIntegerField(verbose_name="人数")),
                ("loaded_at", models.DateTimeField(auto_now_add=True, verbose_name="导入时间")),
            ],
            options={
                "verbose_name": "历史数据导入记录",
                "verbose_name_plural": "历史数据导入记录",
                "ordering": ["-loaded_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="HouseholdYearLockEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("year", models.PositiveSmallIntegerField(verbose_name="年度")),
                ("reason", models.CharField(max_length=100, verbose_name="锁定依据")),
                ("locked_at", models.DateTimeField(verbose_name="锁定时间")),
            ],
            options={
                "abstract": False,
            },
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="household",
            name="update_update",
        ),
        migrations.AddField(
            model_name="adjustmentrecord",
            name="effective_year",
            field=models.PositiveSmallIntegerField(null=True, verbose_name="生效年度"),
        ),
        migrations.AddField(
            model_name="household",
            name="exit_years",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.PositiveSmallIntegerField(),
                blank=True,
                db_default=models.Value(
                    [],
                    output_field=django.contrib.postgres.fields.ArrayField(
                        base_field=models.PositiveSmallIntegerField(), size=None
                    ),
                ),
                default=list,
                editable=False,
                size=None,
                verbose_name="脱贫年度（历次）",
            ),
        ),
        migrations.AddField(
            model_name="household",
            name="poor_years",
            field=households.models.YearSpansField(blank=True, editable=False, null=True, verbose_name="贫困年度区间"),
        ),
        migrations.AddField(
            model_name="importjob",
            name="mode",
            field=models.CharField(
                choices=[("REGULAR", "采集表导入"), ("HISTORICAL", "历史数据导入")],
                default="REGULAR",
                max_length=10,
                verbose_name="导入方式",
            ),
        ),
        migrations.AlterField(
            model_name="household",
            name="status",
            field=models.CharField(
                choices=[
                    ("CANDIDATE", "拟识别"),
                    ("POOR", "未脱贫"),
                    ("EXITED", "已脱贫"),
                    ("REMOVED", "清退"),
                    ("CANCELLED", "自然销户"),
                ],
                default="CANDIDATE",
                editable=False,
                max_length=10,
                verbose_name="状态",
            ),
        ),
        migrations.AlterField(
            model_name="householdevent",
            name="status",
            field=models.CharField(
                choices=[
                    ("CANDIDATE", "拟识别"),
                    ("POOR", "未脱贫"),
                    ("EXITED", "已脱贫"),
                    ("REMOVED", "清退"),
                    ("CANCELLED", "自然销户"),
                ],
                default="CANDIDATE",
                editable=False,
                max_length=10,
                verbose_name="状态",
            ),
        ),
        # Existing adjustments take effect in the best year known: the exit year of an exit, the
        # identification year of an identification, the date's year otherwise.
        migrations.RunSQL(FILL_EFFECTIVE_YEARS, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="adjustmentrecord",
            name="effective_year",
            field=models.PositiveSmallIntegerField(verbose_name="生效年度"),
        ),
        # Poor years from the log; a household without a status log keeps what its columns said.
        # Before the history trigger comes back, so the fill writes no history rows.
        migrations.RunSQL(FILL_POVERTY_YEARS, migrations.RunSQL.noop),
        pgtrigger.migrations.AddTrigger(
            model_name="household",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition='WHEN (OLD."arable_land_mu" IS DISTINCT FROM (NEW."arable_land_mu") OR OLD."attribute" IS DISTINCT FROM (NEW."attribute") OR OLD."created_at" IS DISTINCT FROM (NEW."created_at") OR OLD."distance_to_main_road_km" IS DISTINCT FROM (NEW."distance_to_main_road_km") OR OLD."entry_road_type" IS DISTINCT FROM (NEW."entry_road_type") OR OLD."exit_year" IS DISTINCT FROM (NEW."exit_year") OR OLD."forest_land_mu" IS DISTINCT FROM (NEW."forest_land_mu") OR OLD."fuel_type" IS DISTINCT FROM (NEW."fuel_type") OR OLD."grain_for_green_mu" IS DISTINCT FROM (NEW."grain_for_green_mu") OR OLD."group_name" IS DISTINCT FROM (NEW."group_name") OR OLD."has_household_power" IS DISTINCT FROM (NEW."has_household_power") OR OLD."has_production_power" IS DISTINCT FROM (NEW."has_production_power") OR OLD."has_radio_tv" IS DISTINCT FROM (NEW."has_radio_tv") OR OLD."has_sanitary_toilet" IS DISTINCT FROM (NEW."has_sanitary_toilet") OR OLD."head_name" IS DISTINCT FROM (NEW."head_name") OR OLD."head_name_initials" IS DISTINCT FROM (NEW."head_name_initials") OR OLD."house_safety_grade" IS DISTINCT FROM (NEW."house_safety_grade") OR OLD."household_no" IS DISTINCT FROM (NEW."household_no") OR OLD."housing_area_m2" IS DISTINCT FROM (NEW."housing_area_m2") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."identification_standard" IS DISTINCT FROM (NEW."identification_standard") OR OLD."identified_year" IS DISTINCT FROM (NEW."identified_year") OR OLD."in_cooperative" IS DISTINCT FROM (NEW."in_cooperative") OR OLD."irrigated_land_mu" IS DISTINCT FROM (NEW."irrigated_land_mu") OR OLD."main_cause" IS DISTINCT FROM (NEW."main_cause") OR OLD."member_count" IS DISTINCT FROM (NEW."member_count") OR OLD."monitoring_category" IS DISTINCT FROM (NEW."monitoring_category") OR OLD."orchard_mu" IS DISTINCT FROM (NEW."orchard_mu") OR OLD."other_causes" IS DISTINCT FROM (NEW."other_causes") OR OLD."pasture_mu" IS DISTINCT FROM (NEW."pasture_mu") OR OLD."phone" IS DISTINCT FROM (NEW."phone") OR OLD."relocation" IS DISTINCT FROM (NEW."relocation") OR OLD."status" IS DISTINCT FROM (NEW."status") OR OLD."updated_at" IS DISTINCT FROM (NEW."updated_at") OR OLD."version" IS DISTINCT FROM (NEW."version") OR OLD."village_id" IS DISTINCT FROM (NEW."village_id") OR OLD."warning_count" IS DISTINCT FROM (NEW."warning_count") OR OLD."water_difficulty" IS DISTINCT FROM (NEW."water_difficulty") OR OLD."water_safe" IS DISTINCT FROM (NEW."water_safe") OR OLD."water_surface_mu" IS DISTINCT FROM (NEW."water_surface_mu"))',
                    func='INSERT INTO "households_householdevent" ("arable_land_mu", "attribute", "created_at", "distance_to_main_road_km", "entry_road_type", "exit_year", "forest_land_mu", "fuel_type", "grain_for_green_mu", "group_name", "has_household_power", "has_production_power", "has_radio_tv", "has_sanitary_toilet", "head_name", "head_name_initials", "house_safety_grade", "household_no", "housing_area_m2", "id", "identification_standard", "identified_year", "in_cooperative", "irrigated_land_mu", "main_cause", "member_count", "monitoring_category", "orchard_mu", "other_causes", "pasture_mu", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phone", "relocation", "status", "updated_at", "version", "village_id", "warning_count", "water_difficulty", "water_safe", "water_surface_mu") VALUES (NEW."arable_land_mu", NEW."attribute", NEW."created_at", NEW."distance_to_main_road_km", NEW."entry_road_type", NEW."exit_year", NEW."forest_land_mu", NEW."fuel_type", NEW."grain_for_green_mu", NEW."group_name", NEW."has_household_power", NEW."has_production_power", NEW."has_radio_tv", NEW."has_sanitary_toilet", NEW."head_name", NEW."head_name_initials", NEW."house_safety_grade", NEW."household_no", NEW."housing_area_m2", NEW."id", NEW."identification_standard", NEW."identified_year", NEW."in_cooperative", NEW."irrigated_land_mu", NEW."main_cause", NEW."member_count", NEW."monitoring_category", NEW."orchard_mu", NEW."other_causes", NEW."pasture_mu", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."phone", NEW."relocation", NEW."status", NEW."updated_at", NEW."version", NEW."village_id", NEW."warning_count", NEW."water_difficulty", NEW."water_safe", NEW."water_surface_mu"); RETURN NULL;',
                    hash="29f0583fb43a0f3fd97fe0cd33e9b74312452858",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_d279e",
                    table="households_household",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="householdyearlock",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "households_householdyearlockevent" ("household_id", "id", "locked_at", "locked_by_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reason", "year") VALUES (NEW."household_id", NEW."id", NEW."locked_at", NEW."locked_by_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."reason", NEW."year"); RETURN NULL;',
                    hash="6d2d913a7872e4c8e574ed478564aba91e5198e3",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_6c814",
                    table="households_householdyearlock",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="householdyearlock",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                    func='INSERT INTO "households_householdyearlockevent" ("household_id", "id", "locked_at", "locked_by_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reason", "year") VALUES (NEW."household_id", NEW."id", NEW."locked_at", NEW."locked_by_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."reason", NEW."year"); RETURN NULL;',
                    hash="8aa78883a1fc70a4c8eed2b8c56c6e2ccac35af0",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_55586",
                    table="households_householdyearlock",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="householdyearlock",
            trigger=pgtrigger.compiler.Trigger(
                name="delete_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "households_householdyearlockevent" ("household_id", "id", "locked_at", "locked_by_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "reason", "year") VALUES (OLD."household_id", OLD."id", OLD."locked_at", OLD."locked_by_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."reason", OLD."year"); RETURN NULL;',
                    hash="e00dd8f1f6611a7affab3f0279c12d77e8958bf9",
                    operation="DELETE",
                    pgid="pgtrigger_delete_delete_d4669",
                    table="households_householdyearlock",
                    when="AFTER",
                ),
            ),
        ),
        migrations.AddField(
            model_name="historicalload",
            name="import_job",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="historical_load",
                to="households.importjob",
                verbose_name="导入任务",
            ),
        ),
        migrations.AddField(
            model_name="historicalload",
            name="loaded_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="导入人",
            ),
        ),
        migrations.AddField(
            model_name="historicalload",
            name="region",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="historical_loads",
                to="villages.region",
                verbose_name="导入范围",
            ),
        ),
        migrations.AddField(
            model_name="householdyearlockevent",
            name="household",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to="households.household",
                verbose_name="贫困户",
            ),
        ),
        migrations.AddField(
            model_name="householdyearlockevent",
            name="locked_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="锁定人",
            ),
        ),
        migrations.AddField(
            model_name="householdyearlockevent",
            name="pgh_context",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="pghistory.context",
            ),
        ),
        migrations.AddField(
            model_name="householdyearlockevent",
            name="pgh_obj",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="events",
                to="households.householdyearlock",
            ),
        ),
    ]
