"""The official 采集表 columns, once: export, the blank template and the import all read them.

Headers follow domain-reference §1.2 (户) and §1.3 (成员). Coded values are written as
their Chinese labels (the form as clerks know it); import accepts the label or the code.
"""

from dataclasses import dataclass

from django.db import models

from .codes import (
    Education,
    Ethnicity,
    Gender,
    Health,
    HouseholdAttribute,
    HouseholdStatus,
    IdentificationStandard,
    LaborSkill,
    MonitoringCategory,
    PovertyCause,
    Relation,
    SchoolStatus,
    WorkLocation,
)
from .models import Household
from .services import LIVING_CONDITION_FIELDS

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


def _living_condition_columns() -> list[Column]:
    columns = []
    for name in LIVING_CONDITION_FIELDS:
        model_field = Household._meta.get_field(name)
        if isinstance(model_field, models.BooleanField):
            kind = BOOL
        elif isinstance(model_field, models.DecimalField):
            kind = DECIMAL
        elif model_field.choices:
            kind = CHOICE
        else:
            kind = TEXT
        choices = {value: str(label) for value, label in model_field.choices} if kind == CHOICE else None
        columns.append(Column(str(model_field.verbose_name), name, kind, choices))
    return columns


HOUSEHOLD_COLUMNS = [
    Column("户编号", "household_no"),
    Column("所在村代码", "village_id"),
    Column("所在村", "village__name", export_only=True),
    Column("村民小组", "group_name"),
    Column("户主姓名", "head_name", export_only=True),
    Column("联系电话", "phone", personal=True, not_public=True),
    Column("识别标准", "identification_standard", CHOICE, dict(IdentificationStandard.choices)),
    Column("贫困户属性", "attribute", CHOICE, dict(HouseholdAttribute.choices)),
    Column("主要致贫原因", "main_cause", CHOICE, dict(PovertyCause.choices)),
    Column("其他致贫原因", "other_causes", MULTI, dict(PovertyCause.choices)),
    Column("识别年度", "identified_year", INT),
    Column("脱贫年度", "exit_year", INT, export_only=True),
    Column("户状态", "status", CHOICE, dict(HouseholdStatus.choices), export_only=True),
    Column("监测对象类别", "monitoring_category", CHOICE, dict(MonitoringCategory.choices)),
    Column("家庭人口数", "member_count", INT, export_only=True),
    *_living_condition_columns(),
]

MEMBER_COLUMNS = [
    Column("户编号", "household__household_no"),
    Column("姓名", "name"),
    Column("证件号码", "id_number", personal=True, not_public=True),
    Column("与户主关系", "relation", CHOICE, dict(Relation.choices)),
    Column("性别", "gender", CHOICE, dict(Gender.choices), export_only=True),
    Column("出生日期", "birth_date", DATE, export_only=True),
    Column("民族", "ethnicity", CHOICE, dict(Ethnicity.choices)),
    Column("文化程度", "education", CHOICE, dict(Education.choices)),
    Column("在校生状况", "school_status", CHOICE, dict(SchoolStatus.choices)),
    Column("健康状况", "health", MULTI, dict(Health.choices), not_public=True),
    Column("劳动技能", "labor_skill", CHOICE, dict(LaborSkill.choices)),
    Column("务工状况", "work_location", CHOICE, dict(WorkLocation.choices)),
    Column("务工时间（月）", "work_months", INT),
]

HOUSEHOLD_SHEET = "贫困户"
MEMBER_SHEET = "家庭成员"
