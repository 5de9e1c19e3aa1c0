"""The official 采集表 columns, once: export, the blank template and the import all read them.

Headers follow docs/domain.md §3.2 (户) and §3.5 (成员); a column of a model field takes the
field's label, kind and choices from the model (model_column). Coded values are written as
their Chinese labels (the form as clerks know it); import accepts the label or the code.
"""

from dataclasses import dataclass

from django.contrib.postgres.fields import ArrayField
from django.db import models

from .fields import LIVING_CONDITION_FIELDS
from .models import Household, Member

TEXT, INT, DECIMAL, CHOICE, MULTI, BOOL, DATE = "text", "int", "decimal", "choice", "multi", "bool", "date"
MULTI_SEPARATOR = "、"


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    kind: str = TEXT
    choices: dict | None = None  # code → Chinese label
    # Derived by the system (status, gender, birth date): exported, never imported.
    export_only: bool = False
    # Personal data: masked unless the user may unmask; never on a 公示 roster.
    personal: bool = False
    # Left off the 公示 roster (health, phone, ID, bank).
    not_public: bool = False

    @property
    def aliases(self) -> tuple[str, ...]:
        """Other headers the import maps to this column (HEADER_ALIASES)."""
        return HEADER_ALIASES.get(self.header, ())

    def label(self, value) -> str | int | None:
        """The value as the sheet shows it."""
        if value in (None, ""):
            return "" if self.kind in (TEXT, CHOICE, MULTI) else None
        if self.kind == CHOICE:
            return self.choices.get(value, value)
        if self.kind == MULTI:
            return MULTI_SEPARATOR.join(self.choices.get(item, item) for item in value)
        if self.kind == BOOL:
            return "是" if value else "否"
        return value


def model_column(model, name: str, header: str = "", **options) -> Column:
    """The column of `model`'s field `name`: its header the field's label, its kind and choices the field's."""
    model_field = model._meta.get_field(name)
    choices = model_field.base_field.choices if isinstance(model_field, ArrayField) else model_field.choices
    if isinstance(model_field, models.BooleanField):
        kind = BOOL
    elif isinstance(model_field, models.DecimalField):
        kind = DECIMAL
    elif isinstance(model_field, models.DateField):
        kind = DATE
    elif isinstance(model_field, ArrayField) and choices:
        kind = MULTI
    elif choices:
        kind = CHOICE
    elif isinstance(model_field, models.IntegerField):
        kind = INT
    else:
        kind = TEXT
    labels = {value: str(label) for value, label in choices} if kind in (CHOICE, MULTI) else None
    return Column(header or str(model_field.verbose_name), name, kind, labels, **options)


HOUSEHOLD_COLUMNS = [
    model_column(Household, "household_no"),
    Column("所在村代码", "village_id"),
    Column("所在村", "village__name", export_only=True),
    model_column(Household, "group_name"),
    model_column(Household, "head_name", export_only=True),
    model_column(Household, "phone", personal=True, not_public=True),
    model_column(Household, "identification_standard"),
    model_column(Household, "attribute"),
    model_column(Household, "main_cause"),
    model_column(Household, "other_causes"),
    model_column(Household, "identified_year"),
    model_column(Household, "exit_year", export_only=True),
    model_column(Household, "status", "户状态", export_only=True),
    model_column(Household, "monitoring_category", export_only=True),  # set by monitoring, never imported
    model_column(Household, "member_count", export_only=True),
    *(model_column(Household, name) for name in LIVING_CONDITION_FIELDS),
]

MEMBER_COLUMNS = [
    Column("户编号", "household__household_no"),
    model_column(Member, "name"),
    model_column(Member, "id_number", personal=True, not_public=True),
    model_column(Member, "relation"),
    model_column(Member, "gender", export_only=True),
    model_column(Member, "birth_date", export_only=True),
    model_column(Member, "ethnicity"),
    model_column(Member, "education"),
    model_column(Member, "school_status"),
    model_column(Member, "health", not_public=True),
    model_column(Member, "labor_skill"),
    model_column(Member, "work_location"),
    model_column(Member, "work_months"),
]

