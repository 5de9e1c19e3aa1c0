"""The forms of 用户管理 (fupin/accounts.py holds the rules; these only parse)."""

from django import forms
from django.contrib.auth.forms import PasswordChangeForm

from core.codes import Role
from core.forms import BLANK, BootstrapMixin

from .accounts import MANAGED_ROLES, filter_regions

LEVEL_INDENT = {"province": "", "city": "　", "county": "　　"}


class UserFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label="用户名或姓名", required=False, max_length=50)
    role = forms.ChoiceField(label="角色", required=False)
    region = forms.ChoiceField(label="所属区划", required=False)
    active = forms.ChoiceField(label="状态", required=False, choices=[("", "全部"), ("1", "启用"), ("0", "停用")])

    def __init__(self, *args, manager, **kwargs):
        super().__init__(*args, **kwargs)
        self.regions = {region.code: region for region in filter_regions(manager)}
        self.fields["role"].choices = BLANK + [(role, Role(role).label) for role in MANAGED_ROLES]
        self.fields["region"].choices = BLANK + [
            (code, f"{LEVEL_INDENT.get(region.level, '')}{region.name}") for code, region in self.regions.items()
        ]

    def clean_region(self):
        code = self.cleaned_data["region"]
        return self.regions.get(code) if code else None


class AccountSheetForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label="账号表（.xlsx）", help_text="用本页的模板填写：乡镇代码（或乡镇名称）、用户名、姓名、角色。"
    )


class OwnPasswordChangeForm(PasswordChangeForm):
    """修改密码: Django's form and validators; a password handed out is replaced, not kept."""

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("new_password1")
        if password and "new_password2" not in self.errors and self.user.check_password(password):
            unchanged = forms.ValidationError("新密码不能与原密码相同。", code="password_unchanged")
            self.add_error("new_password2", unchanged)
        return cleaned
