"""Read paths of the registry: scoped querysets, never a Python loop over households."""

from django.db.models import F, Prefetch, Q
from django.db.models.functions import Coalesce

from core.codes import ParameterKey
from core.parsing import is_ascii_digits, optional_region_code
from core.policy import PolicyParameterMissing, policy_value
from core.regions import RegionLevel, code_at, code_prefix, level_of
from core.totals import Total, is_small_scope, list_total

from .codes import IdentificationStandard
from .fields import LIVING_CONDITION_FIELDS
from .idnumbers import id_number_hash, normalize_id_number
from .income import net_income_per_capita
from .models import AdjustmentRecord, AidMeasure, HelperAssignment, Household, HouseholdYearLock, IncomeRecord, Member
from .names import pinyin_query

MAX_ID_DIGITS = 19  # a bigint has at most 19 digits; a longer "after" token is not one of ours
LIST_FILTERS = ("status", "attribute", "main_cause", "monitoring_category")

# The columns the list sorts by (its header links), each ending in id so the order is stable and
# the keyset token "value-id" names one row. The default is the index order of
# household_village_id_idx (village_id, id); a 一般农户 has no 识别年度 and sorts as year 0.
SORTS = {
    "village": F("village_id"),
    "household_no": F("household_no"),
    "head_name": F("head_name"),
    "member_count": F("member_count"),
    "status": F("status"),
    "identified_year": Coalesce("identified_year", 0),
}
DEFAULT_SORT = "village"
NUMERIC_SORTS = {"member_count", "identified_year"}
INDEX_ORDER = ("village_id", "id")  # household_village_id_idx: the list's order, and its count's bounded read
LIST_COLUMNS = (
    "household_no",
    "head_name",
    "attribute",
    "main_cause",
    "status",
    "monitoring_category",
    "identified_year",
    "member_count",
    "warning_count",
    "village__name",
    "village__parent__name",
    "village__parent__parent__name",
)


def list_sort(value: str | None) -> str:
    """The sort a URL asks for ("member_count", "-member_count"), or the default for anything unknown."""
    value = value or ""
    return value if value.removeprefix("-") in SORTS else DEFAULT_SORT


def search_condition(query: str) -> Q:
    """户主姓名, 拼音首字母 (ZS) or 全拼 (zhangsan, "zhang san"), 户编号, or an exact ID number (keyed hash)."""
    query = query.strip()
    try:
        number = normalize_id_number(query)
    except Exception:
        number = None
    if number:
        return Q(pk__in=Member.objects.filter(id_number_hash=id_number_hash(number)).values("household_id"))
    if is_ascii_digits(query):
        return Q(household_no__startswith=query)
    if letters := pinyin_query(query):
        # Both prefix indexes (household_initials_idx, household_pinyin_idx) serve this OR.
        return Q(head_name_initials__startswith=letters.upper()) | Q(head_name_pinyin__startswith=letters)
    return Q(head_name__startswith=query)


def household_list(user, filters: dict | None = None):
    """Households the user may see, filtered, in (village, id) order: the index order, for keyset pages."""
    filters = filters or {}
    households = Household.objects.visible_to(user)
    if region := optional_region_code(filters, "region"):
        households = households.within_prefix(code_prefix(region, level_of(region)))
    for field in LIST_FILTERS:
        if value := filters.get(field):
            households = households.filter(**{field: value})
    if filters.get("has_warnings") in ("1", "true", True):
        households = households.filter(warning_count__gt=0)
    if query := (filters.get("q") or "").strip():
        households = households.filter(search_condition(query))
    if id_hash := filters.get("id_hash"):
        # An exact ID search by its keyed hash: the number itself never travels in a URL.
        households = households.filter(pk__in=Member.objects.filter(id_number_hash=id_hash).values("household_id"))
    return households.select_related("village").order_by(*INDEX_ORDER)


def household_total(user, filters: dict) -> Total:
    """共 N 户 / M 人 of the filtered list: exact within a township, else estimated if large (core/totals.py)."""
    exact = is_small_scope(user, optional_region_code(filters, "region") or "")
    households = household_list(user, filters)
    return list_total(households, people_field="member_count", exact=exact, index_order=INDEX_ORDER)


