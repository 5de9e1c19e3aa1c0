from django.contrib import admin

from .models import County, Region, Village


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(County)
class CountyAdmin(admin.ModelAdmin):
    list_display = ["region", "is_poverty_county", "is_west", "planned_exit_year", "exit_year"]


@admin.register(Village)
class VillageAdmin(admin.ModelAdmin):
    list_display = ["region", "is_poor_village", "collective_income"]
    raw_id_fields = ["region"]
