from django import forms
from django.utils import timezone

from core.forms import BootstrapMixin, model_field
from core.years import FIRST_YEAR
from monitoring.codes import MAX_RISK_TYPES, EliminationMode, RiskType
from monitoring.models import MonitoringObject

from .checks import GUARANTEES
from .codes import SURVEY_KINDS, ApplicationKind, ObjectionConsequence
from .elimination import FINDINGS, MAX_MONTHS, whole_months

# What the submitter writes, by kind: 清退 and 销户 must say why (assessment/services.py REASON_REQUIRED).
REASON_LABELS = {
    ApplicationKind.REMOVAL: "清退理由（民主评议认定的错评情形）",
    ApplicationKind.CLOSURE: "销户原因及证明材料（死亡证明、户籍注销等）",
}


CHECKBOX = forms.CheckboxInput(attrs={"class": "form-check-input"})


class SurveyFieldsMixin:
    """The village survey's 两不愁三保障 answers (and an exit's consent) for the kinds that have them."""

    def add_survey_fields(self, kind: str, initial: dict | None = None) -> None:
        self.kind = kind
        self.survey = kind in SURVEY_KINDS
        self.fields["reason"].label = REASON_LABELS.get(kind, self.fields["reason"].label)
        if not self.survey:
            return
        initial = initial or {}
        for key, label in GUARANTEES:
            self.fields[key] = forms.BooleanField(
                label=f"{label}（已解决）", required=False, initial=initial.get(key, True), widget=CHECKBOX
            )
        if kind == ApplicationKind.HOUSEHOLD_EXIT:
            self.fields["consent"] = forms.BooleanField(
                label="农户已签字认可退出", required=False, initial=initial.get("consent", False), widget=CHECKBOX
            )

    def figures(self) -> dict | None:
        if not self.survey:
            return None
        keys = [key for key, _ in GUARANTEES] + (["consent"] if "consent" in self.fields else [])
        return {key: bool(self.cleaned_data.get(key)) for key in keys}


