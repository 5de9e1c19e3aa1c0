"""Excel of 防返贫监测: the roster of monitoring objects and the dashboard's figures (docs/domain.md §12.13).

Both are reports of the shell's export pipeline (fupin/exports.py: scoped at request and at run,
EXPORT to ask, EXPORT_PERSONAL_DATA and the households.view_full_id permission for full numbers,
audited); the figures are small enough to be downloaded at once from the dashboard too. Rows come
through the user's scoped records only; ID numbers and phones are masked unless `full`.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from core.excel import Sheet
from core.regions import code_of_prefix
from households.codes import MonitoringCategory
from households.idnumbers import mask_phone
from households.models import Member
from villages.models import Region

from . import selectors, statistics
from .codes import DiscoveryWay, EliminationMode, MonitoringStatus, RiskType

CHUNK = 5000
HEAD = "01"  # 与户主关系: 户主

ROSTER_HEADERS = [
    "县",
    "乡镇",
    "村",
    "户编号",
    "户主姓名",
    "户主证件号码",
    "联系电话",
    "监测对象类别",
    "风险类型",
    "状态",
    "发现方式",
    "发现日期",
    "识别日期",
    "风险消除日期",
    "风险消除方式",
    "家庭人口数",
    "人均纯收入（扣除合规自付支出，元）",
    "监测范围（元/人·年）",
    "监测范围年度",
    "监测范围未核实",
    "整户无劳动能力",
    "住房不安全",
    "义务教育阶段失学辍学",
    "有成员未参加基本医疗保险",
    "饮水不安全",
]
ROSTER_FILTERS = ("status", "category", "risk_type")


def check_roster_filters(filters: dict) -> dict:
    """The roster's filters (status, category, risk type), keyed errors for anything else."""
    unknown = sorted(set(filters) - set(ROSTER_FILTERS))
    if unknown:
        raise ValidationError({"filters": [f"不支持的筛选条件：{'、'.join(unknown)}。"]})
    chosen = {name: str(value) for name, value in filters.items() if value not in (None, "")}
    errors = {}
    for name, value in chosen.items():
        if value not in selectors.LIST_FILTERS[name].values:
            errors[name] = ["不是有效的选项。"]
    if errors:
        raise ValidationError(errors)
    return chosen


def _labels(choices) -> dict:
    return {code: str(label) for code, label in choices}


def _yes(value: bool) -> str:
    return "是" if value else "否"


def monitoring_roster(user, prefix: str, *, full: bool = False, filters: dict | None = None, **_) -> Sheet:
    """监测对象花名册: every record under `prefix` the user may see, with the chosen filters; masked unless `full`."""
    records = selectors.monitoring_list(user, {**(filters or {}), "region": prefix})
    head_id = Member.objects.filter(household=OuterRef("household_id"), relation=HEAD, is_active=True)
    head_id = head_id.values("id_number" if full else "id_number_masked")[:1]
    rows = (
        records.annotate(head_id=Subquery(head_id))
        .order_by("household__village_id", "household_id", "id")
        .values_list(
            "household__village__parent__parent__name",
            "household__village__parent__name",
            "household__village__name",
            "household__household_no",
            "household__head_name",
            "head_id",
            "household__phone",
            "category",
            "risk_types",
            "status",
            "discovery_way",
            "discovered_on",
            "identified_on",
            "eliminated_on",
            "elimination_mode",
            "member_count",
            "income_per_person",
            "line_amount",
            "line_year",
            "line_verified",
            "no_labour_capacity",
            "housing_unsafe",
            "child_out_of_school",
            "without_medical_insurance",
            "water_unsafe",
        )
    )
    categories, risks = _labels(MonitoringCategory.choices), _labels(RiskType.choices)
    statuses, ways = _labels(MonitoringStatus.choices), _labels(DiscoveryWay.choices)
    modes = _labels(EliminationMode.choices)

    def generate():
        for values in rows.iterator(chunk_size=CHUNK):
            (county, township, village, number, head, id_number, phone, category, risk_types, status, way) = values[:11]
            (found, identified, eliminated, mode, members, income, line, line_year, verified) = values[11:20]
            flags = values[20:]
            yield [
                county,
                township,
                village,
                number,
                head,
                id_number or "",
                (phone or "") if full else mask_phone(phone or ""),
                categories.get(category, category),
                "、".join(risks.get(code, code) for code in risk_types),
                statuses.get(status, status),
                ways.get(way, way),
                found,
                identified,
                eliminated,
                modes.get(mode, ""),
                members,
                income,
                line,
                line_year,
                _yes(not verified),
                *(_yes(flag) for flag in flags),
            ]

    return Sheet("监测对象花名册", ROSTER_HEADERS, generate(), widths={4: 22, 6: 22, 9: 30})


