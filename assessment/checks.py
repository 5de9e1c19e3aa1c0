"""The standard checks, run when an application is submitted and again at every approval (docs/domain.md §6.6).

Each returns a CheckResult: items with a Chinese detail saying what was compared, and
whether the application meets the standard. A failing check is a gate: the engine approves
no step of it. Thresholds are PolicyParameters.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from core.codes import ParameterKey
from core.policy import PolicyParameterMissing, policy_value, policy_values
from core.regions import RegionLevel, code_prefix_at_most
from households.codes import DANGEROUS_GRADES, MonitoringCategory
from households.income import net_income_per_capita
from households.models import IncomeRecord
from households.selectors import poverty_line
from monitoring.income import assessed_income, line_for, within_range
from villages.models import County, Village

from .codes import ApplicationKind
from .elimination import FINDINGS, SECURITIES
from .models import SampleSurvey
from .statistics import incidence_of

# 两不愁三保障 (docs/domain.md §5.2): the answers the village survey records.
GUARANTEES = [
    ("food", "不愁吃"),
    ("clothing", "不愁穿"),
    ("education", "义务教育有保障"),
    ("medical", "基本医疗有保障"),
    ("housing", "住房安全有保障"),
    ("water", "饮水安全有保障"),
]

# Village exit conditions besides incidence (docs/domain.md §6.3, typical provincial list).
VILLAGE_CONDITIONS = [
    ("has_hardened_road", "通硬化路"),
    ("has_safe_water", "安全饮水"),
    ("has_power", "通生产生活用电"),
    ("has_broadband", "通宽带"),
    ("has_clinic", "标准化卫生室"),
    ("has_culture_room", "综合文化服务中心"),
]


@dataclass
class CheckResult:
    passed: bool = True
    items: list[dict] = field(default_factory=list)

    def add(self, item: str, passed: bool, detail: str) -> bool:
        self.items.append({"item": item, "passed": passed, "detail": detail})
        return passed

    def as_items(self) -> list[dict]:
        return [dict(item) for item in self.items]


def percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def yuan(value: Decimal) -> str:
    return f"{value:,.2f}元"


def west_regions(region_codes) -> set[str]:
    """Which of `region_codes` are 西部: per county (docs/domain.md §6.1); a region above county
    level is if any of its counties is. One query for all of them."""
    prefixes = {code: code_prefix_at_most(code, RegionLevel.COUNTY) for code in region_codes}
    if not prefixes:
        return set()
    within = Q()
    for prefix in set(prefixes.values()):
        within |= Q(region__code__startswith=prefix)
    west_counties = list(County.objects.filter(within, is_west=True).values_list("region_id", flat=True))
    return {code for code, prefix in prefixes.items() if any(county.startswith(prefix) for county in west_counties)}


def exit_rate_limits(region_codes, *, county_level: bool, year: int) -> dict[str, Decimal]:
    """The incidence a region must be below to exit, for each of `region_codes`: the 西部 or the
    other parameter of its level, as policy_value chooses it for the region and year."""
    codes = set(region_codes)
    west = west_regions(codes)
    if county_level:
        keys = {True: ParameterKey.COUNTY_EXIT_MAX_RATE_WEST, False: ParameterKey.COUNTY_EXIT_MAX_RATE}
    else:
        keys = {True: ParameterKey.VILLAGE_EXIT_MAX_RATE_WEST, False: ParameterKey.VILLAGE_EXIT_MAX_RATE}
    limits = {}
    for is_west, key in keys.items():
        group = {code for code in codes if (code in west) == is_west}
        if group:
            limits |= policy_values(key, year=year, region_codes=group)
    return limits


def exit_rate_limit(region_code: str, *, county_level: bool, year: int) -> Decimal:
    return exit_rate_limits([region_code], county_level=county_level, year=year)[region_code]


def _income_item(result: CheckResult, household, year: int, *, must_exceed: bool) -> bool | None:
    """Adds the income item; returns whether per-capita income is above the line (None: unknown)."""
    income = IncomeRecord.objects.filter(household=household, year=year).first()
    if income is None:
        result.add("人均纯收入", False, f"未登记{year}年度收入。")
        return None
    try:
        line = poverty_line(household, year)
    except PolicyParameterMissing:
        result.add("人均纯收入", False, f"未设置{year}年度扶贫标准。")
        return None
    per_capita = net_income_per_capita(income).net_income_per_capita
    above = per_capita > line
    relation = "高于" if above else "未高于"
    standard = household.get_identification_standard_display()
    detail = f"{year}年人均纯收入{yuan(per_capita)}，{relation}{standard}{yuan(line)}。"
    result.add("人均纯收入", above if must_exceed else not above, detail)
    return above


def _guarantee_answers(household, figures: dict) -> list[tuple[str, bool, str]]:
    """Each 两不愁三保障 answer, cross-checked against what the registry says."""
    answers = []
    for key, label in GUARANTEES:
        met = figures.get(key) is True
        detail = "入户核实：已解决。" if met else "入户核实：未解决。"
        if key == "housing" and household.house_safety_grade in DANGEROUS_GRADES:
            met, detail = False, f"登记住房为{household.get_house_safety_grade_display()}。"
        if key == "water" and not household.water_safe:
            met, detail = False, "登记饮水不安全。"
        answers.append((label, met, detail))
    return answers


def household_exit_check(household, year: int, figures: dict) -> CheckResult:
    """户退出: income strictly above the year's line, and all of 两不愁三保障 (docs/domain.md §5.5)."""
    result = CheckResult()
    _income_item(result, household, year, must_exceed=True)
    for label, met, detail in _guarantee_answers(household, figures):
        result.add(label, met, detail)
    result.passed = all(item["passed"] for item in result.items)
    return result


