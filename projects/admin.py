from django.contrib import admin

from core.admin import CheckedTextAdmin

from .models import Beneficiary, Notice, NoticeObjection, Project, ProjectEvent


class ReadOnlyAdmin(CheckedTextAdmin):
    """Written only through projects/services.py (the web pages, the API and the seed)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ProjectEventInline(admin.TabularInline):
    model = ProjectEvent
    fields = ["from_status", "to_status", "user", "comment", "at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "county", "region", "category", "year", "budget", "status"]
    list_filter = ["status", "category", "year"]
    search_fields = ["name", "implementing_unit"]
    list_select_related = ["county", "region"]
    inlines = [ProjectEventInline]


@admin.register(Beneficiary)
class BeneficiaryAdmin(ReadOnlyAdmin):
    list_display = ["id", "project", "household", "planned_amount"]
    list_select_related = ["project", "household"]
    raw_id_fields = ["project", "household"]


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["id", "title", "kind", "region", "project", "fund_source", "start_date", "end_date"]
    list_filter = ["kind"]
    list_select_related = ["region", "project", "fund_source"]


@admin.register(NoticeObjection)
class NoticeObjectionAdmin(ReadOnlyAdmin):
    list_display = ["id", "notice", "received_on", "recorded_by", "resolved_by", "resolved_at"]
    list_select_related = ["notice", "recorded_by", "resolved_by"]
