from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError

from .models import PolicyParameter, User
from .text import check_text_fields


class TextCheckedForm(forms.ModelForm):
    """An admin form that shows refused text (control characters, bidi overrides) under its field.

    The pre_save guard (core.text.refuse_unclean_text) would refuse the save anyway; checking
    here turns that refusal into a field error instead of an error page.
    """

    def _post_clean(self):
        super()._post_clean()
        try:
            check_text_fields(self.instance)
        except ValidationError as error:
            self._update_errors(error)


class CheckedTextAdmin(admin.ModelAdmin):
    """The ModelAdmin of every app whose rows hold user text."""

    form = TextCheckedForm


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "last_name", "first_name", "role", "region", "is_active", "is_demo"]
    list_filter = ["role", "is_active", "is_demo"]
    raw_id_fields = ["region"]
    fieldsets = [*BaseUserAdmin.fieldsets, ("范围", {"fields": ["role", "region", "is_demo"]})]
    add_fieldsets = [*BaseUserAdmin.add_fieldsets, ("范围", {"fields": ["role", "region"]})]


@admin.register(PolicyParameter)
class PolicyParameterAdmin(admin.ModelAdmin):
    list_display = ["key", "year", "region", "value", "text", "evidence", "is_verified"]
    list_filter = ["key", "is_verified", "evidence"]
    raw_id_fields = ["region"]
