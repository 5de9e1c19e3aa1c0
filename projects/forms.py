"""HTML forms of the project library. They parse input only; every rule is in projects/services.py."""

from django import forms

from core.forms import BLANK, BootstrapMixin, model_field
from core.years import YEAR_LIMITS

from .codes import NoticeKind, ProjectCategory, ProjectStatus
from .models import Project


def date_input():
    # An <input type="date"> only shows ISO dates, whatever the locale's input formats.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProjectFilterForm(BootstrapMixin, forms.Form):
    year = forms.TypedChoiceField(label="年度", required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label="状态", required=False, choices=BLANK + ProjectStatus.choices)
    category = forms.ChoiceField(label="项目类别", required=False, choices=BLANK + ProjectCategory.choices)
    county = forms.ChoiceField(label="县", required=False)

    def __init__(self, *args, years, counties, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = BLANK + [(year, f"{year}年") for year in years]
        self.fields["county"].choices = BLANK + [(county.code, county.name) for county in counties]
        if len(counties) <= 1:
            del self.fields["county"]


class ProjectForm(BootstrapMixin, forms.Form):
    """申报 and correction of a project: its content, and where it is carried out."""

    name = model_field(Project, "name")
    category = model_field(Project, "category")
    year = model_field(Project, "year", **YEAR_LIMITS)
    # Text until the service parses it as Decimal, with its own messages.
    budget = forms.CharField(label="预算（元）", max_length=20, help_text="最多两位小数")
    implementing_unit = model_field(Project, "implementing_unit")
    villages = forms.MultipleChoiceField(
        label="实施村",
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="可多选；跨乡镇或全县性的项目由县级申报。",
    )
    county = forms.ChoiceField(label="全县性项目所在县", required=False, help_text="不选实施村时填写。")
    content = model_field(Project, "content", widget=forms.Textarea(attrs={"rows": 3}))
    performance_target = model_field(
        Project,
        "performance_target",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="入库前必须填写：未填写绩效目标的项目不能入库。",
    )
    poverty_link = model_field(Project, "poverty_link", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, villages, counties, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["villages"].choices = [
            (village.code, f"{village.parent.name if village.parent else ''}{village.name}") for village in villages
        ]
        self.fields["county"].choices = BLANK + [(county.code, county.name) for county in counties]
        if not counties:
            del self.fields["county"]

    def service_data(self) -> dict:
        data = self.cleaned_data
        fields = ["name", "category", "year", "budget", "implementing_unit", "content"]
        fields += ["performance_target", "poverty_link"]
        return {name: data[name] for name in fields}

    def missing_performance_target(self) -> bool:
        return not (self["performance_target"].value() or "").strip()


class AdvanceForm(BootstrapMixin, forms.Form):
    comment = forms.CharField(
        label="办理意见", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class BeneficiaryForm(BootstrapMixin, forms.Form):
    household = forms.TypedChoiceField(label="受益户", coerce=int)
    planned_amount = forms.CharField(label="计划受益金额（元）", max_length=20)

    def __init__(self, *args, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].choices = BLANK + [
            (household.pk, f"{household.head_name}（{household.household_no}，{household.village.name}）")
            for household in households
        ]


class ChoiceOfRowsMixin:
    """A hidden id that must name one of the project's own rows (`rows`), not any row in scope."""

    row_field = ""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[self.row_field].choices = [(row.pk, row.pk) for row in rows]


class RemoveBeneficiaryForm(ChoiceOfRowsMixin, forms.Form):
    row_field = "beneficiary"
    beneficiary = forms.TypedChoiceField(coerce=int, widget=forms.HiddenInput, label="受益户")


class NoticeForm(BootstrapMixin, forms.Form):
    """公告公示 of a project: where it is posted, what it says, from and to."""

    kind = forms.ChoiceField(label="类型", choices=NoticeKind.choices)
    region = forms.ChoiceField(label="公示区划")
    title = forms.CharField(label="标题", max_length=200)
    place = forms.CharField(label="公示地点", max_length=200)
    content = forms.CharField(label="公示内容", widget=forms.Textarea(attrs={"rows": 3}))
    start_date = forms.DateField(label="开始日期", widget=date_input())
    end_date = forms.DateField(label="结束日期", required=False, widget=date_input())

    def __init__(self, *args, regions, notice_days: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(region.code, region.name) for region in regions]
        if notice_days:
            self.fields["end_date"].help_text = f"留空则按公示期{notice_days}天自动计算。"


class ObjectionForm(ChoiceOfRowsMixin, BootstrapMixin, forms.Form):
    row_field = "notice"
    notice = forms.TypedChoiceField(coerce=int, widget=forms.HiddenInput, label="公示")
    # Blank content or date reach the service, which says what is missing.
    content = forms.CharField(label="异议内容", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    received_on = forms.DateField(label="收到日期", required=False, widget=date_input())


class ResolveObjectionForm(ChoiceOfRowsMixin, BootstrapMixin, forms.Form):
    row_field = "objection"
    objection = forms.TypedChoiceField(coerce=int, widget=forms.HiddenInput, label="异议")
    outcome = forms.CharField(label="处理结果", required=False, widget=forms.Textarea(attrs={"rows": 2}))
