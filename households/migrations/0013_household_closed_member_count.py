# The people a closed household counts in the years it was poor (docs/domain.md §7.4).

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0012_registry_history_effective_years"),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name="household",
            name="insert_insert",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="household",
            name="update_update",
        ),
        migrations.AddField(
            model_name="household",
            name="closed_member_count",
            field=models.PositiveSmallIntegerField(blank=True, editable=False, null=True, verbose_name="销户时人口数"),
        ),
        migrations.AddField(
            model_name="householdevent",
            name="closed_member_count",
            field=models.PositiveSmallIntegerField(blank=True, editable=False, null=True, verbose_name="销户时人口数"),
        ),
        # A household closed before: the members it had when it closed (all inactive now), i.e. every
        # member not taken off earlier by a 成员自然减少. Before the history trigger returns.
        migrations.RunSQL(
            """
            UPDATE households_household h
               SET closed_member_count = (
                   SELECT count(*) FROM households_member m
                    WHERE m.household_id = h.id
                      AND NOT EXISTS (SELECT 1 FROM households_adjustmentrecord a
                                       WHERE a.member_id = m.id AND a.kind = 'MEMBER_DECREASE'))
             WHERE h.status IN ('REMOVED', 'CANCELLED')
            """,
            migrations.RunSQL.noop,
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="household",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "households_householdevent" ("arable_land_mu", "attribute", "closed_member_count", "created_at", "distance_to_main_road_km", "entry_road_type", "exit_year", "forest_land_mu", "fuel_type", "grain_for_green_mu", "group_name", "has_household_power", "has_production_power", "has_radio_tv", "has_sanitary_toilet", "head_name", "head_name_initials", "house_safety_grade", "household_no", "housing_area_m2", "id", "identification_standard", "identified_year", "in_cooperative", "irrigated_land_mu", "main_cause", "member_count", "monitoring_category", "orchard_mu", "other_causes", "pasture_mu", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phone", "relocation", "status", "updated_at", "version", "village_id", "warning_count", "water_difficulty", "water_safe", "water_surface_mu") VALUES (NEW."arable_land_mu", NEW."attribute", NEW."closed_member_count", NEW."created_at", NEW."distance_to_main_road_km", NEW."entry_road_type", NEW."exit_year", NEW."forest_land_mu", NEW."fuel_type", NEW."grain_for_green_mu", NEW."group_name", NEW."has_household_power", NEW."has_production_power", NEW."has_radio_tv", NEW."has_sanitary_toilet", NEW."head_name", NEW."head_name_initials", NEW."house_safety_grade", NEW."household_no", NEW."housing_area_m2", NEW."id", NEW."identification_standard", NEW."identified_year", NEW."in_cooperative", NEW."irrigated_land_mu", NEW."main_cause", NEW."member_count", NEW."monitoring_category", NEW."orchard_mu", NEW."other_causes", NEW."pasture_mu", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."phone", NEW."relocation", NEW."status", NEW."updated_at", NEW."version", NEW."village_id", NEW."warning_count", NEW."water_difficulty", NEW."water_safe", NEW."water_surface_mu"); RETURN NULL;',
                    hash="80e7b58a3062f8901b651b5aa0f68382781e3e1b",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_eae56",
                    table="households_household",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="household",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition='WHEN (OLD."arable_land_mu" IS DISTINCT FROM (NEW."arable_land_mu") OR OLD."attribute" IS DISTINCT FROM (NEW."attribute") OR OLD."closed_member_count" IS DISTINCT FROM (NEW."closed_member_count") OR OLD."created_at" IS DISTINCT FROM (NEW."created_at") OR OLD."distance_to_main_road_km" IS DISTINCT FROM (NEW."distance_to_main_road_km") OR OLD."entry_road_type" IS DISTINCT FROM (NEW."entry_road_type") OR OLD."exit_year" IS DISTINCT FROM (NEW."exit_year") OR OLD."forest_land_mu" IS DISTINCT FROM (NEW."forest_land_mu") OR OLD."fuel_type" IS DISTINCT FROM (NEW."fuel_type") OR OLD."grain_for_green_mu" IS DISTINCT FROM (NEW."grain_for_green_mu") OR OLD."group_name" IS DISTINCT FROM (NEW."group_name") OR OLD."has_household_power" IS DISTINCT FROM (NEW."has_household_power") OR OLD."has_production_power" IS DISTINCT FROM (NEW."has_production_power") OR OLD."has_radio_tv" IS DISTINCT FROM (NEW."has_radio_tv") OR OLD."has_sanitary_toilet" IS DISTINCT FROM (NEW."has_sanitary_toilet") OR OLD."head_name" IS DISTINCT FROM (NEW."head_name") OR OLD."head_name_initials" IS DISTINCT FROM (NEW."head_name_initials") OR OLD."house_safety_grade" IS DISTINCT FROM (NEW."house_safety_grade") OR OLD."household_no" IS DISTINCT FROM (NEW."household_no") OR OLD."housing_area_m2" IS DISTINCT FROM (NEW."housing_area_m2") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."identification_standard" IS DISTINCT FROM (NEW."identification_standard") OR OLD."identified_year" IS DISTINCT FROM (NEW."identified_year") OR OLD."in_cooperative" IS DISTINCT FROM (NEW."in_cooperative") OR OLD."irrigated_land_mu" IS DISTINCT FROM (NEW."irrigated_land_mu") OR OLD."main_cause" IS DISTINCT FROM (NEW."main_cause") OR OLD."member_count" IS DISTINCT FROM (NEW."member_count") OR OLD."monitoring_category" IS DISTINCT FROM (NEW."monitoring_category") OR OLD."orchard_mu" IS DISTINCT FROM (NEW."orchard_mu") OR OLD."other_causes" IS DISTINCT FROM (NEW."other_causes") OR OLD."pasture_mu" IS DISTINCT FROM (NEW."pasture_mu") OR OLD."phone" IS DISTINCT FROM (NEW."phone") OR OLD."relocation" IS DISTINCT FROM (NEW."relocation") OR OLD."status" IS DISTINCT FROM (NEW."status") OR OLD."updated_at" IS DISTINCT FROM (NEW."updated_at") OR OLD."version" IS DISTINCT FROM (NEW."version") OR OLD."village_id" IS DISTINCT FROM (NEW."village_id") OR OLD."warning_count" IS DISTINCT FROM (NEW."warning_count") OR OLD."water_difficulty" IS DISTINCT FROM (NEW."water_difficulty") OR OLD."water_safe" IS DISTINCT FROM (NEW."water_safe") OR OLD."water_surface_mu" IS DISTINCT FROM (NEW."water_surface_mu"))',
                    func='INSERT INTO "households_householdevent" ("arable_land_mu", "attribute", "closed_member_count", "created_at", "distance_to_main_road_km", "entry_road_type", "exit_year", "forest_land_mu", "fuel_type", "grain_for_green_mu", "group_name", "has_household_power", "has_production_power", "has_radio_tv", "has_sanitary_toilet", "head_name", "head_name_initials", "house_safety_grade", "household_no", "housing_area_m2", "id", "identification_standard", "identified_year", "in_cooperative", "irrigated_land_mu", "main_cause", "member_count", "monitoring_category", "orchard_mu", "other_causes", "pasture_mu", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phone", "relocation", "status", "updated_at", "version", "village_id", "warning_count", "water_difficulty", "water_safe", "water_surface_mu") VALUES (NEW."arable_land_mu", NEW."attribute", NEW."closed_member_count", NEW."created_at", NEW."distance_to_main_road_km", NEW."entry_road_type", NEW."exit_year", NEW."forest_land_mu", NEW."fuel_type", NEW."grain_for_green_mu", NEW."group_name", NEW."has_household_power", NEW."has_production_power", NEW."has_radio_tv", NEW."has_sanitary_toilet", NEW."head_name", NEW."head_name_initials", NEW."house_safety_grade", NEW."household_no", NEW."housing_area_m2", NEW."id", NEW."identification_standard", NEW."identified_year", NEW."in_cooperative", NEW."irrigated_land_mu", NEW."main_cause", NEW."member_count", NEW."monitoring_category", NEW."orchard_mu", NEW."other_causes", NEW."pasture_mu", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."phone", NEW."relocation", NEW."status", NEW."updated_at", NEW."version", NEW."village_id", NEW."warning_count", NEW."water_difficulty", NEW."water_safe", NEW."water_surface_mu"); RETURN NULL;',
                    hash="065d834246aec473dd01be85c019732986542178",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_d279e",
                    table="households_household",
                    when="AFTER",
                ),
            ),
        ),
    ]
