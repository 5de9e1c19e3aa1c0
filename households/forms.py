"""HTML forms of the registry. They parse input only; every rule is in households/services.py."""

from django import forms
from django.core.exceptions import ValidationError

from core.regions import RegionLevel
from villages.models import Region

from .codes import (
    INCREASE_REASONS,
    AdjustmentKind,
    AidCategory,
    Education,
    Ethnicity,
    Health,
    HelperLevel,
    HouseholdAttribute,
    HouseholdStatus,
    IdentificationStandard,
    LaborSkill,
    MemberChangeReason,
    MonitoringCategory,
    PovertyCause,
    Relation,
    SchoolStatus,
    WorkLocation,
)
from .models import Household
from .services import HOUSEHOLD_FIELDS, LIVING_CONDITION_FIELDS, MEMBER_FIELDS

BLANK = [("", "—")]


class BootstrapMixin:
    """Bootstrap 5 classes on every widget, so templates stay plain; a field with an error is outlined red."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxSelectMultiple, forms.CheckboxInput)):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            elif not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("class", "form-control form-control-sm")

    def add_error(self, field, error):
        """Every error, from field cleaning or from a service, also marks its widget `is-invalid`."""
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def error_summary(self, prefix: str = "") -> list[str]:
        """ "字段：原因" lines for the summary at the top of the page."""
        lines = []
        for name, messages in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            lines += [f"{prefix}{label}：{message}" if label else f"{prefix}{message}" for message in messages]
        return lines


class HouseholdForm(BootstrapMixin, forms.Form):
    village = forms.ChoiceField(label="所在村")
    household_no = forms.CharField(label="户编号", required=False, max_length=30, help_text="留空则自动编号")
    group_name = forms.CharField(label="村民小组", required=False, max_length=50)
    phone = forms.RegexField(
        label="联系电话", required=False, regex=r"^\d{7,20}$", error_messages={"invalid": "联系电话只能是数字。"}
    )
    identification_standard = forms.ChoiceField(label="识别标准", choices=IdentificationStandard.choices)
    attribute = forms.ChoiceField(label="贫困户属性", choices=HouseholdAttribute.choices)
    main_cause = forms.ChoiceField(label="主要致贫原因", choices=BLANK + PovertyCause.choices, required=False)
    other_causes = forms.MultipleChoiceField(
        label="其他致贫原因（最多2项）",
        choices=PovertyCause.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    identified_year = forms.IntegerField(label="识别年度", min_value=2013, max_value=2100)
    monitoring_category = forms.ChoiceField(
        label="监测对象类别", choices=BLANK + MonitoringCategory.choices, required=False
    )

    candidate = forms.BooleanField(
        label="登记为拟识别户",
        required=False,
        help_text="新识别的户先登记为拟识别，提交识别申请，经公示和县审定后成为未脱贫户。",
    )

    def __init__(self, *args, user, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        villages = Region.objects.visible_to(user).filter(level=RegionLevel.VILLAGE).order_by("code")
        self.fields["village"].choices = [(v.code, f"{v.name}（{v.code}）") for v in villages[:2000]]
        if editing:
            self.fields["village"].disabled = True
            self.fields["village"].required = False
            del self.fields["candidate"]

    def service_data(self) -> dict:
        data = {field: self.cleaned_data[field] for field in HOUSEHOLD_FIELDS if field in self.cleaned_data}
        # An empty number keeps the model's default rather than writing NULL.
        return {field: value for field, value in data.items() if value is not None or field == "housing_area_m2"}

    @property
    def basic_fields(self):
        return [field for field in self if field.name not in LIVING_CONDITION_FIELDS]

    @property
    def living_condition_fields(self):
        return [field for field in self if field.name in LIVING_CONDITION_FIELDS]


# 生产生活条件: labels, choices and limits come from the model, the one place they are declared.
HouseholdForm.base_fields.update(forms.fields_for_model(Household, fields=LIVING_CONDITION_FIELDS))
for _name in LIVING_CONDITION_FIELDS:
    _field = HouseholdForm.base_fields[_name]
    _field.required = False
    if isinstance(_field, forms.TypedChoiceField):
        # The model's blank choice reads "---------"; the clerk's forms say "—".
        _field.choices = BLANK + [choice for choice in _field.choices if choice[0] != ""]


class MemberForm(BootstrapMixin, forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label="姓名", max_length=50)
    # Required for a new member; on an edit a blank keeps the stored number (never echoed back in full).
    id_number = forms.CharField(label="身份证号码", max_length=22, required=False)
    relation = forms.ChoiceField(label="与户主关系", choices=BLANK + Relation.choices)
    ethnicity = forms.ChoiceField(label="民族", choices=Ethnicity.choices, initial=Ethnicity.HAN)
    education = forms.ChoiceField(label="文化程度", choices=BLANK + Education.choices, required=False)
    school_status = forms.ChoiceField(label="在校生状况", choices=BLANK + SchoolStatus.choices, required=False)
    health = forms.MultipleChoiceField(
        label="健康状况", choices=Health.choices, required=False, widget=forms.CheckboxSelectMultiple, initial=["01"]
    )
    labor_skill = forms.ChoiceField(label="劳动技能", choices=BLANK + LaborSkill.choices, required=False)
    work_location = forms.ChoiceField(label="务工状况", choices=BLANK + WorkLocation.choices, required=False)
    work_months = forms.IntegerField(label="务工时间（月）", min_value=0, max_value=12, initial=0, required=False)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("id") and not cleaned.get("id_number"):
            self.add_error("id_number", "请填写身份证号码。")
        return cleaned

    def service_data(self) -> dict:
        data = {field: self.cleaned_data[field] for field in MEMBER_FIELDS if field in self.cleaned_data}
        data["work_months"] = data.get("work_months") or 0
        data["id_number"] = self.cleaned_data["id_number"]
        if self.cleaned_data.get("id"):
            data["id"] = self.cleaned_data["id"]
        return data


class BaseMemberFormSet(forms.BaseFormSet):
    def error_summary(self) -> list[str]:
        lines = list(self.non_form_errors())
        for index, form in self.kept_forms():
            lines += form.error_summary(prefix=f"第{index + 1}位成员 · ")
        return lines

    def kept_forms(self) -> list[tuple[int, MemberForm]]:
        """(form index, form) of the rows the clerk did not delete."""
        return [
            (index, form)
            for index, form in enumerate(self.forms)
            if not (self.can_delete and self._should_delete_form(form))
        ]


MemberFormSet = forms.formset_factory(MemberForm, formset=BaseMemberFormSet, extra=0, can_delete=True)


def apply_service_errors(error: ValidationError, form: forms.Form, formset=None, row_of=None) -> None:
    """Put a service's field-keyed errors next to the fields that caused them; the rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages in error.message_dict.items():
        parts = key.split(".")
        if formset is not None and parts[0] == "members" and len(parts) == 3:
            target = formset.forms[row_of[int(parts[1])]]
            field = parts[2] if parts[2] in target.fields else None
            for message in messages:
                target.add_error(field, message)
        elif formset is not None and key == "members":
            formset._non_form_errors = formset.error_class(list(formset.non_form_errors()) + list(messages))
        else:
            for message in messages:
                form.add_error(key if key in form.fields else None, message)


class StatusChangeForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(
        label="调整类别",
        choices=[
            (kind.value, kind.label)
            # 脱贫 and 返贫 are applications (assessment/), approved step by step, not direct adjustments.
            for kind in (AdjustmentKind.REMOVED, AdjustmentKind.CANCELLED)
        ],
    )
    effective_date = forms.DateField(label="生效日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label="情况说明", widget=forms.Textarea(attrs={"rows": 2}))


class MemberIncreaseForm(MemberForm):
    # A member who joins is never a second 户主; the clerk must choose the relation.
    relation = forms.ChoiceField(
        label="与户主关系", choices=BLANK + [choice for choice in Relation.choices if choice[0] != Relation.HEAD]
    )
    member_reason = forms.ChoiceField(
        label="增加原因",
        choices=[(value, label) for value, label in MemberChangeReason.choices if value in INCREASE_REASONS],
    )
    reason = forms.CharField(label="情况说明", widget=forms.Textarea(attrs={"rows": 2}))


class MemberDecreaseForm(BootstrapMixin, forms.Form):
    member = forms.ChoiceField(label="减少的成员")
    member_reason = forms.ChoiceField(
        label="减少原因",
        choices=[(value, label) for value, label in MemberChangeReason.choices if value not in INCREASE_REASONS],
    )
    reason = forms.CharField(label="情况说明", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [
            (member.pk, f"{member.name}（{member.get_relation_display()}）")
            for member in members
            if member.relation != Relation.HEAD
        ]


class HouseholdFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(
        label="搜索",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "户主姓名 / 拼音首字母 / 户编号 / 身份证号"}),
    )
    region = forms.ChoiceField(label="区划", required=False)
    status = forms.ChoiceField(label="状态", choices=BLANK + HouseholdStatus.choices, required=False)
    attribute = forms.ChoiceField(label="属性", choices=BLANK + HouseholdAttribute.choices, required=False)
    main_cause = forms.ChoiceField(label="主要致贫原因", choices=BLANK + PovertyCause.choices, required=False)
    monitoring_category = forms.ChoiceField(
        label="监测类别", choices=BLANK + MonitoringCategory.choices, required=False
    )
    has_warnings = forms.BooleanField(label="仅看有疑点的户", required=False)

    def __init__(self, *args, region_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = BLANK + region_choices


class IncomeForm(BootstrapMixin, forms.Form):
    year = forms.IntegerField(label="年度", min_value=2010, max_value=2100)
    wage_income = forms.DecimalField(label="工资性收入", min_value=0, decimal_places=2, initial=0)
    business_income = forms.DecimalField(label="生产经营性收入", min_value=0, decimal_places=2, initial=0)
    asset_dividend_income = forms.DecimalField(label="资产收益分红", min_value=0, decimal_places=2, initial=0)
    other_property_income = forms.DecimalField(label="其他财产性收入", min_value=0, decimal_places=2, initial=0)
    family_planning_subsidy = forms.DecimalField(label="计划生育金", min_value=0, decimal_places=2, initial=0)
    dibao_benefit = forms.DecimalField(label="低保金", min_value=0, decimal_places=2, initial=0)
    tekun_benefit = forms.DecimalField(label="特困供养金", min_value=0, decimal_places=2, initial=0)
    pension = forms.DecimalField(label="养老保险金", min_value=0, decimal_places=2, initial=0)
    eco_compensation = forms.DecimalField(label="生态补偿金", min_value=0, decimal_places=2, initial=0)
    other_transfer_income = forms.DecimalField(label="其他转移性收入", min_value=0, decimal_places=2, initial=0)
    business_expense = forms.DecimalField(label="生产经营性支出", min_value=0, decimal_places=2, initial=0)


class AidMeasureForm(BootstrapMixin, forms.Form):
    category = forms.ChoiceField(label="措施类别", choices=AidCategory.choices)
    year = forms.IntegerField(label="年度", min_value=2013, max_value=2100)
    amount = forms.DecimalField(label="金额（元）", min_value=0, decimal_places=2, initial=0)
    description = forms.CharField(label="措施内容", max_length=500)


class HelperAssignForm(BootstrapMixin, forms.Form):
    helper = forms.ChoiceField(label="帮扶责任人", required=False)
    name = forms.CharField(label="或新增：姓名", max_length=50, required=False)
    unit = forms.CharField(label="工作单位", max_length=100, required=False)
    level = forms.ChoiceField(label="隶属关系", choices=HelperLevel.choices, required=False)
    phone = forms.RegexField(
        label="联系电话", regex=r"^\d{7,20}$", required=False, error_messages={"invalid": "联系电话只能是数字。"}
    )
    start_date = forms.DateField(label="结对日期", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, helpers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["helper"].choices = BLANK + [(helper.pk, str(helper)) for helper in helpers]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("helper") and not (cleaned.get("name") and cleaned.get("unit") and cleaned.get("level")):
            raise ValidationError("请选择帮扶责任人，或填写新增帮扶责任人的姓名、工作单位和隶属关系。")
        return cleaned
