from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import PolicyParameter, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "last_name", "first_name", "role", "region", "is_active", "is_demo"]
    list_filter = ["role", "is_active", "is_demo"]
    raw_id_fields = ["region"]
    fieldsets = [*BaseUserAdmin.fieldsets, ("范围", {"fields": ["role", "region", "is_demo"]})]
    add_fieldsets = [*BaseUserAdmin.add_fieldsets, ("范围", {"fields": ["role", "region"]})]


@admin.register(PolicyParameter)
class PolicyParameterAdmin(admin.ModelAdmin):
    list_display = ["key", "year", "region", "value", "evidence", "is_verified"]
    list_filter = ["key", "is_verified", "evidence"]
    raw_id_fields = ["region"]