def identification_check(household, year: int, figures: dict) -> CheckResult:
    """识别 / 返贫: income not above the line, or 两不愁三保障 not all met (docs/domain.md §5.3, Shaanxi wording)."""
    result = CheckResult()
    above = _income_item(result, household, year, must_exceed=False)
    unmet = [label for label, met, _ in _guarantee_answers(household, figures) if not met]
    result.add(
        "两不愁三保障",
        bool(unmet),
        f"未解决：{'、'.join(unmet)}。" if unmet else "均已解决。",
    )
    result.passed = above is False or bool(unmet)
    result.items.append(
        {
            "item": "判定规则",
            "passed": result.passed,
            "detail": "收入未高于扶贫标准，或两不愁三保障未全部解决，满足其一即可。",
        }
    )
    return result


def _incidence_item(result: CheckResult, region_code: str, prefix: str, year: int, *, county_level: bool) -> None:
    incidence = incidence_of(prefix, year)
    limit = exit_rate_limit(region_code, county_level=county_level, year=year)
    below = incidence.is_below(limit)
    result.add(
        "贫困发生率",
        below,
        f"{year}年未脱贫人口{incidence.poor_population}人，农村户籍人口{incidence.rural_population}人，"
        f"贫困发生率{percent(incidence.rate)}，{'低于' if below else '未低于'}{percent(limit)}。",
    )


def village_exit_check(region, year: int) -> CheckResult:
    """村退出: incidence < 2 % (3 % west) and the village conditions (docs/domain.md §6.3)."""
    result = CheckResult()
    _incidence_item(result, region.code, region.code, year, county_level=False)
    profile = Village.objects.filter(region=region).first()
    for field_name, label in VILLAGE_CONDITIONS:
        met = bool(profile and getattr(profile, field_name))
        result.add(label, met, "已达标。" if met else "未达标。")
    income = profile.collective_income if profile else Decimal(0)
    result.add("村集体经济收入", income > 0, f"{yuan(income)}。")
    result.passed = all(item["passed"] for item in result.items)
    return result


def county_exit_check(region, year: int) -> CheckResult:
    """县摘帽: incidence < 2 % (3 % west), 错退率 ≤ 2 %, 漏评率 < 2 %, 认可度 ≥ 90 % (docs/domain.md §6.4 三率一度)."""
    result = CheckResult()
    _incidence_item(result, region.code, region.prefix, year, county_level=True)
    sample = latest_sample(region.code, year)
    if sample is None:
        result.add("抽样调查", False, f"未录入{year}年度抽样调查数据（错退率、漏评率、认可度）。")
    else:
        rates = sample_rates(sample)
        wrong_limit = policy_value(ParameterKey.MAX_WRONG_EXIT_RATE, year=year, region_code=region.code)
        omission_limit = policy_value(ParameterKey.MAX_OMISSION_RATE, year=year, region_code=region.code)
        approval_floor = policy_value(ParameterKey.MIN_PUBLIC_APPROVAL, year=year, region_code=region.code)
        wrong, omission, approval = rates["wrong_exit_rate"], rates["omission_rate"], rates["approval_rate"]
        result.add(
            "错退率",
            # "高于2%的不得退出": exactly 2 % passes.
            wrong is not None and wrong <= wrong_limit,
            f"抽样脱贫{sample.sampled_exited_population}人中错退{sample.wrong_exit_population}人，"
            f"错退率{percent(wrong)}，须不高于{percent(wrong_limit)}。",
        )
        result.add(
            "漏评率",
            omission is not None and omission < omission_limit,
            f"抽查未建档人口{sample.sampled_unregistered_population}人中漏评{sample.omitted_population}人，"
            f"漏评率{percent(omission)}，须低于{percent(omission_limit)}。",
        )
        result.add(
            "群众认可度",
            approval is not None and approval >= approval_floor,
            f"调查{sample.surveyed_households}户中认可{sample.approving_households}户，"
            f"认可度{percent(approval)}，须不低于{percent(approval_floor)}。",
        )
    result.passed = all(item["passed"] for item in result.items)
    return result


