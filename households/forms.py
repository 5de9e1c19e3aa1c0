"""HTML forms of the registry. They parse input only; every rule is in households/services/."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.urls import reverse_lazy
from django.utils.html import format_html, format_html_join

from core.forms import BLANK, BootstrapMixin, model_field
from core.parsing import is_ascii_digits, normalise_digits
from core.regions import RegionLevel
from core.years import INCOME_YEAR_LIMITS, YEAR_LIMITS
from villages.models import Region

from .codes import (
    INCREASE_REASONS,
    AdjustmentKind,
    AidCategory,
    Ethnicity,
    Health,
    HelperLevel,
    HouseholdAttribute,
    HouseholdStatus,
    MemberChangeReason,
    MonitoringCategory,
    PovertyCause,
    Relation,
)
from .fields import HOUSEHOLD_FIELDS, LIVING_CONDITION_FIELDS, MEMBER_FIELDS
from .models import AdjustmentRecord, AidMeasure, Helper, HelperAssignment, Household, IncomeRecord, Member

KEEP_HINT = "留空或保持脱敏值则不修改"
MASKED_ERROR = "请填写完整号码，或保持脱敏值不变。"


CLEAR_PHONE_HELP = "勾选后保存时删除该户的联系电话。"


class MaskedNumberField(forms.CharField):
    """A phone or ID number the page shows masked (138****5678): blank or the mask unchanged
    cleans to None, meaning "keep the stored one"; any other value is a new number."""

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)
        self.masked = None

    def keep(self, masked: str) -> None:
        """Editing: `masked` stands for the stored number."""
        self.masked = masked
        self.help_text = KEEP_HINT

    def clean(self, value):
        value = (value or "").strip()
        if not value or value == self.masked:
            return None
        if "*" in value:
            raise ValidationError(MASKED_ERROR)
        return super().clean(value)


def date_input():
    # ISO, whatever the locale's display format: a type="date" input takes YYYY-MM-DD only.
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def reason_input():
    return forms.Textarea(attrs={"rows": 2})


OTHER_ETHNICITY_CODES = ("97", "98")  # GB 3304's 其他 and 外国血统: the national system's 99 (docs/domain.md §4.7)
ETHNICITY_ERROR = "请输入民族名称（如 东乡族 或 东乡）或代码（如 26），可从列表中选择。"


def parse_ethnicity(text: str) -> str:
    """民族 as typed: a name with or without 族 ("东乡族", "东乡") or a code ("26", "1"); "" for blank."""
    typed = "".join(normalise_digits(text or "").split())
    if not typed:
        return ""
    if is_ascii_digits(typed) and len(typed) <= 2:
        code = typed.zfill(2)
        code = Ethnicity.OTHER.value if code in OTHER_ETHNICITY_CODES else code
        if code in Ethnicity.values:
            return code
    for code, label in Ethnicity.choices:
        if typed in (label, label.removesuffix("族"), f"{code}{label}"):
            return code
    raise ValidationError(ETHNICITY_ERROR, code="invalid_ethnicity")


class EthnicityInput(forms.TextInput):
    """A text box with the 57 values as a list that filters as the clerk types ("东乡" offers 东乡族;
    "26" too): 东乡族 is typed, not looked for 27 places down a select. The box shows the name."""

    def format_value(self, value):
        if value in Ethnicity.values:
            return Ethnicity(value).label
        return super().format_value(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        list_id = f"{context['widget']['attrs'].get('id') or name}-options"
        context["widget"]["attrs"].update({"list": list_id, "autocomplete": "off"})
        context["list_id"] = list_id
        return context

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)
        box = self._render(self.template_name, context, renderer)
        choices = ((label, code, label) for code, label in Ethnicity.choices)
        options = format_html_join("", '<option value="{}" label="{} {}"></option>', choices)
        return format_html('{}<datalist id="{}">{}</datalist>', box, context["list_id"], options)


class EthnicityField(forms.CharField):
    widget = EthnicityInput

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "民族")
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return parse_ethnicity(value)


# 登记为: a household to identify as poor, or a 一般农户 registered for 防返贫监测 (docs/domain.md §12.2).
REGISTER_AS = [
    (HouseholdStatus.CANDIDATE, "拟识别贫困户"),
    (HouseholdStatus.ORDINARY, "一般农户（纳入防返贫监测排查）"),
]
# What a 一般农户 does not carry (services.validation.POVERTY_FIELDS): the form leaves them out for one.
POVERTY_FORM_FIELDS = ("attribute", "main_cause", "other_causes", "identified_year")


class HouseholdForm(BootstrapMixin, forms.Form):
    register_as = forms.ChoiceField(
        label="登记为",
        choices=REGISTER_AS,
        required=False,
        initial=HouseholdStatus.CANDIDATE,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        help_text="一般农户从未建档立卡，不填贫困户属性、致贫原因和识别年度（填了也不保存）；成员和身份证号码规则相同。",
    )
    village = forms.ChoiceField(label="所在村")
    household_no = model_field(Household, "household_no", required=False, help_text="留空则自动编号")
    group_name = model_field(Household, "group_name")
    phone = MaskedNumberField(
        label="联系电话", validators=[RegexValidator(r"^[0-9]{7,20}$", "联系电话只能是数字。")], max_length=20
    )
    # Editing only: a blank box keeps the stored phone (as for the ID numbers), so clearing it is said so.
    clear_phone = forms.BooleanField(label="删除联系电话", required=False, help_text=CLEAR_PHONE_HELP)
    identification_standard = model_field(Household, "identification_standard")
    attribute = model_field(Household, "attribute", choices=HouseholdAttribute.choices)
    # Left blank, the service says which cause is missing.
    main_cause = model_field(Household, "main_cause", required=False)
    other_causes = forms.MultipleChoiceField(
        label="其他致贫原因（最多2项）",
        choices=PovertyCause.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    identified_year = model_field(Household, "identified_year", **YEAR_LIMITS)

    def __init__(self, *args, user, household=None, **kwargs):
        super().__init__(*args, **kwargs)
        villages = Region.objects.visible_to(user).filter(level=RegionLevel.VILLAGE).order_by("code")
        self.fields["village"].choices = [(v.code, f"{v.name}（{v.code}）") for v in villages[:2000]]
        self.editing_ordinary = household is not None and household.status == HouseholdStatus.ORDINARY
        if household is not None:
            del self.fields["register_as"]  # the kind is chosen once, at registration
            self.fields["household_no"].help_text = "留空则保持原户编号"
            self.fields["village"].disabled = True
            self.fields["village"].required = False
            self.fields["phone"].keep(household.phone_masked)
            self.initial["phone"] = household.phone_masked
            if not household.phone:
                del self.fields["clear_phone"]  # nothing to delete
        else:
            del self.fields["clear_phone"]
        if self.editing_ordinary:
            for name in POVERTY_FORM_FIELDS:
                del self.fields[name]

    def focus(self, name: str | None = None) -> None:
        """Put the cursor in field `name` when the page opens (the autofocus attribute: no script), by
        default in the first field the clerk types: the village, or when it is chosen the 村民小组."""
        if name is None:
            chosen = self.fields["village"].disabled or self.initial.get("village")
            name = "group_name" if chosen else "village"
        if name in self.fields:
            self.fields[name].widget.attrs["autofocus"] = True

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("clear_phone") and cleaned.get("phone"):
            self.add_error("clear_phone", "已填写新号码时不能同时删除联系电话。")
        elif cleaned.get("clear_phone"):
            cleaned["phone"] = ""  # services: an empty phone is no phone
        return cleaned

    @property
    def ordinary(self) -> bool:
        """Registering (or editing) a 一般农户."""
        chosen = getattr(self, "cleaned_data", {}).get("register_as")
        return self.editing_ordinary or chosen == HouseholdStatus.ORDINARY

    def service_data(self) -> dict:
        data = {field: self.cleaned_data[field] for field in HOUSEHOLD_FIELDS if field in self.cleaned_data}
        if self.ordinary:  # the fields do not apply; the select of 贫困户属性 always sends a value
            for name in POVERTY_FORM_FIELDS:
                data.pop(name, None)
        # An empty number keeps the model's default rather than writing NULL.
        return {field: value for field, value in data.items() if value is not None or field == "housing_area_m2"}

    @property
    def basic_fields(self):
        return [field for field in self if field.name not in LIVING_CONDITION_FIELDS]

    @property
    def living_condition_fields(self):
        return [field for field in self if field.name in LIVING_CONDITION_FIELDS]


# 生产生活条件, all optional on the form: labels, choices and limits are the model's.
HouseholdForm.base_fields.update(
    {name: model_field(Household, name, required=False) for name in LIVING_CONDITION_FIELDS}
)


class MemberForm(BootstrapMixin, forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = model_field(Member, "name")
    # Required for a new member; on an edit the row shows the masked number, and a blank or the
    # masked number keeps the stored one (the service keeps it for a blank).
    id_number = forms.CharField(label="身份证号码", max_length=22, required=False)
    relation = model_field(Member, "relation")
    # Left blank, a member takes the 户主's (BaseMemberFormSet.clean).
    ethnicity = EthnicityField(required=False)
    education = model_field(Member, "education")
    school_status = model_field(Member, "school_status")
    health = forms.MultipleChoiceField(
        label="健康状况", choices=Health.choices, required=False, widget=forms.CheckboxSelectMultiple, initial=["01"]
    )
    labor_skill = model_field(Member, "labor_skill")
    work_location = model_field(Member, "work_location")
    # Left blank, the service counts 0 months.
    work_months = model_field(Member, "work_months", required=False)

    def __init__(self, *args, masks=None, **kwargs):
        super().__init__(*args, **kwargs)
        # {member id: masked number} of the household being edited.
        self.masks = masks or {}
        if self.masks:
            self.fields["id_number"].help_text = KEEP_HINT
        # Checked by the save's validator as soon as the box is left (views.id_check, htmx; the number
        # goes in a POST body, never a URL); the answer lands in the row's .id-check box.
        self.fields["id_number"].widget.attrs.update(
            {
                "hx-post": reverse_lazy("households:id_check"),
                "hx-trigger": "change",
                "hx-target": "next .id-check",
                "hx-swap": "innerHTML",
                "autocomplete": "off",
                "inputmode": "text",
            }
        )

    def clean(self):
        cleaned = super().clean()
        number = cleaned.get("id_number") or ""
        if "*" in number:
            if number == self.masks.get(cleaned.get("id")):
                cleaned["id_number"] = ""  # unchanged: the service keeps the stored number
            else:
                self.add_error("id_number", MASKED_ERROR)
        elif not cleaned.get("id") and not number:
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
    def clean(self):
        """A member whose 民族 is left blank has the 户主's (a family is mostly of one 民族);
        never over what the clerk typed."""
        super().clean()
        rows = [form for _, form in self.kept_forms() if form.is_valid()]
        head = next((form for form in rows if form.cleaned_data.get("relation") == Relation.HEAD), None)
        inherited = head.cleaned_data.get("ethnicity") if head is not None else ""
        for form in rows:
            if not form.cleaned_data.get("ethnicity"):
                if inherited:
                    form.cleaned_data["ethnicity"] = inherited
                else:
                    form.add_error("ethnicity", "请填写民族。")

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
# Editing: members are removed only by 成员减少 (with its reason) on the household page, so the rows
# carry no 删除 the save would refuse.
EditMemberFormSet = forms.formset_factory(MemberForm, formset=BaseMemberFormSet, extra=0, can_delete=False)


class StatusChangeForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(
        label="调整类别",
        choices=[
            (kind.value, kind.label)
            # Every status change is an application approved step by step (docs/domain.md §5.7, §5.8); the
            # page links to 申请清退 / 申请自然销户, and this direct path is refused without an approved application.
            for kind in (AdjustmentKind.REMOVED, AdjustmentKind.CANCELLED)
        ],
    )
    effective_date = model_field(AdjustmentRecord, "effective_date", required=False, widget=date_input())
    reason = model_field(AdjustmentRecord, "reason", widget=reason_input())


class MemberIncreaseForm(MemberForm):
    # A member who joins is never a second 户主; the clerk must choose the relation.
    relation = forms.ChoiceField(
        label="与户主关系", choices=BLANK + [choice for choice in Relation.choices if choice[0] != Relation.HEAD]
    )
    member_reason = forms.ChoiceField(
        label="增加原因",
        choices=[(value, label) for value, label in MemberChangeReason.choices if value in INCREASE_REASONS],
    )
    reason = model_field(AdjustmentRecord, "reason", widget=reason_input())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ethnicity"].required = True  # no 户主 row on this form to take it from
        for name in ("hx-post", "hx-trigger", "hx-target", "hx-swap"):  # the household page has no check box
            self.fields["id_number"].widget.attrs.pop(name, None)

    def service_data(self) -> dict:
        """services.add_member's arguments: the member, and why they joined."""
        return {
            "member": super().service_data(),
            "member_reason": self.cleaned_data["member_reason"],
            "reason": self.cleaned_data["reason"],
        }