def roster_count(user, prefix: str) -> int:
    return selectors.monitoring_list(user, {"region": prefix}).count()


# --- the dashboard's figures ----------------------------------------------------------------------

STATUS_HEADERS = [str(label) for label in MonitoringStatus.labels]


def status_row(counts: dict) -> list[int]:
    """The counts of every status, in the order of MonitoringStatus, and their total."""
    return [counts[code] for code in MonitoringStatus.values] + [sum(counts.values())]


def summary_rows(figures: dict) -> list[list]:
    """The headline figures as (指标, 数值) rows."""
    eliminated = figures["eliminated_this_year"]
    median = figures["median_days_to_identify"]
    rows = [
        ["监测记录总数（户次）", figures["total"]],
        *([f"其中{label}", figures["by_status"][code]] for code, label in MonitoringStatus.choices),
        ["识别中、监测中的监测对象", figures["open"]],
        ["本月新发现", figures["new_this_month"]],
        ["本月识别纳入", figures["identified_this_month"]],
        ["本年风险消除", sum(eliminated.values())],
        *([f"其中{label}", eliminated[code]] for code, label in EliminationMode.choices),
        ["本年识别纳入", figures["identified_this_year"]],
        ["本年识别用时中位数（天）", median if median is not None else "无数据"],
        [f"识别中逾期（超过{figures['decision_limit_days']}天未认定）", figures["overdue"]],
    ]
    return rows


def statistics_sheets(user, prefix: str, *, today: date | None = None, **_) -> list[Sheet]:
    """The dashboard of the region named by `prefix` as sheets: summary, category, risk type, child regions."""
    today = today or timezone.localdate()
    region = Region.objects.visible_to(user).filter(code=code_of_prefix(prefix)).first() if prefix else None
    figures = statistics.region_figures(user, region, today)
    children = statistics.child_region_figures(user, region, today)
    name = region.name if region else "全部"
    return [
        Sheet(
            "监测统计",
            [f"{name}（截至{today:%Y-%m-%d}）", "数值"],
            iter(summary_rows(figures)),
            widths={1: 40},
        ),
        Sheet(
            "按类别",
            ["监测对象类别", *STATUS_HEADERS, "合计"],
            iter([label, *status_row(figures["by_category"][code])] for code, label in MonitoringCategory.choices),
            widths={1: 20},
        ),
        Sheet(
            "按风险类型",
            ["风险类型（一户多项分别计入）", *STATUS_HEADERS, "合计"],
            iter([label, *status_row(figures["by_risk_type"][code])] for code, label in RiskType.choices),
            widths={1: 44},
        ),
        Sheet(
            "下级区划",
            ["区划代码", "区划", *CHILD_HEADERS],
            iter([child.code, child.name, *child_row(child_figures)] for child, child_figures in children),
            widths={1: 16, 2: 20},
        ),
    ]


CHILD_HEADERS = [
    *STATUS_HEADERS,
    "合计",
    *(f"{label}（识别中、监测中）" for label in MonitoringCategory.labels),
    "本月新发现",
    "本月识别纳入",
    "本年风险消除",
    "本年识别用时中位数（天）",
    "识别中逾期",
]


def child_row(figures: dict) -> list:
    """One child region's figures in the order of CHILD_HEADERS."""
    open_statuses = (MonitoringStatus.IDENTIFYING, MonitoringStatus.MONITORED)
    return [
        *status_row(figures["by_status"]),
        *(sum(figures["by_category"][code][status] for status in open_statuses) for code in MonitoringCategory.values),
        figures["new_this_month"],
        figures["identified_this_month"],
        sum(figures["eliminated_this_year"].values()),
        figures["median_days_to_identify"],
        figures["overdue"],
    ]