def sample_rates(sample) -> dict[str, Decimal | None]:
    """错退率, 漏评率 and 认可度 of a sample survey, exact (docs/domain.md §6.4 formulas)."""

    def ratio(numerator: int, denominator: int) -> Decimal | None:
        return Decimal(numerator) / Decimal(denominator) if denominator else None

    return {
        "wrong_exit_rate": ratio(sample.wrong_exit_population, sample.sampled_exited_population),
        "omission_rate": ratio(sample.omitted_population, sample.sampled_unregistered_population),
        "approval_rate": ratio(sample.approving_households, sample.surveyed_households),
    }


def stated_reason_check(application) -> CheckResult:
    """清退 and 自然销户: the written finding is what the steps review (docs/domain.md §5.7, §5.8)."""
    result = CheckResult()
    label = "错评情形" if application.kind == ApplicationKind.REMOVAL else "销户原因及证明"
    reason = (application.reason or "").strip()
    result.add(label, bool(reason), reason or "未填写。")
    result.passed = bool(reason)
    return result


def _monitoring_line(result: CheckResult, region_code: str, year: int):
    """The province's monitoring range of `year` (monitoring.income.line_for), or a failing item without one."""
    try:
        return line_for(region_code, year)
    except PolicyParameterMissing:
        result.add("监测范围", False, f"未找到本省{year}年的监测范围，请先录入。")
        return None


def _line_text(line) -> str:
    flag = "" if line.is_verified else "（未核实，以省里确认的数值为准）"
    return f"本省{line.year}年监测范围{yuan(line.amount)}/人{flag}"


def _income_text(income_12_months, compliant_costs, members: int, per_person) -> str:
    return (
        f"（近12个月家庭纯收入{yuan(Decimal(income_12_months))} − 合规自付支出{yuan(Decimal(compliant_costs))}）"
        f"÷ {members}人 = {yuan(per_person)}/人"
    )


# What 入户核实 found wrong with 三保障 and drinking water (monitoring.MonitoringObject's findings).
RECORD_PROBLEMS = [
    ("housing_unsafe", "住房不安全"),
    ("child_out_of_school", "有义务教育阶段适龄儿童少年失学辍学"),
    ("without_medical_insurance", "有成员未参加基本医疗保险"),
    ("water_unsafe", "饮水不安全"),
]


# The conditions of an identification of which one suffices (monitoring_identification_check).
ALTERNATIVES = {"人均纯收入（监测范围）", "三保障和饮水安全", "突发严重困难情形"}


def monitoring_identification_check(application) -> CheckResult:
    """监测识别 (docs/domain.md §12.2, §12.3, §12.12): the 承诺授权书 signed, and one of: income per person
    within the province's range of the year; a 三保障 or water problem; a 突发严重困难户 whose shock is stated."""
    record = application.monitoring_object
    result = CheckResult()
    consent = result.add(
        "承诺授权书",
        record.consent_signed,
        f"农户已于{record.consent_signed_on:%Y年%m月%d日}签署。"
        if record.consent_signed
        else "农户未签署，不能开展核查。",
    )
    risks = result.add("风险类型", bool(record.risk_types), record.risk_types_display)
    line = _monitoring_line(result, record.household.village_id, application.year)
    within = False
    if line is not None:
        per_person = assessed_income(
            income_12_months=record.income_12_months,
            compliant_costs=record.compliant_costs,
            members=record.member_count,
        )
        within = within_range(per_person, line)
        relation = "不高于" if within else "高于"
        result.add(
            "人均纯收入（监测范围）",
            within,
            f"{_income_text(record.income_12_months, record.compliant_costs, record.member_count, per_person)}，"
            f"{relation}{_line_text(line)}。",
        )
    problems = [label for name, label in RECORD_PROBLEMS if getattr(record, name)]
    result.add("三保障和饮水安全", bool(problems), f"存在问题：{'、'.join(problems)}。" if problems else "均有保障。")
    sudden = False
    if record.category == MonitoringCategory.SUDDEN_HARDSHIP:
        note = (record.note or "").strip()
        sudden = bool(note)
        result.add(
            "突发严重困难情形",
            sudden,
            f"刚性支出较大或收入大幅缩减，可高于监测范围：{note}"
            if note
            else "未在情况说明中写明刚性支出或收入骤减的情况。",
        )
    # Without the line the income alternative is unknown (its item fails), but a 三保障 or water
    # problem, or a stated shock, qualifies by itself.
    result.passed = consent and risks and (within or bool(problems) or sudden)
    if result.passed:
        # The three are alternatives: one met, the others are not failures (shown as 无需满足).
        for item in result.items:
            if item["item"] in ALTERNATIVES and not item["passed"]:
                item["passed"] = None
    result.items.append(
        {
            "item": "判定规则",
            "passed": result.passed,
            "detail": "已签承诺授权书，且满足其一：人均纯收入在监测范围内（不高于）；三保障或饮水安全存在问题；"
            "突发严重困难户（因病因灾因意外等刚性支出较大或收入大幅缩减，可高于监测范围）。",
        }
    )
    return result


