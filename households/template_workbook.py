"""The blank 采集表 a clerk fills in Excel or WPS, generated from the one column table (resources.py).

Both official sheets with the importable headers; every coded column offers its labels as a
drop-down (docs/domain.md §4.1: Excel speaks labels); ID-like columns are text, so Excel keeps
an 18-digit ID instead of 6.22926E+17; widths fit the values. Then 填表说明 (each column: what
it means, whether it is required, its values, what the import checks) and 我的村 (the clerk's
own villages with their 12-digit codes, which the 所在村代码 column offers).
"""

from django.core.exceptions import FieldDoesNotExist
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.excel import DropDown, Sheet
from core.regions import RegionLevel
from villages.models import Region

from .codes import HouseholdStatus
from .models import Household, Member
from .resources import (
    BOOL,
    CHOICE,
    DATE,
    DECIMAL,
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_SHEET,
    IDENTIFIER_FIELDS,
    INT,
    MEMBER_COLUMNS,
    MEMBER_SHEET,
    MULTI,
    MULTI_SEPARATOR,
    REGISTRATION_FIELDS,
    TEXT,
    Column,
)
from .services.validation import max_other_causes

GUIDE_SHEET = "填表说明"
VILLAGE_SHEET = "我的村"
VILLAGE_HEADERS = ["村代码", "村名", "乡镇", "县"]
GUIDE_HEADERS = ["工作表", "列名", "是否必填", "说明", "可填的值（名称 = 代码）", "导入时的校验", "也能识别的列名"]

TEXT_WIDTHS = {"id_number": 22, "household__household_no": 20, "household_no": 20, "village_id": 16, "phone": 15}
MAX_WIDTH = 30
# 户状态 of a new household (imports/run.py NEW_HOUSEHOLD_ORDINARY): blank or 拟识别, or 一般农户.
NEW_STATUSES = (HouseholdStatus.CANDIDATE, HouseholdStatus.ORDINARY)

REQUIRED, REQUIRED_IF_POOR, OPTIONAL = "必填", "拟识别户必填，一般农户留空", "选填"

# What the model cannot say about a column: its meaning and the registry's rules
# (households/services/validation.py, docs/domain.md §3.2, §3.5, §3.6). Keyed by the column's field.
NOTES: dict[str, tuple[str, str]] = {
    "household_no": (
        REQUIRED,
        "全国系统的户编号，只含数字，全库唯一。已登记的户按户编号更新，不会重复登记；“家庭成员”表以户编号关联到本表。",
    ),
    "village_id": (
        REQUIRED,
        "该户所在村的12位统计用区划代码，可从下拉列表选择（见“我的村”工作表），也可填村名；只能是您管辖范围内的村。",
    ),
    "group_name": (OPTIONAL, "村民小组，如“一组”。"),
    "phone": (OPTIONAL, "户主或家庭的联系电话，11位手机号码；位数不对时列为疑点。"),
    "identification_standard": (OPTIONAL, "识别所依据的扶贫标准，决定适用的贫困线。"),
    "attribute": (REQUIRED_IF_POOR, "贫困户属性，只填一项。"),
    "main_cause": (REQUIRED_IF_POOR, "主要致贫原因，只填一项。"),
    "other_causes": (OPTIONAL, "其他致贫原因，最多{max_other_causes}项，各不相同，且不能与主要致贫原因相同。"),
    "identified_year": (REQUIRED_IF_POOR, "识别年度，四位年份；新登记户以县审定的识别申请年度为准。"),
    "status": (
        OPTIONAL,
        "新登记的户留空（即拟识别）或填“一般农户”；未脱贫、已脱贫等由识别、退出程序产生。已登记户的户状态不因导入改变。",
    ),
    "household__household_no": (REQUIRED, "该成员所在户的户编号，须与“贫困户”表中的一行相同。"),
    "name": (REQUIRED, "姓名，与身份证一致。"),
    "id_number": (
        REQUIRED,
        "18位居民身份证号码（15位旧号码自动升位），末位可为X；校验位须正确，性别和出生日期由号码推出。"
        "同一人在全库只能登记一次；已登记的成员按身份证号码更新。",
    ),
    "relation": (REQUIRED, "与户主关系：每户有且只有一名“户主”，“配偶”最多一人。"),
    "ethnicity": (OPTIONAL, "民族。"),
    "education": (OPTIONAL, "文化程度：非在校生填写。"),
    "school_status": (OPTIONAL, "在校生状况：6至23岁填写；与文化程度通常只填一项。"),
    "health": (OPTIONAL, "健康状况，可多选（如“长期慢性病、残疾”）。"),
    "labor_skill": (OPTIONAL, "劳动技能：16至65岁填写。"),
    "work_location": (OPTIONAL, "务工状况；有务工地点时务工时间应大于0。"),
    "work_months": (OPTIONAL, "上年度务工时间（月）。"),
}


