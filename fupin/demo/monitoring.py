"""The demo's story, part two: 防止返贫动态监测 from 2021 to today, through the procedures (docs/domain.md §12.15).

A chapter of load_demo (province.CHAPTERS), after part one (story.py) has left every household
exited or 一般农户. Everything goes through the real services, with the days it happened on
(`today=`): the clerk's visit starts the 监测识别 (干部排查, or a lead of the township's queue), the
township's other clerk records 信息比对 and 民主评议, the 村内公示 runs its days, the township reviews
after it, the county decides; measures answer the risks; 风险消除 follows the same steps years
later, in both modes; households without labour capacity stay monitored under 兜底保障 (one
clerk's request for such a household is refused, as the rule says). What waits today: two
identifications in demo_clerk's township (one overdue), one for demo_county's 县级审定, one in
its 公示 elsewhere, self-reports and department alerts in demo_clerk's queue, and a department
list file for demo_county to upload (`DEPARTMENT_LIST_NAME` under settings.VAR_DIR/demo/).

The amount of work is fixed (about 50 records, whatever the number of households): mostly in
demo_clerk's township, two more townships of demo_county's county, one township in each other
county. The draws use their own seeded generator, so a load is repeatable; the dates are counted
back from today.
"""

from __future__ import annotations

import io
import math
import os
import random
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from stdnum.cn import ric

from assessment import services
from assessment.models import ApplicationStep
from assessment.monitoring_workflows import request_risk_elimination, start_monitoring_identification
from core.codes import Role
from core.excel import Sheet, write_workbook
from core.models import User
from core.regions import RegionLevel, code_prefix, county_of, township_of
from households.codes import HouseholdStatus, MonitoringCategory
from households.idnumbers import id_number_hash
from households.models import Household, Member
from monitoring import departments, leads
from monitoring.codes import OPEN_STATUSES, Department, EliminationMode, RiskType
from monitoring.income import line_for
from monitoring.measures import add_measure
from monitoring.models import MonitoringLead, MonitoringObject
from villages.models import Region

from .story import StoryCast, backdate

FIRST_YEAR = 2021
CHAPTER_SEED = 14  # issue 14: the draws of this chapter, apart from the bulk load's
DEMO_COUNTY = "622926000000"
# Records identified per year: demo_clerk's township, two more townships of demo_county's
# county, and the first township of each other county.
# (records a year, every how many years): a fixed amount of work whatever the number of households.
PER_YEAR = {"clerk": (4, 1), "county": (1, 1), "elsewhere": (1, 2)}
# What demo_clerk's township shows whatever the draws: (year, index in the year) → what happens.
SHOWCASE = {
    (2021, 0): "no_labour",
    (2022, 1): "sudden",
    (2023, 0): "sudden",
    (2023, 2): "eliminated_this_year",
    (2024, 1): "eliminated_this_year_natural",
}
OTHER_COUNTY_TOWNSHIPS = 2
# Of each year's records: the share of 边缘易致贫户 (一般农户) and 突发严重困难户; the rest are 脱贫不稳定户.
MARGINAL_SHARE, SUDDEN_SHARE = 0.3, 0.08
NO_LABOUR_SHARE = 0.12  # 整户无劳动能力: kept under 兜底保障, never eliminated
LATE_SHARE = 0.06  # decided after MONITORING_DECISION_MAX_DAYS (shown 超期 on their record)
# The share eliminated by now, by the year a record was identified; recent ones are still monitored.
ELIMINATED_BY_YEAR = {2021: 0.75, 2022: 0.7, 2023: 0.6, 2024: 0.4, 2025: 0.2}
NATURAL_SHARE = 0.25  # 风险自然消除; the rest 帮扶后风险消除
MIN_MONTHS_MONITORED = 7  # 风险消除 after at least half a year above the range (docs/domain.md §12.7)

POOL_MAX = 5000  # a township's households, with room to spare

DEPARTMENT_LIST_NAME = "医保部门筛查名单示例.xlsx"
DEPARTMENT_LIST_ROWS = 30
DEPARTMENT_LIST_UNKNOWN = 3
UNKNOWN_NAMES = ["马海龙", "何秀兰", "汪福林"]  # the list's people not registered in the county