def risk_elimination_check(application) -> CheckResult:
    """风险消除 (docs/domain.md §12.7, §12.8, §12.12): every condition, on the new visit's figures, with the
    member count of the visit (a member joining or leaving during the steps does not move the
    verdict; figures stored before it was kept fall back to the record's count)."""
    record = application.monitoring_object
    figures = application.figures
    household = application.household
    result = CheckResult()
    no_labour = record.no_labour_capacity or figures.get("no_labour_capacity") is True
    result.add(
        "整户无劳动能力",
        not no_labour,
        "整户无劳动能力，不标注风险消除，继续兜底保障和监测。" if no_labour else "有劳动能力成员。",
    )
    line = _monitoring_line(result, household.village_id, application.year)
    members = int(figures["member_count"]) if "member_count" in figures else record.member_count
    if line is not None and members >= 1:
        income, costs = figures.get("income_12_months", "0"), figures.get("compliant_costs", "0")
        per_person = assessed_income(income_12_months=Decimal(income), compliant_costs=Decimal(costs), members=members)
        above = not within_range(per_person, line)
        result.add(
            "人均纯收入（高于本年度监测范围）",
            above,
            f"{_income_text(income, costs, members, per_person)}，{'高于' if above else '不高于'}{_line_text(line)}"
            + ("。" if above else "，仍在监测范围内，不能消除风险。"),
        )
    elif members < 1:
        result.add("人均纯收入（高于本年度监测范围）", False, "该户没有在册成员，无法计算人均收入。")
    months = int(figures.get("months_above_range") or 0)
    stable = int(
        policy_value(ParameterKey.MONITORING_STABLE_MONTHS, year=application.year, region_code=household.village_id)
    )
    result.add("收入持续稳定", months >= stable, f"收入已连续{months}个月高于监测范围，须不少于{stable}个月。")
    solved = figures.get("rigid_costs_solved") is True
    result.add("刚性支出", solved, "已稳定解决。" if solved else "医疗、教育等刚性支出尚未稳定解决。")
    unmet = [FINDINGS[name] for name in SECURITIES if figures.get(name) is not True]
    result.add("三保障和饮水安全", not unmet, f"未保障：{'、'.join(unmet)}。" if unmet else "均有保障。")
    new_risk = figures.get("new_risk") is True
    result.add("无新增风险", not new_risk, "出现新的风险。" if new_risk else "未发现新的风险。")
    result.passed = all(item["passed"] for item in result.items)
    return result


def run_check(application) -> CheckResult:
    kind = application.kind
    if kind == ApplicationKind.MONITORING_IDENTIFICATION:
        return monitoring_identification_check(application)
    if kind == ApplicationKind.RISK_ELIMINATION:
        return risk_elimination_check(application)
    if kind in (ApplicationKind.REMOVAL, ApplicationKind.CLOSURE):
        return stated_reason_check(application)
    if kind == ApplicationKind.HOUSEHOLD_EXIT:
        return household_exit_check(application.household, application.year, application.figures)
    if kind in (ApplicationKind.IDENTIFICATION, ApplicationKind.RETURN):
        return identification_check(application.household, application.year, application.figures)
    if kind == ApplicationKind.VILLAGE_EXIT:
        return village_exit_check(application.region, application.year)
    return county_exit_check(application.region, application.year)


def latest_sample(county_code: str, year: int) -> SampleSurvey | None:
    """The county's sample survey of the latest quarter entered for `year` (the 三率 of the county check)."""
    return SampleSurvey.objects.filter(county_id=county_code, year=year).order_by("-quarter").first()
