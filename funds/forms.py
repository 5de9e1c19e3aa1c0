"""Ledger forms: parse what the county office types; the amounts stay text until the service
parses them as Decimal (one place for the money rules and their Chinese messages)."""

from django import forms

from core.years import YEAR_LIMITS

from .codes import FundLevel

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _style(form: forms.Form) -> None:
    """Bootstrap classes, and messages that name the field (请填写文号。) rather than Django's generic ones."""
    for field in form.fields.values():
        if isinstance(field.widget, forms.Select):
            field.widget.attrs["class"] = "form-select form-select-sm"
            field.error_messages["required"] = f"请选择{field.label}。"
            field.error_messages["invalid_choice"] = f"请从列表中选择{field.label}。"
        else:
            field.widget.attrs["class"] = "form-control form-control-sm"
            field.error_messages["required"] = f"请填写{field.label}。"
        if isinstance(field, forms.DateField):
            field.error_messages["invalid"] = "请输入日期（年-月-日）。"


class FundSourceForm(forms.Form):
    level = forms.ChoiceField(label="资金级次", choices=[("", "请选择"), *FundLevel.choices])
    year = forms.IntegerField(label="年度", **YEAR_LIMITS)
    document_no = forms.CharField(label="文号", max_length=100)
    purpose = forms.CharField(label="资金用途", max_length=300)
    amount = forms.CharField(label="金额（元）", max_length=30)
    received_on = forms.DateField(label="到位日期", widget=DATE_INPUT)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "source")
        super().__init__(*args, **kwargs)
        _style(self)


class AllocationForm(forms.Form):
    source = forms.TypedChoiceField(label="资金来源", coerce=int)
    project = forms.TypedChoiceField(label="项目", coerce=int, required=False, empty_value=None)
    aid_measure = forms.TypedChoiceField(label="到户帮扶措施", coerce=int, required=False, empty_value=None)
    amount = forms.CharField(label="金额（元）", max_length=30)
    allocated_on = forms.DateField(label="下达日期", widget=DATE_INPUT)
    note = forms.CharField(label="说明", max_length=300, required=False)

    def __init__(self, *args, sources, projects, measures, **kwargs):
        kwargs.setdefault("prefix", "allocation")
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", "请选择")] + [
            (source.pk, f"{source.document_no}（{source.get_level_display()}，可分配 {source.remaining:,.2f} 元）")
            for source in sources
        ]
        self.fields["project"].choices = [("", "—（分配到户时不选）")] + [
            (project.pk, f"{project.name}（{project.year}年，{project.get_status_display()}）") for project in projects
        ]
        self.fields["aid_measure"].choices = [("", "—（分配到项目时不选）")] + [
            (
                measure.pk,
                f"{measure.household.village.name} {measure.household.head_name}户："
                f"{measure.get_category_display()}，{measure.description}",
            )
            for measure in measures
        ]
        _style(self)


class DisbursementForm(forms.Form):
    allocation = forms.TypedChoiceField(label="资金分配", coerce=int)
    amount = forms.CharField(label="金额（元）", max_length=30)
    paid_on = forms.DateField(label="报账日期", widget=DATE_INPUT)
    voucher_no = forms.CharField(label="凭证号", max_length=100)
    note = forms.CharField(label="说明", max_length=300, required=False)

    def __init__(self, *args, allocations, **kwargs):
        kwargs.setdefault("prefix", "disbursement")
        super().__init__(*args, **kwargs)
        self.fields["allocation"].choices = [("", "请选择")] + [
            (
                allocation.pk,
                f"{allocation.source.document_no} → {allocation.target_label}（尚可报账 {allocation.remaining:,.2f}）",
            )
            for allocation in allocations
        ]
        _style(self)


class ReversalForm(forms.Form):
    reason = forms.CharField(label="冲销原因", max_length=250)