# 风险类型 and how often they are found.
RISK_WEIGHTS = {
    RiskType.ILLNESS: 30,
    RiskType.UNSTABLE_WORK: 18,
    RiskType.DISABILITY: 10,
    RiskType.LACK_LABOUR: 8,
    RiskType.DISASTER: 8,
    RiskType.EDUCATION: 8,
    RiskType.ACCIDENT: 6,
    RiskType.FAILED_BUSINESS: 6,
    RiskType.UNSAFE_HOUSING: 3,
    RiskType.UNSAFE_WATER: 2,
    RiskType.SCHOOL_DROPOUT: 1,
}
RISK_NOTES = {
    RiskType.ILLNESS: "家庭成员患慢性病长期服药，年内住院治疗，医疗自付费用较大",
    RiskType.DISABILITY: "家庭成员肢体残疾，需人照料，无法外出务工",
    RiskType.EDUCATION: "两名子女分别上高中、大学，教育支出较大",
    RiskType.ACCIDENT: "户主务工时受伤，误工半年",
    RiskType.FAILED_BUSINESS: "肉牛养殖因疫病损失，产业收入大幅减少",
    RiskType.UNSTABLE_WORK: "外出务工人员失业返乡，务工收入减少",
    RiskType.DISASTER: "暴雨冰雹致农作物绝收，圈舍受损",
    RiskType.LACK_LABOUR: "家庭成员年老体弱，缺乏劳动力",
    RiskType.UNSAFE_HOUSING: "房屋墙体开裂，经鉴定为C级危房",
    RiskType.SCHOOL_DROPOUT: "一名初中适龄子女辍学在家",
    RiskType.UNSAFE_WATER: "入户自来水管冻裂，饮水无保障",
    RiskType.OTHER: "家庭遭遇其他困难",
}
SUDDEN_NOTES = {
    RiskType.ILLNESS: "户主突发脑出血住院，自付医疗费用较大，家庭基本生活出现严重困难",
    RiskType.ACCIDENT: "家庭主要劳动力因交通事故重伤，收入大幅缩减，医疗支出较大",
    RiskType.DISASTER: "房屋和圈舍遭山洪冲毁，家庭财产损失严重，基本生活出现严重困难",
}
# Measures answering each risk (docs/domain.md §12.10): (category, description, amount range in 元).
MEASURES = {
    RiskType.ILLNESS: [
        ("07", "落实基本医疗保险、大病保险和医疗救助三重保障，签约家庭医生", (2000, 12000)),
        ("10", "纳入农村低保", (3000, 6000)),
    ],
    RiskType.DISABILITY: [
        ("10", "落实困难残疾人生活补贴和重度残疾人护理补贴", (1200, 2400)),
        ("04", "安排村级公益岗位（保洁员）", (6000, 9600)),
    ],
    RiskType.EDUCATION: [("09", "落实雨露计划职业教育补助和生源地助学贷款", (3000, 8000))],
    RiskType.ACCIDENT: [("11", "发放临时救助金，协调社会捐助", (2000, 5000))],
    RiskType.FAILED_BUSINESS: [
        ("01", "发放产业奖补资金，恢复肉牛养殖", (3000, 10000)),
        ("03", "办理脱贫人口小额信贷", (30000, 50000)),
    ],
    RiskType.UNSTABLE_WORK: [
        ("02", "组织劳务输转，推荐到省内企业务工", (0, 0)),
        ("04", "安排生态护林员公益岗位", (6000, 9600)),
    ],
    RiskType.DISASTER: [
        ("13", "落实农业保险理赔和灾后恢复生产补助", (2000, 6000)),
        ("05", "实施灾后房屋维修加固", (10000, 20000)),
    ],
    RiskType.LACK_LABOUR: [("10", "纳入农村低保，落实兜底保障", (4000, 8000))],
    RiskType.UNSAFE_HOUSING: [("05", "实施农村危房改造", (20000, 35000))],
    RiskType.SCHOOL_DROPOUT: [("08", "落实控辍保学，劝返复学并发放生活补助", (1000, 2500))],
    RiskType.UNSAFE_WATER: [("06", "维修入户供水管网，保障安全饮水", (800, 3000))],
    RiskType.OTHER: [("11", "协调社会帮扶资金", (1000, 3000))],
}
FINDING_OF_RISK = {
    RiskType.UNSAFE_HOUSING: "housing_unsafe",
    RiskType.SCHOOL_DROPOUT: "child_out_of_school",
    RiskType.UNSAFE_WATER: "water_unsafe",
}
COMPARISON = "与财政、公安、自然资源、住建、市场监管和人社等部门数据比对，未发现存款、车辆、房产、经营主体等不符情形。"
EVALUATION = "村民代表会议民主评议，同意纳入监测。"
ELIMINATION_EVALUATION = "村民代表会议民主评议，同意标注风险消除。"
TOWNSHIP_REVIEW = "乡镇审核通过，报县级审定。"
COUNTY_DECISION = "县乡村振兴局审定同意。"
SELF_REPORTS = [
    (RiskType.ILLNESS, "家里老人突发脑梗住院，花了三万多，还欠着亲戚的钱，希望村里帮忙看看。"),
    (RiskType.DISASTER, "上个月冰雹把地里的洋芋全打坏了，今年基本没有收成。"),
    (RiskType.UNSTABLE_WORK, "儿子在外地打工的厂子关门了，回家好几个月没找到活，家里开销紧张。"),
]
CHALLENGE = re.compile(r"(\d+)\s*加\s*(\d+)")


