from django import forms
from django.utils import timezone

from core.years import FIRST_YEAR, LAST_YEAR
from villages.models import Region

from .exports import reports


class ExportForm(forms.Form):
    report = forms.ChoiceField(label="报表")
    region_code = forms.ChoiceField(label="区划")
    year = forms.IntegerField(label="年度（部分报表需要）", required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR)
    split_by_county = forms.BooleanField(label="按县分工作表（省、市导出）", required=False)
    full = forms.BooleanField(label="含完整证件号码、电话（需权限，留痕）", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["report"].choices = [(code, report.label) for code, report in reports().items()]
        regions = []
        if user.region_id:
            regions.append((user.region_id, f"{user.region.name}（全部）"))
            regions += [
                (region.code, region.name)
                for region in Region.objects.visible_to(user).filter(parent_id=user.region_id).order_by("code")[:500]
            ]
        else:
            regions += [(region.code, region.name) for region in Region.objects.filter(parent__isnull=True)]
        self.fields["region_code"].choices = regions
        self.fields["region_code"].help_text = "村公示名单请在下级区划中选择村，或用接口指定村代码。"
        self.fields["year"].initial = timezone.localdate().year - 1
        if not user.has_perm("households.view_full_id"):
            del self.fields["full"]
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-check-input"
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select form-select-sm"
            else:
                field.widget.attrs["class"] = "form-control form-control-sm"