def template_columns() -> list[tuple[str, list[Column]]]:
    """The importable columns of each official sheet, in the template's order."""
    return [
        (HOUSEHOLD_SHEET, [c for c in HOUSEHOLD_COLUMNS if not c.export_only or c.field in REGISTRATION_FIELDS]),
        (MEMBER_SHEET, [c for c in MEMBER_COLUMNS if not c.export_only]),
    ]


def listed_values(column: Column) -> list[str]:
    """The labels a clerk picks from for `column`, as the drop-down offers them."""
    if column.field == "status":
        return [column.choices[status] for status in NEW_STATUSES]
    if column.kind == BOOL:
        return ["是", "否"]
    return list(column.choices.values()) if column.kind in (CHOICE, MULTI) else []


def column_width(column: Column) -> int:
    if column.field in TEXT_WIDTHS:
        return TEXT_WIDTHS[column.field]
    longest = max([len(column.header), *(len(label) for label in listed_values(column))])
    if column.kind == MULTI:
        longest = max(longest, 2 * max(len(label) for label in listed_values(column)) + 1)
    return min(MAX_WIDTH, max(10, longest * 2 + 2))


def column_drop_down(position: int, column: Column, villages: list[str]) -> DropDown | None:
    """The list a clerk picks `column`'s value from (its labels; the village codes given), or None."""
    if column.field == "village_id":
        return DropDown(position, tuple(villages), prompt="选择或填写12位村代码（见“我的村”），也可填村名。")
    values = listed_values(column)
    if not values:
        return None
    if column.kind == MULTI:
        prompt = f"从列表选一项；多项请用“{MULTI_SEPARATOR}”分隔后填写。"
        return DropDown(position, tuple(values), prompt=prompt)
    return DropDown(position, tuple(values), strict=column.kind == BOOL, prompt="请从下拉列表中选择。")


def official_sheets(villages: list[str]) -> list[Sheet]:
    """The two official sheets, empty, with their lists, text columns and widths."""
    sheets = []
    for title, columns in template_columns():
        sheets.append(
            Sheet(
                title,
                [column.header for column in columns],
                iter(()),
                widths={position: column_width(column) for position, column in enumerate(columns, start=1)},
                text_columns=frozenset(
                    position for position, column in enumerate(columns, start=1) if column.field in IDENTIFIER_FIELDS
                ),
                drop_downs=[
                    drop_down
                    for position, column in enumerate(columns, start=1)
                    if (drop_down := column_drop_down(position, column, villages))
                ],
            )
        )
    return sheets


def _model_field(title: str, column: Column):
    model = Household if title == HOUSEHOLD_SHEET else Member
    try:
        return model._meta.get_field(column.field)
    except FieldDoesNotExist:  # a column of a related field (户编号 of a member, 所在村代码): no model rule of its own
        return None


def _length(field, column: Column) -> list:
    """A text column's length limit, as the form and the database enforce it."""
    if column.kind == TEXT and getattr(field, "max_length", None):
        return [MaxLengthValidator(field.max_length)]
    return []