class HouseholdApplicationForm(SurveyFieldsMixin, forms.Form):
    """识别 / 户退出 / 返贫 / 清退 / 自然销户 for one household: the year, the survey's answers or the reason."""

    year = forms.IntegerField(label="年度", min_value=FIRST_YEAR)
    reason = forms.CharField(label="民主评议情况", widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_survey_fields(kind)


class RegionApplicationForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=FIRST_YEAR)
    reason = forms.CharField(label="申请说明", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ResubmitForm(SurveyFieldsMixin, forms.Form):
    """修改后重新提交: the corrected answers and explanation, prefilled with what was submitted."""

    reason = forms.CharField(label="修改说明", widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].initial = application.reason
        self.add_survey_fields(application.kind, application.figures)

    def service_data(self) -> dict:
        return {"figures": self.figures(), "reason": self.cleaned_data["reason"]}


class DecisionForm(forms.Form):
    comment = forms.CharField(label="审核意见", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    # Irreversible moves (不予通过, the approval that changes a household's status) need it ticked.
    confirm = forms.BooleanField(label="我已核实，确认办理（办结后不可撤回）", required=False)


class WithdrawForm(forms.Form):
    # A blank reason is the engine's to refuse (require_reason): one message on the page and the API.
    reason = forms.CharField(label="撤回理由", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    confirm = forms.BooleanField(label="我已核实，确认撤回（撤回后申请即办结，不可恢复）", required=False)


class ObjectionForm(forms.Form):
    content = forms.CharField(label="异议内容", widget=forms.Textarea(attrs={"rows": 2}))


class ResolveObjectionForm(forms.Form):
    # Which 异议: the page posts it with each open one; an unknown id is the service's to refuse.
    objection = forms.IntegerField(label="异议", required=False, widget=forms.HiddenInput)
    outcome = forms.CharField(label="处理结果", widget=forms.Textarea(attrs={"rows": 2}))
    upheld = forms.TypedChoiceField(
        label="结论", choices=[("0", "异议不成立"), ("1", "异议成立")], coerce=lambda value: value == "1"
    )
    consequence = forms.ChoiceField(
        label="异议成立时", choices=[("", "—"), *ObjectionConsequence.choices], required=False
    )
    confirm = forms.BooleanField(label="确认（终止申请不可撤回）", required=False)


class ReopenForm(forms.Form):
    reason = forms.CharField(label="重新开放理由", widget=forms.Textarea(attrs={"rows": 2}))


class SampleSurveyForm(forms.Form):
    """抽样调查 (三率一度) of a county for a quarter, as assessors enter it."""

    year = forms.IntegerField(label="年度", min_value=FIRST_YEAR)
    quarter = forms.TypedChoiceField(label="季度", choices=[(q, f"第{q}季度") for q in range(1, 5)], coerce=int)
    sampled_exited_population = forms.IntegerField(label="抽样脱贫人口数", min_value=0)
    wrong_exit_population = forms.IntegerField(label="其中错退人口数", min_value=0)
    sampled_unregistered_population = forms.IntegerField(label="抽查村未建档立卡农村人口数", min_value=0)
    omitted_population = forms.IntegerField(label="其中漏评人口数", min_value=0)
    surveyed_households = forms.IntegerField(label="群众认可度调查户数", min_value=0)
    approving_households = forms.IntegerField(label="其中认可户数", min_value=0)
    data_fraud = forms.BooleanField(label="发现数据造假", required=False)


class ReductionPlanForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=FIRST_YEAR)
    planned_exit_population = forms.IntegerField(label="计划脱贫人口数", min_value=1)


# --- 防止返贫动态监测 (docs/domain.md §12.12) ------------------------------------------------------


def _date_input():
    # ISO, the only value an <input type="date"> shows (the locale's format would leave it empty).
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _yes_no(label: str) -> forms.TypedChoiceField:
    """A finding answered 是/否 explicitly (a checkbox cannot tell "no" from "not asked")."""
    return forms.TypedChoiceField(
        label=label,
        choices=[("", "—"), ("1", "是"), ("0", "否")],
        coerce=lambda value: value == "1",
        empty_value=None,
    )


class MonitoringIdentificationForm(BootstrapMixin, forms.Form):
    """发起监测识别: what the clerk's 入户核实 found (monitoring.services.start_identification's arguments)."""

    category = model_field(MonitoringObject, "category")
    risk_types = forms.MultipleChoiceField(
        label=f"风险类型（1至{MAX_RISK_TYPES}项）", choices=RiskType.choices, widget=forms.CheckboxSelectMultiple
    )
    discovered_on = model_field(MonitoringObject, "discovered_on", widget=_date_input())
    consent_signed_on = model_field(
        MonitoringObject,
        "consent_signed_on",
        required=True,
        widget=_date_input(),
        help_text="农户授权核查存款、车辆、房产等",
    )
    income_12_months = model_field(MonitoringObject, "income_12_months", label="近12个月家庭纯收入（元）")
    compliant_costs = model_field(
        MonitoringObject, "compliant_costs", label="合规自付支出（元）", required=False, help_text="没有的填0或留空"
    )
    housing_unsafe = model_field(MonitoringObject, "housing_unsafe")
    child_out_of_school = model_field(MonitoringObject, "child_out_of_school")
    without_medical_insurance = model_field(MonitoringObject, "without_medical_insurance")
    water_unsafe = model_field(MonitoringObject, "water_unsafe")
    no_labour_capacity = model_field(MonitoringObject, "no_labour_capacity")
    note = model_field(
        MonitoringObject,
        "note",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="突发严重困难户须写明刚性支出较大或收入大幅缩减的情况",
    )

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["compliant_costs"] = data["compliant_costs"] or 0
        return data


class RiskEliminationForm(BootstrapMixin, forms.Form):
    """申请风险消除: the clerk's new visit of a 监测中 record (assessment/elimination.py)."""

    visited_on = forms.DateField(label="入户核实日期", widget=_date_input())
    income_12_months = model_field(MonitoringObject, "income_12_months", label="近12个月家庭纯收入（元）")
    compliant_costs = model_field(
        MonitoringObject, "compliant_costs", label="合规自付支出（元）", required=False, help_text="没有的填0或留空"
    )
    months_above_range = forms.IntegerField(
        label="收入已连续高于监测范围的月数", min_value=0, max_value=MAX_MONTHS, help_text="原则上须半年以上"
    )
    rigid_costs_solved = _yes_no(FINDINGS["rigid_costs_solved"])
    housing_safe = _yes_no(FINDINGS["housing_safe"])
    education_secured = _yes_no(FINDINGS["education_secured"])
    medical_insured = _yes_no(FINDINGS["medical_insured"])
    water_safe = _yes_no(FINDINGS["water_safe"])
    new_risk = _yes_no(FINDINGS["new_risk"])
    no_labour_capacity = _yes_no(FINDINGS["no_labour_capacity"])
    mode = forms.ChoiceField(label="风险消除方式", choices=[("", "—"), *EliminationMode.choices])
    reason = forms.CharField(label="情况说明", widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, record: MonitoringObject, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("no_labour_capacity", "1" if record.no_labour_capacity else "0")
        # What the service refuses (assessment/elimination.py), said before the clerk types.
        if record.identified_on:
            since = f"{record.identified_on:%Y-%m-%d}"
            self.fields["visited_on"].help_text = f"须在本年度内，且不早于纳入监测之日（{since}）"
        most = whole_months(record.discovered_on, timezone.localdate())
        self.fields[
            "months_above_range"
        ].help_text = f"原则上须半年以上；自发现风险之日（{record.discovered_on:%Y-%m-%d}）起最多{most}个月"

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        reason = data.pop("reason")
        data["visited_on"] = data["visited_on"].isoformat()
        for name in ("income_12_months", "compliant_costs"):
            data[name] = str(data[name] if data[name] is not None else 0)
        return {"figures": data, "reason": reason}