@dataclass(frozen=True)
class Office:
    """Who acts in one township: the clerk who visits, the second clerk who reviews, the county."""

    township: str
    villages: list[str]
    clerk: User
    clerk2: User
    county: User


@dataclass
class Plan:
    """One monitoring episode to tell: who, what was found, and how it ends (or waits)."""

    household: Household
    category: str
    risks: list[str]
    discovered: date
    no_labour: bool = False
    late: bool = False
    eliminate_on: date | None = None
    mode: str = EliminationMode.AFTER_ASSISTANCE


class Chapter:
    """The chapter's state: the seeded generator, today, and the households still free."""

    def __init__(self, cast: StoryCast):
        self.cast = cast
        self.rng = random.Random(CHAPTER_SEED)
        self.today = timezone.localdate()
        self.used: set[int] = set()
        self.counts = {"records": 0, "eliminations": 0, "measures": 0, "refused_eliminations": 0}

    # --- households ---------------------------------------------------------------------------

    def pool(self, office: Office, status: str) -> list[Household]:
        """The township's households of `status` with two members or more (the demo's 自然销户 take
        single-member ones), shuffled: every village of it may be drawn. At most POOL_MAX of them,
        however many villages a township holds at the load's size (province.py, Layout)."""
        households = list(
            Household.objects.filter(village_id__in=office.villages, status=status, member_count__gte=2)
            .exclude(pk__in=self.used)
            .only("id", "village_id", "member_count", "head_name", "status")
            .order_by("id")[:POOL_MAX]
        )
        self.rng.shuffle(households)
        return households

    def take(self, pools: dict[str, list[Household]], status: str) -> Household | None:
        while pools[status]:
            household = pools[status].pop()
            if household.pk not in self.used:
                self.used.add(household.pk)
                return household
        return None

    # --- plans --------------------------------------------------------------------------------

    def risks(self, no_labour: bool) -> list[str]:
        count = self.rng.choices([1, 2, 3], weights=[45, 40, 15])[0]
        risks = []
        while len(risks) < count:
            risk = self.rng.choices(list(RISK_WEIGHTS), weights=list(RISK_WEIGHTS.values()))[0]
            if risk not in risks:
                risks.append(risk)
        if no_labour and RiskType.LACK_LABOUR not in risks:
            risks = [RiskType.LACK_LABOUR, *risks[:2]]
        return risks

    def day_in(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randrange(max(1, (end - start).days + 1)))

    def plans(self, office: Office, per_year: int, *, every: int = 1, showcase: bool = False) -> list[Plan]:
        """Identifications of every `every`-th year from 2021 to today, decided, and partly eliminated since.

        `showcase` (demo_clerk's township) makes sure of what the pages should show whatever the
        draws: a 整户无劳动能力 household kept under 兜底 since 2021, 突发严重困难户 of both kinds, and
        a 风险消除 this year in each mode.
        """
        pools = {status: self.pool(office, status) for status in (HouseholdStatus.EXITED, HouseholdStatus.ORDINARY)}
        # The current year's are found before this month; what happens this month is told apart.
        last_day = self.today.replace(day=1) - timedelta(days=25)
        forced = SHOWCASE if showcase else {}
        plans = []
        for year in range(FIRST_YEAR, self.today.year + 1, every):
            end = min(date(year, 12, 20), last_day)
            if end < date(year, 1, 5):
                continue
            for index in range(per_year):
                kind = forced.get((year, index), "")
                draw = self.rng.random()
                if kind == "sudden" or (not kind and draw < SUDDEN_SHARE):
                    category = MonitoringCategory.SUDDEN_HARDSHIP
                    household = self.take(pools, HouseholdStatus.ORDINARY if index % 2 else HouseholdStatus.EXITED)
                elif not kind and draw < SUDDEN_SHARE + MARGINAL_SHARE:
                    category = MonitoringCategory.MARGINAL
                    household = self.take(pools, HouseholdStatus.ORDINARY)
                else:
                    category, household = MonitoringCategory.UNSTABLE_EXITED, None
                if household is None:
                    category = MonitoringCategory.UNSTABLE_EXITED
                    household = self.take(pools, HouseholdStatus.EXITED)
                if household is None:
                    continue
                no_labour = category == MonitoringCategory.UNSTABLE_EXITED and (
                    kind == "no_labour" or (not kind and self.rng.random() < NO_LABOUR_SHARE)
                )
                risks = self.risks(no_labour)
                if category == MonitoringCategory.SUDDEN_HARDSHIP:  # the shock first (its 情况说明 names it)
                    shock = self.rng.choice(list(SUDDEN_NOTES))
                    risks = [shock, *(risk for risk in risks if risk != shock)][:2]
                plan = Plan(
                    household=household,
                    category=category,
                    risks=risks,
                    discovered=self.day_in(date(year, 1, 5), end),
                    no_labour=no_labour,
                    late=self.rng.random() < LATE_SHARE,
                )
                latest = self.today - timedelta(days=20)
                earliest = plan.discovered + timedelta(days=MIN_MONTHS_MONITORED * 31 + 20)
                if kind.startswith("eliminated_this_year"):
                    earliest = max(earliest, date(self.today.year, 1, 10))
                elif no_labour or self.rng.random() >= ELIMINATED_BY_YEAR.get(year, 0):
                    earliest = latest + timedelta(days=1)  # still monitored
                if earliest <= latest:
                    # Most within two and a half years of the decision (the transition period's pace).
                    plan.eliminate_on = self.day_in(earliest, min(latest, earliest + timedelta(days=900)))
                    natural = kind.endswith("natural") or (not kind and self.rng.random() < NATURAL_SHARE)
                    plan.mode = EliminationMode.NATURAL if natural else EliminationMode.AFTER_ASSISTANCE
                plans.append(plan)
        return plans

    # --- the procedures -----------------------------------------------------------------------

    def visit_figures(self, plan: Plan) -> dict:
        """入户核实's findings and the income of the 12 months, against the range of the discovery year."""
        household, rng = plan.household, self.rng
        line = line_for(household.village_id, plan.discovered.year).amount
        members = household.member_count
        costs = Decimal(0)
        if RiskType.ILLNESS in plan.risks or RiskType.ACCIDENT in plan.risks:
            costs = Decimal(rng.randrange(3000, 15000, 100))
        if plan.category == MonitoringCategory.SUDDEN_HARDSHIP:
            # Above the range after the costs, but a shock (docs/domain.md §12.2).
            costs = Decimal(rng.randrange(20000, 60000, 100))
            per_person = line * Decimal(rng.uniform(1.1, 1.5))
            note = SUDDEN_NOTES.get(plan.risks[0], SUDDEN_NOTES[RiskType.ILLNESS])
            income = (per_person * members + costs).quantize(Decimal(10), rounding=ROUND_CEILING)
        else:
            per_person = line * Decimal(rng.uniform(0.7, 0.97))
            note = "；".join(RISK_NOTES[risk] for risk in plan.risks)
            income = (per_person * members + costs).quantize(Decimal(10), rounding=ROUND_FLOOR)
        findings = {FINDING_OF_RISK[risk]: True for risk in plan.risks if risk in FINDING_OF_RISK}
        return {
            "discovered_on": plan.discovered,
            "category": plan.category,
            "risk_types": plan.risks,
            "income_12_months": max(income, Decimal(0)),
            "compliant_costs": costs,
            "no_labour_capacity": plan.no_labour,
            "consent_signed_on": plan.discovered,
            "note": f"{note}。",
            **findings,
        }

    def notice_end(self, application) -> date:
        step = ApplicationStep.objects.get(application=application, round=application.round, code="VILLAGE_NOTICE")
        return step.ends_on

    def run_steps(
        self,
        office: Office,
        application,
        start: date,
        *,
        stop_before: str = "",
        late: bool = False,
        evaluation: str = EVALUATION,
    ) -> list[date]:
        """The steps after the visit, each on its day; stops before `stop_before` (a step code)."""
        rng = self.rng
        acted = [start]
        day = start + timedelta(days=rng.randint(1, 3))
        for code, comment in (("COMPARISON", COMPARISON), ("EVALUATION", evaluation)):
            if stop_before == code:
                return acted
            services.approve_step(user=office.clerk2, application_id=application.pk, comment=comment, today=day)
            acted.append(day)
            day += timedelta(days=rng.randint(1, 2))
        application.refresh_from_db()
        day = self.notice_end(application) + timedelta(days=rng.randint(1, 2))
        if stop_before == "TOWNSHIP_REVIEW":
            return acted
        services.approve_step(user=office.clerk2, application_id=application.pk, comment=TOWNSHIP_REVIEW, today=day)
        acted.append(day)
        if stop_before == "COUNTY_DECISION":
            return acted
        day += timedelta(days=rng.randint(7, 10) if late else rng.randint(1, 3))
        services.approve_step(user=office.county, application_id=application.pk, comment=COUNTY_DECISION, today=day)
        acted.append(day)
        return acted

    def identify(self, office: Office, plan: Plan, *, stop_before: str = "", lead_id: int | None = None):
        """监测识别 from the clerk's visit, through the steps up to `stop_before` (all of them by default)."""
        visit = self.visit_figures(plan)
        application = start_monitoring_identification(
            user=office.clerk,
            household_id=plan.household.pk,
            lead_id=lead_id,
            today=plan.discovered,
            **visit,
        )
        acted = self.run_steps(office, application, plan.discovered, stop_before=stop_before, late=plan.late)
        backdate(application.pk, acted, decided=not stop_before)
        self.counts["records"] += 1
        return MonitoringObject.objects.get(pk=application.monitoring_object_id), acted[-1]

    def measures(self, office: Office, record: MonitoringObject, identified: date, ends_by: date | None) -> None:
        """A measure for each risk (two for some), from after the decision; ended before `ends_by` if given."""
        rng = self.rng
        for risk in record.risk_types:
            choices = MEASURES[risk]
            for category, description, (low, high) in choices[: rng.choice([1, 1, len(choices)])]:
                started = min(identified + timedelta(days=rng.randint(0, 30)), self.today)
                ended = None
                if ends_by is not None:
                    ended = max(started, ends_by - timedelta(days=rng.randint(5, 40)))
                amount = rng.randrange(low, high + 1, 100) if high else 0
                add_measure(
                    user=office.clerk,
                    monitoring_object_id=record.pk,
                    category=category,
                    risk_type=risk,
                    description=description,
                    amount=Decimal(amount),
                    started_on=started,
                    ended_on=ended,
                    today=max(started, ended or started),
                )
                self.counts["measures"] += 1

    def elimination_figures(self, record: MonitoringObject, visit: date, mode: str) -> dict:
        """The new visit's figures: income stably above this year's range, everything secured."""
        rng = self.rng
        household = record.household
        line = line_for(household.village_id, visit.year).amount
        costs = Decimal(rng.randrange(0, 2000, 100))
        per_person = line * Decimal(rng.uniform(1.25, 1.9))
        income = (per_person * household.member_count + costs).quantize(Decimal(10), rounding=ROUND_CEILING)
        months = (visit.year - record.identified_on.year) * 12 + visit.month - record.identified_on.month
        return {
            "visited_on": visit.isoformat(),
            "income_12_months": str(income),
            "compliant_costs": str(costs),
            "months_above_range": max(6, min(months - 1, 12)),
            "rigid_costs_solved": True,
            "housing_safe": True,
            "education_secured": True,
            "medical_insured": True,
            "water_safe": True,
            "new_risk": False,
            "no_labour_capacity": record.no_labour_capacity,
            "mode": mode,
        }

    def eliminate(self, office: Office, record: MonitoringObject, visit: date, mode: str) -> None:
        """风险消除 through every step (the same as identification), decided by the county."""
        how = "经帮扶" if mode == EliminationMode.AFTER_ASSISTANCE else "风险已自然消除"
        application = request_risk_elimination(
            user=office.clerk,
            monitoring_object_id=record.pk,
            figures=self.elimination_figures(record, visit, mode),
            reason=f"入户核实：{how}，家庭收入持续稳定高于监测范围，三保障和饮水安全有保障，无新增风险。",
            today=visit,
        )
        acted = self.run_steps(office, application, visit, evaluation=ELIMINATION_EVALUATION)
        backdate(application.pk, acted)
        self.counts["eliminations"] += 1

    def refuse_elimination(self, office: Office, record: MonitoringObject, visit: date) -> None:
        """A 风险消除 asked for a household without labour capacity: its check fails, the township refuses it."""
        figures = self.elimination_figures(record, visit, EliminationMode.AFTER_ASSISTANCE)
        application = request_risk_elimination(
            user=office.clerk,
            monitoring_object_id=record.pk,
            figures=figures,
            reason="入户核实：低保金按时发放，家庭收入高于监测范围。",
            today=visit,
        )
        refused = visit + timedelta(days=2)
        services.reject_application(
            user=office.clerk2,
            application_id=application.pk,
            comment="整户无劳动能力，按政策不标注风险消除，继续落实兜底保障并开展监测。",
            today=refused,
        )
        backdate(application.pk, [visit, refused])
        self.counts["refused_eliminations"] += 1

    def tell(self, office: Office, plans: list[Plan], *, refuse_one: bool = False) -> None:
        """Each plan: identified, its measures, and its 风险消除 if it comes by today; with `refuse_one`,
        a 风险消除 asked for the first household without labour capacity is refused."""
        refused = not refuse_one
        for plan in plans:
            record, identified = self.identify(office, plan)
            record.refresh_from_db()
            self.measures(office, record, identified, plan.eliminate_on)
            if plan.eliminate_on:
                self.eliminate(office, record, plan.eliminate_on, plan.mode)
            elif plan.no_labour and not refused and identified < self.today - timedelta(days=400):
                # Shows the rule of docs/domain.md §12.8 at work.
                self.refuse_elimination(office, record, identified + timedelta(days=self.rng.randint(380, 400)))
                refused = True

    # --- what waits today ---------------------------------------------------------------------

    def waiting_today(self, office: Office, *, clerk_township: bool) -> None:
        """In demo_clerk's township: one for 县级审定, one overdue at 乡镇审核, one refused at 信息比对;
        elsewhere: one in its 公示 and one refused at 民主评议."""
        pools = {status: self.pool(office, status) for status in (HouseholdStatus.EXITED, HouseholdStatus.ORDINARY)}
        today = self.today

        def plan(category, status, days_ago, risks, **extra) -> Plan | None:
            household = self.take(pools, status)
            if household is None and status == HouseholdStatus.ORDINARY:  # a small load: few 一般农户
                category, household = MonitoringCategory.UNSTABLE_EXITED, self.take(pools, HouseholdStatus.EXITED)
            if household is None:
                return None
            return Plan(household, category, risks, today - timedelta(days=days_ago), **extra)

        if clerk_township:
            # Found 11 days ago, 公示 over, reviewed by the township: demo_county decides today.
            if waiting := plan(MonitoringCategory.UNSTABLE_EXITED, HouseholdStatus.EXITED, 11, ["01", "06"]):
                self.identify(office, waiting, stop_before="COUNTY_DECISION")
            # Found three weeks ago, 公示 over, still waiting for the township's review: 超期.
            if overdue := plan(MonitoringCategory.MARGINAL, HouseholdStatus.ORDINARY, 21, ["07"]):
                self.identify(office, overdue, stop_before="TOWNSHIP_REVIEW")
            refused = plan(MonitoringCategory.MARGINAL, HouseholdStatus.ORDINARY, 13, ["06"])
        else:
            if notice := plan(MonitoringCategory.UNSTABLE_EXITED, HouseholdStatus.EXITED, 5, ["02"]):
                self.identify(office, notice, stop_before="TOWNSHIP_REVIEW")
            refused = plan(MonitoringCategory.UNSTABLE_EXITED, HouseholdStatus.EXITED, 12, ["99"])
        if refused is not None:
            self.refuse_identification(office, refused, at_comparison=clerk_township)

    def refuse_identification(self, office: Office, plan: Plan, *, at_comparison: bool) -> None:
        """不予通过 (未纳入): the comparison found property, or the village's evaluation disagreed."""
        visit = self.visit_figures(plan)
        if at_comparison:
            # The comparison shows income above the range: the standard check fails with it.
            line = line_for(plan.household.village_id, plan.discovered.year).amount
            visit["income_12_months"] = (line * Decimal("1.6") * plan.household.member_count).quantize(Decimal(10))
            visit["compliant_costs"] = Decimal(0)
        application = start_monitoring_identification(
            user=office.clerk, household_id=plan.household.pk, today=plan.discovered, **visit
        )
        if at_comparison:
            acted = [plan.discovered]
            comment = "信息比对发现家庭成员名下登记有小轿车一辆和经营性商铺一处，收入高于监测范围，不予纳入。"
        else:
            day = plan.discovered + timedelta(days=2)
            services.approve_step(user=office.clerk2, application_id=application.pk, comment=COMPARISON, today=day)
            acted = [plan.discovered, day]
            comment = "民主评议中群众反映该户子女在县城经商，家庭实际收入高于监测范围，经核实属实，不予纳入。"
        refused = acted[-1] + timedelta(days=2)
        services.reject_application(user=office.clerk2, application_id=application.pk, comment=comment, today=refused)
        backdate(application.pk, [*acted, refused])
        self.counts["records"] += 1

    def self_reports(self, office: Office) -> int:
        """农户自主申报 through the public page's service (the question answered as a farmer reads it);
        the first is taken up at once: the clerk visits today and starts its identification."""
        households = self.pool(office, HouseholdStatus.EXITED)[:4]
        made = 0
        for index, household in enumerate(households):
            risk, description = SELF_REPORTS[index % len(SELF_REPORTS)]
            question, token = leads.issue_challenge(household.village_id)
            left, right = CHALLENGE.search(question).groups()
            lead = leads.submit_self_report(
                village_code=household.village_id,
                name=household.head_name,
                phone=f"13{self.rng.randrange(10**9):09d}",
                description=description,
                risk_type=risk,
                challenge_token=token,
                challenge_answer=str(int(left) + int(right)),
                # The per-address limit is the public page's; each demo farmer writes from a phone of their own.
                address=f"demo-{uuid.uuid4().hex}",
            )
            made += 1
            self.used.add(household.pk)
            if index == 0:
                plan = Plan(household, MonitoringCategory.UNSTABLE_EXITED, [risk], self.today)
                self.identify(office, plan, stop_before="COMPARISON", lead_id=lead.pk)
        return made

    def department_alerts(self, county_user: User, offices: list[Office]) -> int:
        """A small 医保 list uploaded by the county and matched as the upload does: two members of
        demo_clerk's township, one of the next township, one number not registered in the county."""
        members = []
        for office, count in zip(offices, (2, 1), strict=False):
            for household in self.pool(office, HouseholdStatus.EXITED)[:count]:
                self.used.add(household.pk)
                members.append(Member.objects.filter(household=household, is_active=True).order_by("id").first())
        numbers = [member.id_number for member in members if member] + unregistered_numbers(1, self.rng)
        content = department_workbook(
            [(f"名单人员{index}", number, "住院医疗费用个人自付较大") for index, number in enumerate(numbers, 1)]
        )
        job = departments.start_department_list(
            user=county_user,
            uploaded=SimpleUploadedFile("医保部门大额自付人员名单.xlsx", content),
            department=Department.MEDICAL_INSURANCE,
            risk_type=RiskType.ILLNESS,
        )
        job = departments.run_department_list(job.pk)  # what the worker does once the upload is stored
        return job.alert_count