def import_checks(title: str, column: Column) -> str:
    """What the import checks on the column, from its kind and its model field's validators."""
    checks = []
    if column.field in IDENTIFIER_FIELDS:
        checks.append("本列为文本格式（模板已设置）；以数字格式保存的号码会丢失位数，导入时拒绝，请设为文本后重新输入")
    if column.kind == CHOICE:
        checks.append("填名称（从下拉列表选择）或代码，其他值报错")
    elif column.kind == MULTI:
        checks.append(f"填一个或多个名称（或代码），以“{MULTI_SEPARATOR}”分隔，其他值报错")
    elif column.kind == BOOL:
        checks.append("填“是”或“否”")
    elif column.kind == INT:
        checks.append("整数")
    elif column.kind == DECIMAL:
        checks.append("数字，可带小数")
    elif column.kind == DATE:
        checks.append("日期，如 2024-01-31")
    field = _model_field(title, column)
    # The validators declared on the field (not the database's integer range Django adds).
    for validator in [*getattr(field, "_validators", []), *_length(field, column)]:
        if isinstance(validator, MinValueValidator):
            checks.append(f"不小于 {validator.limit_value}")
        elif isinstance(validator, MaxValueValidator):
            checks.append(f"不大于 {validator.limit_value}")
        elif isinstance(validator, MaxLengthValidator):
            checks.append(f"不超过 {validator.limit_value} 个字")
    return "；".join(checks) + "。" if checks else ""


def guide_rows() -> list[list[str]]:
    """One row per importable column: sheet, header, required, meaning, values, checks."""
    limits = {"max_other_causes": max_other_causes(timezone.localdate().year)}
    rows = []
    for title, columns in template_columns():
        for column in columns:
            required, meaning = NOTES.get(column.field, (OPTIONAL, ""))
            if column.field == "status":
                values = "、".join(listed_values(column))
            elif column.kind in (CHOICE, MULTI):
                values = "；".join(f"{label} = {code}" for code, label in column.choices.items())
            else:
                values = "、".join(listed_values(column))
            meaning = meaning.format(**limits)
            checks = import_checks(title, column)
            rows.append([title, column.header, required, meaning, values, checks, "、".join(column.aliases)])
    return rows


GENERAL_NOTES = [
    [
        "全部",
        "（总则）",
        "",
        "“贫困户”表每户一行，“家庭成员”表每人一行，两表以户编号关联。请勿修改表头；列的顺序可以调整。",
        "",
        "任何一行有错则整个文件都不写入。下载的错误报告是上传的文件本身，出错的单元格标红、“原因”列写明"
        "哪一列、哪个人；改正后整表重新上传即可，已登记的户不会重复。",
        "全国系统导出的表头（如“身份证号码”）、带单位或英文括号的表头也能识别；不认识的列不导入，预览中列出。",
    ],
]


def guide_sheet() -> Sheet:
    return Sheet(
        GUIDE_SHEET,
        GUIDE_HEADERS,
        iter(GENERAL_NOTES + guide_rows()),
        widths={1: 10, 2: 16, 3: 14, 4: 50, 5: 50, 6: 50, 7: 30},
        wrap=True,
    )


def my_villages(user) -> list[tuple[str, str, str, str]]:
    """The villages in the user's scope: code, name, township, county."""
    return list(
        Region.objects.visible_to(user)
        .filter(level=RegionLevel.VILLAGE)
        .order_by("code")
        .values_list("code", "name", Coalesce("parent__name", Value("")), Coalesce("parent__parent__name", Value("")))
    )


def blank_template(user) -> list[Sheet]:
    """The blank 采集表 for `user`: the two official sheets, 填表说明 and 我的村 (their villages only)."""
    villages = my_villages(user)
    return [
        *official_sheets([code for code, *_ in villages]),
        guide_sheet(),
        Sheet(
            VILLAGE_SHEET,
            VILLAGE_HEADERS,
            iter([list(village) for village in villages]),
            widths={1: 16, 2: 20, 3: 16, 4: 16},
            text_columns=frozenset({1}),
        ),
    ]
