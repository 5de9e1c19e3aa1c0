"""The monitoring lines are the province's to confirm or correct (docs/domain.md §12.3)."""

from django.contrib import admin

from core.admin import CheckedTextAdmin

from .models import MonitoringLine


@admin.register(MonitoringLine)
class MonitoringLineAdmin(CheckedTextAdmin):
    # The code, not the Region: a line may be seeded before its province is loaded (no database constraint).
    list_display = ["province_code", "year", "amount", "is_verified", "source"]
    list_select_related = False
    list_filter = ["is_verified", "year"]
    raw_id_fields = ["province"]

    @admin.display(description="省份代码", ordering="province_id")
    def province_code(self, line):
        return line.province_id
