"""Which fields of a household and of a member the registry writes accept, in the order of the form.

The services copy exactly these from their input; the forms, the 采集表 columns and the
detail page list them in the same order (docs/domain.md §3.2, §3.3, §3.5).
"""

# 生产生活条件: the block of the household form after the causes.
LIVING_CONDITION_FIELDS = [
    "arable_land_mu",
    "irrigated_land_mu",
    "forest_land_mu",
    "grain_for_green_mu",
    "orchard_mu",
    "pasture_mu",
    "water_surface_mu",
    "has_production_power",
    "has_household_power",
    "has_radio_tv",
    "water_difficulty",
    "water_safe",
    "distance_to_main_road_km",
    "entry_road_type",
    "housing_area_m2",
    "house_safety_grade",
    "fuel_type",
    "has_sanitary_toilet",
    "in_cooperative",
    "relocation",
]
HOUSEHOLD_FIELDS = [
    "household_no",
    "group_name",
    "phone",
    "identification_standard",
    "attribute",
    "main_cause",
    "other_causes",
    "identified_year",
    *LIVING_CONDITION_FIELDS,
]
MEMBER_FIELDS = [
    "name",
    "relation",
    "ethnicity",
    "education",
    "school_status",
    "health",
    "labor_skill",
    "work_location",
    "work_months",
]
