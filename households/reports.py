"""Registry reports: rows for fupin/exports.py, read through the scoped selectors only."""

from decimal import Decimal

from django.db.models import Count, Sum

from core.excel import Sheet
from villages.models import Region

from .codes import AidCategory, HouseholdStatus
from .idnumbers import mask_phone
from .income import net_income_per_capita
from .models import AidMeasure, Household, IncomeRecord, Member
from .resources import HOUSEHOLD_COLUMNS, HOUSEHOLD_SHEET, IDENTIFIER_FIELDS, MEMBER_COLUMNS, MEMBER_SHEET
from .template_workbook import column_drop_down

CHUNK = 5000


def text_columns(columns) -> frozenset[int]:
    """The identifier columns (IDs, phones, 户编号): text cells, so a number typed over one in Excel stays whole."""
    return frozenset(position for position, column in enumerate(columns, start=1) if column.field in IDENTIFIER_FIELDS)


def _households(user, prefix: str):
    return Household.objects.visible_to(user).within_prefix(prefix)


def household_roster(user, prefix: str, *, full: bool = False, title: str = "贫困户", **_) -> Sheet:
    """All households under `prefix` with the official household columns."""
    columns = HOUSEHOLD_COLUMNS
    fields = [column.field for column in columns]
    rows = _households(user, prefix).order_by("village_id", "id").values_list(*fields)

    def generate():
        for values in rows.iterator(chunk_size=CHUNK):
            row = []
            for column, value in zip(columns, values, strict=True):
                if column.personal and not full:
                    value = mask_phone(value or "")
                row.append(column.label(value))
            yield row

    return Sheet(title, [column.header for column in columns], generate(), text_columns=text_columns(columns))


def member_roster(user, prefix: str, *, full: bool = False, title: str = "家庭成员", **_) -> Sheet:
    """Every member in the register under `prefix`; ID numbers masked unless `full`."""
    columns = MEMBER_COLUMNS
    fields = [("id_number" if full else "id_number_masked") if c.field == "id_number" else c.field for c in columns]
    rows = (
        Member.objects.visible_to(user)
        .within_prefix(prefix)
        .filter(is_active=True)
        .order_by("household__village_id", "household_id", "id")
        .values_list(*fields)
    )

    def generate():
        for values in rows.iterator(chunk_size=CHUNK):
            yield [column.label(value) for column, value in zip(columns, values, strict=True)]

    headers = [column.header for column in columns]
    return Sheet(title, headers, generate(), widths={3: 22}, text_columns=text_columns(columns))


def publicity_roster(user, prefix: str, **_) -> Sheet:
    """公示 roster of a village: what may be posted on the village board, the head's name, the
    village and group, the household's size and status only (docs/domain.md §5.10): no ID, phone
    or bank, and no 致贫原因 or 贫困户属性 (因病, 因残, 低保 and 特困 are health and welfare details)."""
    columns = [
        column
        for column in HOUSEHOLD_COLUMNS
        if column.field in ("village__name", "group_name", "head_name", "member_count", "status")
    ]
    fields = [column.field for column in columns]
    rows = (
        _households(user, prefix)
        .filter(status__in=[HouseholdStatus.CANDIDATE, HouseholdStatus.POOR, HouseholdStatus.EXITED])
        .order_by("village_id", "group_name", "id")
        .values_list(*fields)
    )

    def generate():
        for values in rows.iterator(chunk_size=CHUNK):
            yield [column.label(value) for column, value in zip(columns, values, strict=True)]

    return Sheet("公示名单", [column.header for column in columns], generate())


def aid_measures_by_category(user, prefix: str, *, year: int, **_) -> Sheet:
    """帮扶措施 of a year by county and category: households reached, measures, amounts."""
    measures = (
        AidMeasure.objects.visible_to(user)
        .within_prefix(prefix)
        .filter(year=year)
        .values("household__village__parent__parent_id", "category")
        .annotate(households=Count("household", distinct=True), measures=Count("id"), amount=Sum("amount"))
        .order_by("household__village__parent__parent_id", "category")
    )
    rows = list(measures)
    names = dict(
        Region.objects.filter(code__in={row["household__village__parent__parent_id"] for row in rows}).values_list(
            "code", "name"
        )
    )
    labels = dict(AidCategory.choices)
    return Sheet(
        f"{year}年帮扶措施",
        ["县", "措施类别", "受益户数", "措施数", "金额（元）"],
        (
            [
                names.get(row["household__village__parent__parent_id"], ""),
                labels.get(row["category"], row["category"]),
                row["households"],
                row["measures"],
                row["amount"] or Decimal(0),
            ]
            for row in rows
        ),
    )


def exit_roster(user, prefix: str, *, year: int, **_) -> Sheet:
    """Households that exited in `year`, with their 人均纯收入 of that year."""
    households = (
        _households(user, prefix)
        .filter(status=HouseholdStatus.EXITED, exit_year=year)
        .select_related("village")
        .order_by("village_id", "id")
    )
    incomes = IncomeRecord.objects.filter(year=year, household__in=households.values("pk"))

    def generate():
        by_household = {income.household_id: income for income in incomes.iterator(chunk_size=CHUNK)}
        for household in households.iterator(chunk_size=CHUNK):
            income = by_household.get(household.pk)
            per_capita = net_income_per_capita(income).net_income_per_capita if income else None
            yield [
                household.household_no,
                household.village.name,
                household.head_name,
                household.member_count,
                household.exit_year,
                per_capita.quantize(Decimal("0.01")) if per_capita is not None else None,
            ]

    return Sheet(
        f"{year}年脱贫户", ["户编号", "所在村", "户主姓名", "家庭人口数", "脱贫年度", "人均纯收入（元）"], generate()
    )


def household_count(user, prefix: str) -> int:
    return _households(user, prefix).count()


def member_count(user, prefix: str) -> int:
    return Member.objects.visible_to(user).within_prefix(prefix).filter(is_active=True).count()


def edit_lists(columns) -> list:
    """The template's drop-down lists on the importable coded columns of an exported 采集表, so a
    value changed in Excel is picked as in the blank template (template_workbook.py). Not on 户状态
    (the import keeps a registered household's status) nor on derived columns."""
    return [
        drop_down
        for position, column in enumerate(columns, start=1)
        if not column.export_only
        and column.field not in ("status", "village_id")
        and (drop_down := column_drop_down(position, column, []))
    ]


def collection_form(user, prefix: str, *, full: bool = False, **_) -> list[Sheet]:
    """采集表: both official sheets in one workbook, the layout the import reads back, with the
    template's lists on its coded columns."""
    sheets = [
        household_roster(user, prefix, full=full, title=HOUSEHOLD_SHEET),
        member_roster(user, prefix, full=full, title=MEMBER_SHEET),
    ]
    for sheet, columns in zip(sheets, (HOUSEHOLD_COLUMNS, MEMBER_COLUMNS), strict=True):
        sheet.drop_downs = edit_lists(columns)
    return sheets
