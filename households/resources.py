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

# Exported columns the 采集表 import also reads: 户状态 marks a new household 一般农户 (blank: 拟识别).
REGISTRATION_FIELDS = ("status",)

HOUSEHOLD_SHEET = "贫困户"
MEMBER_SHEET = "家庭成员"