def unregistered_numbers(count: int, rng: random.Random) -> list[str]:
    """Valid ID numbers of demo_county's county that no member holds (the list's 本县未登记 rows)."""
    numbers = []
    while len(numbers) < count:
        birth = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 50))
        first17 = f"{code_prefix(DEMO_COUNTY, RegionLevel.COUNTY)}{birth:%Y%m%d}{rng.randrange(900, 1000):03d}"
        number = first17 + ric.calc_check_digit(first17 + "?")  # stdnum's takes a whole number, ignoring its last
        if number not in numbers and not Member.objects.filter(id_number_hash=id_number_hash(number)).exists():
            numbers.append(number)
    return numbers


def department_workbook(rows: list[tuple[str, str, str]]) -> bytes:
    """A department's list as it arrives: 序号, 姓名, 身份证号, 说明 (core/excel.py's writer)."""
    buffer = io.BytesIO()
    write_workbook(
        buffer,
        [
            Sheet(
                "医保大额自付人员",
                ["序号", "姓名", "身份证号", "说明"],
                ([index, name, number, note] for index, (name, number, note) in enumerate(rows, 1)),
                widths={3: 22, 4: 30},
            )
        ],
    )
    return buffer.getvalue()


def department_list_path() -> Path:
    """Where the demo leaves the list for demo_county to upload (README: the demo)."""
    return Path(settings.VAR_DIR) / "demo" / DEPARTMENT_LIST_NAME


