from django.contrib import admin

from core.admin import CheckedTextAdmin

from .models import County, Region, Village


@admin.register(Region)
class RegionAdmin(CheckedTextAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(County)
class CountyAdmin(CheckedTextAdmin):
    list_display = ["region", "is_poverty_county", "is_west", "planned_exit_year", "exit_year"]


@admin.register(Village)
class VillageAdmin(CheckedTextAdmin):
    list_display = ["region", "is_poor_village", "collective_income"]
    raw_id_fields = ["region"]
