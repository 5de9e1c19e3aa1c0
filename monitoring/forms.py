"""HTML forms of a monitoring record's page. They parse input only; every rule is in the services."""

from datetime import datetime

from django import forms

from core.forms import BootstrapMixin, model_field

from .codes import AssistanceCategory, RiskType
from .measures import risk_choices_of
from .models import AssistanceMeasure, MonitoringObject


def date_input():
    # ISO, whatever the locale's display format: a type="date" input takes YYYY-MM-DD only.
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class MeasureForm(BootstrapMixin, forms.Form):
    """登记帮扶措施: the category, the risk of the record it answers, what it is, from when."""

    category = model_field(AssistanceMeasure, "category", choices=AssistanceCategory.choices)
    risk_type = forms.ChoiceField(label="针对的风险")
    description = model_field(AssistanceMeasure, "description")
    amount = model_field(AssistanceMeasure, "amount", required=False, help_text="无资金的措施填0或留空")
    started_on = model_field(AssistanceMeasure, "started_on", widget=date_input())
    ended_on = model_field(AssistanceMeasure, "ended_on", widget=date_input(), help_text="已结束的措施才填写")

    def __init__(self, *args, record: MonitoringObject, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["risk_type"].choices = risk_choices_of(record)

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["amount"] = data.get("amount") or 0
        return data


class EndMeasureForm(BootstrapMixin, forms.Form):
    """措施结束: which measure of the record, when, and why (optional)."""

    measure = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    ended_on = forms.DateField(label="结束日期", widget=date_input())
    reason = forms.CharField(label="说明", required=False, max_length=200)

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        return {"measure_id": data["measure"], "ended_on": data["ended_on"], "reason": data["reason"]}


class FindingsForm(BootstrapMixin, forms.Form):
    """修改风险和核实情况 of an open record; `updated_at` is the version the page was loaded with."""

    updated_at = forms.CharField(widget=forms.HiddenInput, required=False)
    risk_types = forms.MultipleChoiceField(
        label="风险类型（1至5项）", choices=RiskType.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    housing_unsafe = model_field(MonitoringObject, "housing_unsafe")
    child_out_of_school = model_field(MonitoringObject, "child_out_of_school")
    without_medical_insurance = model_field(MonitoringObject, "without_medical_insurance")
    water_unsafe = model_field(MonitoringObject, "water_unsafe")
    no_labour_capacity = model_field(MonitoringObject, "no_labour_capacity")
    note = model_field(MonitoringObject, "note", widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(label="修改原因", required=False, max_length=200, help_text="记入修改历史")

    FLAGS = ("housing_unsafe", "child_out_of_school", "without_medical_insurance", "water_unsafe", "no_labour_capacity")

    @classmethod
    def of(cls, record: MonitoringObject, data=None):
        initial = {
            "updated_at": record.updated_at.isoformat(),
            "risk_types": list(record.risk_types),
            "note": record.note,
            **{flag: getattr(record, flag) for flag in cls.FLAGS},
        }
        return cls(data, prefix="findings", initial=initial)

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        try:
            # Anything but the timestamp the page was given counts as stale (the service refuses it).
            data["expected_updated_at"] = datetime.fromisoformat(data.pop("updated_at"))
        except (TypeError, ValueError):
            data["expected_updated_at"] = None
        return data