def write_department_list(rng: random.Random, villages: list[str], exclude: set[int]) -> Path:
    """医保部门筛查名单示例.xlsx: DEPARTMENT_LIST_ROWS registered members of demo_county's county
    (three from each of ten villages, households without a waiting 医保 alert) and
    DEPARTMENT_LIST_UNKNOWN numbers not registered in the county. The demo's fake people only."""
    waiting = set(
        MonitoringLead.objects.filter(department=Department.MEDICAL_INSURANCE, status="NEW").values_list(
            "household_id", flat=True
        )
    )
    picked = rng.sample(villages, min(len(villages), 10))
    per_village = math.ceil(DEPARTMENT_LIST_ROWS / max(1, len(picked)))
    members = []
    for village in picked:
        # The village's households first: joined, the planner walked every member in id order
        # looking for the village's (4 s a village at 2,000,000 households).
        households = list(
            Household.objects.filter(village_id=village, status__in=[HouseholdStatus.EXITED, HouseholdStatus.ORDINARY])
            .exclude(pk__in=waiting | exclude)
            .values_list("pk", flat=True)
        )
        candidates = Member.objects.filter(household_id__in=households, is_active=True).order_by("id")[
            : per_village * 8
        ]
        chosen = {}
        for member in candidates:
            chosen.setdefault(member.household_id, member)  # one person a household
        members += rng.sample(list(chosen.values()), min(per_village, len(chosen)))
    members = members[:DEPARTMENT_LIST_ROWS]
    rows = []
    for member in members:
        rows.append((member.name, member.id_number, f"住院费用个人自付{rng.randrange(15, 90) / 10:.1f}万元"))
    unknown = unregistered_numbers(DEPARTMENT_LIST_UNKNOWN, rng)
    rows += [(name, number, "门诊慢特病费用个人自付较大") for name, number in zip(UNKNOWN_NAMES, unknown, strict=False)]
    rng.shuffle(rows)
    path = department_list_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_bytes(department_workbook(rows))
    os.replace(temporary, path)  # a reader never sees half a file
    return path