def household_page(user, filters: dict, after: str = "", size: int = 50, sort: str = DEFAULT_SORT):
    """One keyset page of `household_list` in `sort` order; `after` is the "value-id" token of the last row seen.

    Returns (rows, the token of the next page or None). Each row's township (`village.parent`) and
    county (`village.parent.parent`) come in the same statement, two joins up the region tree, for
    the 所属乡镇 / 所属县 columns of users above a township: no query per row.
    """
    sort = list_sort(sort)
    field, descending = sort.removeprefix("-"), sort.startswith("-")
    households = (
        household_list(user, filters)
        .select_related("village__parent__parent")
        # The columns the list shows (templates/households/_table.html): not the other 30 of each
        # row, nor a phone to decipher or a history of years to parse for 50 rows a page.
        .only(*LIST_COLUMNS)
        .annotate(sort_value=SORTS[field])
        .order_by(*(("-sort_value", "-id") if descending else ("sort_value", "id")))
    )
    value, _, last_id = (after or "").rpartition("-")
    if value and is_ascii_digits(last_id) and len(last_id) < MAX_ID_DIGITS:
        if field in NUMERIC_SORTS:
            value = int(value) if is_ascii_digits(value) and len(value) < MAX_ID_DIGITS else None
        if value is not None:
            beyond = "lt" if descending else "gt"
            households = households.filter(
                Q(**{f"sort_value__{beyond}": value}) | Q(sort_value=value, **{f"pk__{beyond}": int(last_id)})
            )
    rows = list(households[: size + 1])
    next_after = f"{rows[size - 1].sort_value}-{rows[size - 1].pk}" if len(rows) > size else None
    return rows[:size], next_after


def active_members() -> Prefetch:
    """The in-register members of each household, head first, as `household.active_members`."""
    return Prefetch(
        "members",
        queryset=Member.objects.filter(is_active=True).order_by("relation", "birth_date"),
        to_attr="active_members",
    )


def household_detail_queryset(user):
    """One household with everything its page shows, in a fixed number of queries."""
    return (
        Household.objects.visible_to(user)
        .select_related("village__parent")
        .prefetch_related(
            active_members(),
            Prefetch("incomes", queryset=IncomeRecord.objects.order_by("-year")),
            Prefetch("aid_measures", queryset=AidMeasure.objects.order_by("-year", "id")),
            Prefetch("helper_assignments", queryset=HelperAssignment.objects.select_related("helper")),
            Prefetch("adjustments", queryset=_adjustments_shown()),
        )
    )


def _adjustments_shown():
    """动态调整记录 as the household's page and 扶贫手册 show them: the member by name, the recorder by
    username; not each member's ciphered ID number nor the recorder's password hash."""
    own = (field.name for field in AdjustmentRecord._meta.concrete_fields)
    adjustments = AdjustmentRecord.objects.select_related("member", "created_by")
    return adjustments.only(*own, "member__name", "created_by__username")


def poverty_line(household, year: int):
    """The poverty line of `year` for the household's 识别标准 (docs/domain.md §7.2).

    国家标准 reads the national row; 省定 / 市定 read the row of the household's province
    or city, falling back to the national row when the province has set none.
    """
    level = {
        IdentificationStandard.PROVINCIAL: RegionLevel.PROVINCE,
        IdentificationStandard.MUNICIPAL: RegionLevel.CITY,
    }.get(household.identification_standard)
    region_code = code_at(household.village_id, level) if level else None
    return policy_value(ParameterKey.POVERTY_LINE, year=year, region_code=region_code)


def income_rows(household) -> list[dict]:
    """Each year's income with 人均纯收入 and that year's line for the household's 识别标准."""
    rows = []
    for income in household.incomes.all():
        try:
            line = poverty_line(household, income.year)
        except PolicyParameterMissing:
            line = None
        figures = net_income_per_capita(income)
        rows.append(
            {
                "income": income,
                "figures": figures,
                "line": line,
                "above_line": line is not None and figures.net_income_per_capita > line,
            }
        )
    return rows


def year_lock(*, household_id: int, year: int) -> HouseholdYearLock | None:
    """The lock on a household's `year`, if an approval settled it; its `reason` names the approval."""
    return HouseholdYearLock.objects.filter(household_id=household_id, year=year).first()


def living_conditions(household) -> list[tuple[str, str]]:
    """(label, display value) of the 生产生活条件 block, in the order of the form."""
    rows = []
    for name in LIVING_CONDITION_FIELDS:
        field = Household._meta.get_field(name)
        value = getattr(household, name)
        if field.choices:
            shown = getattr(household, f"get_{name}_display")() or "—"
        elif isinstance(value, bool):
            shown = "是" if value else "否"
        else:
            shown = "—" if value is None else str(value)
        rows.append((str(field.verbose_name), shown))
    return rows