# Headers other files use for the same column: the national system's exports (全国扶贫开发信息系统,
# 防返贫监测信息系统), older 采集表 versions (docs/domain.md §3.1) and what clerks type. Keyed by
# the column's header; the import compares headers after imports/headers.py header_key (full-width
# and ASCII brackets alike, spaces and line breaks removed, a trailing unit such as （亩） or (㎡)
# optional), so only different words are listed here.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "户编号": ("户编码", "户码", "家庭编号", "户号"),
    "所在村代码": ("村代码", "行政村代码", "所在村编码", "村编码", "行政区划代码", "村区划代码", "所在村（代码）"),
    "所在村": ("村", "行政村", "所在行政村", "村名称", "村名", "所在村名称"),
    "村民小组": ("组", "村民组", "所在组", "村组"),
    "户主姓名": ("户主",),
    "联系电话": ("电话", "电话号码", "联系方式", "手机号", "手机号码", "户主联系电话", "联系电话号码"),
    "识别标准": ("识别标准类型",),
    "贫困户属性": ("户属性", "贫困户类型", "贫困户属性类型"),
    "主要致贫原因": ("致贫原因", "主要致贫原因类型"),
    "识别年度": ("识别年份", "纳入年度", "贫困户识别年度"),
    "脱贫年度": ("脱贫年份", "计划脱贫年度"),
    "家庭人口数": ("家庭人口", "家庭人数", "人口数", "户人口数", "家庭成员数"),
    "耕地面积（亩）": ("耕地", "耕地面积"),
    "其中有效灌溉面积（亩）": ("有效灌溉面积", "其中有效灌溉", "有效灌溉"),
    "林地面积（亩）": ("林地",),
    "退耕还林面积（亩）": ("退耕还林",),
    "林果面积（亩）": ("林果",),
    "牧草地面积（亩）": ("牧草地",),
    "水面面积（亩）": ("水面",),
    "是否通生产用电": ("通生产用电",),
    "是否通生活用电": ("通生活用电",),
    "是否通广播电视": ("通广播电视",),
    "饮水是否困难": ("饮水困难", "是否饮水困难"),
    "饮水是否安全": ("饮水安全", "是否饮水安全", "是否解决安全饮用水"),
    "与村主干路距离（公里）": ("与村主干路距离", "距村主干路距离", "距离村主干路"),
    "入户路类型": ("入户路",),
    "住房面积（㎡）": ("住房面积", "人均住房面积"),
    "危房级别": ("危房等级",),
    "主要燃料类型": ("燃料类型", "主要燃料"),
    "有无卫生厕所": ("卫生厕所", "是否有卫生厕所"),
    "是否加入农民专业合作社": ("加入农民专业合作社", "是否加入合作社"),
    "是否纳入易地扶贫搬迁": ("纳入易地扶贫搬迁", "易地扶贫搬迁", "是否易地扶贫搬迁"),
    "姓名": ("成员姓名", "人员姓名"),
    "证件号码": ("身份证号码", "身份证号", "公民身份号码", "居民身份证号码", "证件号", "身份证件号码", "残疾人证号码"),
    "与户主关系": ("与户主的关系", "家庭关系", "与户主关系（代码）"),
    "出生日期": ("出生年月日",),
    "文化程度": ("学历",),
    "在校生状况": ("在校生情况", "在校情况"),
    "健康状况": ("健康情况",),
    "劳动技能": ("劳动能力",),
    "务工状况": ("务工情况", "务工地点"),
    "务工时间（月）": ("务工时间", "务工月数", "务工时长"),
}

# Exported-only columns the import reads to check, never to store: 所在村 (a village given by
# name), 出生日期 and 性别 (against the ID number), 家庭人口数 (against the member rows).
CHECKED_FIELDS = ("village__name", "birth_date", "gender", "member_count")

# Exported columns the 采集表 import also reads: 户状态 marks a new household 一般农户 (blank: 拟识别).
REGISTRATION_FIELDS = ("status",)

# Columns whose digits are an identifier, not a quantity: text-formatted in the template (so Excel
# keeps all 18 digits), and a number cell is imported only when exact (imports/sheets.py).
IDENTIFIER_FIELDS = ("id_number", "phone", "household_no", "household__household_no", "village_id")

HOUSEHOLD_SHEET = "贫困户"
MEMBER_SHEET = "家庭成员"