def story_clerks(township_code: str) -> tuple[User, User]:
    """Two township clerks of a township without demo logins (unusable passwords): the visit and the review."""
    name = Region.objects.get(code=township_code).name
    users = []
    for number, title in ((1, "录入员"), (2, "审核员")):
        user, created = User.objects.get_or_create(
            username=f"demo_office_{code_prefix(township_code, RegionLevel.TOWNSHIP)}_{number}",
            defaults={
                "role": Role.TOWNSHIP_CLERK,
                "region_id": township_code,
                "is_demo": True,
                "last_name": "演示",
                "first_name": f"{name}{title}",
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        users.append(user)
    return users[0], users[1]


def offices(cast: StoryCast) -> tuple[Office, list[Office], list[Office]]:
    """demo_clerk's township; two more townships of demo_county's county; the first township of each other county."""
    clerk_township = cast.clerk.region_id
    by_township: dict[str, list[str]] = {}
    for _, villages in sorted(cast.villages_of.items()):
        for village in villages:
            by_township.setdefault(township_of(village), []).append(village)
    clerk_office = Office(
        clerk_township, by_township[clerk_township], cast.clerk, cast.clerk2, cast.county_users[DEMO_COUNTY]
    )
    county_offices, elsewhere = [], []
    for county in sorted(cast.villages_of):
        townships = sorted(code for code in by_township if county_of(code) == county and code != clerk_township)
        taken = townships[:OTHER_COUNTY_TOWNSHIPS] if county == DEMO_COUNTY else townships[:1]
        for township in taken:
            clerk, clerk2 = story_clerks(township)
            office = Office(township, by_township[township], clerk, clerk2, cast.county_users[county])
            (county_offices if county == DEMO_COUNTY else elsewhere).append(office)
    return clerk_office, county_offices, elsewhere


def tell_monitoring(cast: StoryCast) -> dict:
    """2021 to today: monitoring objects through their procedures, and what waits today."""
    chapter = Chapter(cast)
    clerk_office, county_offices, elsewhere = offices(cast)
    # What waits today first: in a small load it gets its households before the years' records do.
    chapter.waiting_today(clerk_office, clerk_township=True)
    for office in county_offices[:1]:
        chapter.waiting_today(office, clerk_township=False)
    for office, (per_year, every) in (
        [(clerk_office, PER_YEAR["clerk"])]
        + [(office, PER_YEAR["county"]) for office in county_offices]
        + [(office, PER_YEAR["elsewhere"]) for office in elsewhere]
    ):
        plans = chapter.plans(office, per_year, every=every, showcase=office is clerk_office)
        chapter.tell(office, plans, refuse_one=office is clerk_office)
    reports = chapter.self_reports(clerk_office)
    alerts = chapter.department_alerts(cast.county_users[DEMO_COUNTY], [clerk_office, *county_offices])
    monitored = set(MonitoringObject.objects.filter(status__in=OPEN_STATUSES).values_list("household_id", flat=True))
    path = write_department_list(chapter.rng, cast.villages_of[DEMO_COUNTY], monitored)
    return {
        "monitoring_records": chapter.counts["records"],
        "risk_eliminations": chapter.counts["eliminations"],
        "refused_eliminations": chapter.counts["refused_eliminations"],
        "assistance_measures": chapter.counts["measures"],
        "self_reports": reports,
        "department_alerts": alerts,
        "department_list_file": str(path),
    }