class MemberDecreaseForm(BootstrapMixin, forms.Form):
    member = forms.TypedChoiceField(label="减少的成员", coerce=int)
    member_reason = forms.ChoiceField(
        label="减少原因",
        choices=[(value, label) for value, label in MemberChangeReason.choices if value not in INCREASE_REASONS],
    )
    reason = model_field(AdjustmentRecord, "reason", widget=reason_input())

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
        widget=forms.TextInput(attrs={"placeholder": "户主姓名 / 拼音（mcm 或 machengming）/ 户编号 / 身份证号"}),
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
    """One year's income, item by item, as the model lists them (labels, two decimals, never negative)."""

    year = model_field(IncomeRecord, "year", **INCOME_YEAR_LIMITS)
    wage_income = model_field(IncomeRecord, "wage_income")
    business_income = model_field(IncomeRecord, "business_income")
    asset_dividend_income = model_field(IncomeRecord, "asset_dividend_income", label="资产收益分红")
    other_property_income = model_field(IncomeRecord, "other_property_income")
    family_planning_subsidy = model_field(IncomeRecord, "family_planning_subsidy")
    dibao_benefit = model_field(IncomeRecord, "dibao_benefit")
    tekun_benefit = model_field(IncomeRecord, "tekun_benefit")
    pension = model_field(IncomeRecord, "pension")
    eco_compensation = model_field(IncomeRecord, "eco_compensation")
    other_transfer_income = model_field(IncomeRecord, "other_transfer_income")
    business_expense = model_field(IncomeRecord, "business_expense")

    def service_data(self) -> dict:
        """services.save_income's arguments: the year, and the items of that year."""
        items = dict(self.cleaned_data)
        return {"year": items.pop("year"), "items": items}


