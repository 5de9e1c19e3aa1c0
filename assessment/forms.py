from django import forms

from .checks import GUARANTEES
from .codes import ApplicationKind


class HouseholdApplicationForm(forms.Form):
    """识别 / 户退出 / 返贫 for one household: the year and the village survey's answers."""

    year = forms.IntegerField(label="年度", min_value=2013)
    reason = forms.CharField(label="民主评议情况", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    consent = forms.BooleanField(label="农户已签字认可退出", required=False)

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        for key, label in GUARANTEES:
            self.fields[key] = forms.BooleanField(label=f"{label}（已解决）", required=False, initial=True)
        if kind != ApplicationKind.HOUSEHOLD_EXIT:
            del self.fields["consent"]

    def figures(self) -> dict:
        keys = [key for key, _ in GUARANTEES] + (["consent"] if "consent" in self.fields else [])
        return {key: bool(self.cleaned_data.get(key)) for key in keys}


class RegionApplicationForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2013)
    reason = forms.CharField(label="申请说明", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class DecisionForm(forms.Form):
    comment = forms.CharField(label="审核意见", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    override_reason = forms.CharField(
        label="核查未通过仍同意的理由", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class ObjectionForm(forms.Form):
    content = forms.CharField(label="异议内容", widget=forms.Textarea(attrs={"rows": 2}))


class ResolveObjectionForm(forms.Form):
    outcome = forms.CharField(label="处理结果", widget=forms.Textarea(attrs={"rows": 2}))
    upheld = forms.TypedChoiceField(
        label="结论", choices=[("0", "异议不成立"), ("1", "异议成立")], coerce=lambda value: value == "1"
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(label="重新开放理由", widget=forms.Textarea(attrs={"rows": 2}))