class AidMeasureForm(BootstrapMixin, forms.Form):
    # Every measure has a category: the first is offered, not a blank.
    category = model_field(AidMeasure, "category", choices=AidCategory.choices)
    year = model_field(AidMeasure, "year", **YEAR_LIMITS)
    amount = model_field(AidMeasure, "amount")
    description = model_field(AidMeasure, "description")


class HelperAssignForm(BootstrapMixin, forms.Form):
    """结对: a helper of the scope, or a new one (name, unit, level) registered on the way."""

    helper = forms.ChoiceField(label="帮扶责任人", required=False)
    name = model_field(Helper, "name", label="或新增：姓名", required=False)
    unit = model_field(Helper, "unit", required=False)
    level = model_field(Helper, "level", choices=HelperLevel.choices, required=False)
    phone = forms.RegexField(
        label="联系电话", regex=r"^[0-9]{7,20}$", required=False, error_messages={"invalid": "联系电话只能是数字。"}
    )
    start_date = model_field(HelperAssignment, "start_date", widget=date_input())

    def __init__(self, *args, helpers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["helper"].choices = BLANK + [(helper.pk, str(helper)) for helper in helpers]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("helper") and not (cleaned.get("name") and cleaned.get("unit") and cleaned.get("level")):
            raise ValidationError("请选择帮扶责任人，或填写新增帮扶责任人的姓名、工作单位和隶属关系。")
        return cleaned
