"""疑点 (data-quality warnings) of a household: docs/domain.md §3.7.

`household_warnings` is the one function that knows the rules; the registry services
store the count on the household after every write, so a township list can filter
on it without recomputing.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from django.utils import timezone

from core.codes import ParameterKey
from core.parsing import is_ascii_digits
from core.policy import PolicyParameterMissing, policy_value

from .codes import (
    DANGEROUS_GRADES,
    Gender,
    HouseholdAttribute,
    HouseholdStatus,
    LaborSkill,
    PovertyCause,
    Relation,
    SchoolStatus,
)
from .income import net_income_per_capita

MALE_RELATIONS = {
    Relation.SON,
    Relation.SON_IN_LAW,
    Relation.GRANDSON,
    Relation.DAUGHTERS_SON,
    Relation.FATHER,
    Relation.WIFES_FATHER,
    Relation.HUSBANDS_FATHER,
    Relation.GRANDFATHER,
    Relation.MATERNAL_GRANDFATHER,
}
FEMALE_RELATIONS = {
    Relation.DAUGHTER,
    Relation.DAUGHTER_IN_LAW,
    Relation.GRANDDAUGHTER,
    Relation.DAUGHTERS_DAUGHTER,
    Relation.MOTHER,
    Relation.WIFES_MOTHER,
    Relation.HUSBANDS_MOTHER,
    Relation.GRANDMOTHER,
    Relation.MATERNAL_GRANDMOTHER,
}
NO_LABOR = {LaborSkill.LOST, LaborSkill.NONE}
IN_SCHOOL_HIGH = {
    SchoolStatus.HIGH_1,
    SchoolStatus.HIGH_2,
    SchoolStatus.HIGH_3,
    SchoolStatus.VOCATIONAL_1,
    SchoolStatus.VOCATIONAL_2,
    SchoolStatus.VOCATIONAL_3,
    SchoolStatus.HIGHER_VOCATIONAL_1,
    SchoolStatus.HIGHER_VOCATIONAL_2,
    SchoolStatus.HIGHER_VOCATIONAL_3,
    SchoolStatus.COLLEGE_PLUS,
}
IN_SCHOOL_PRIMARY_OR_BELOW = {SchoolStatus.PRESCHOOL, SchoolStatus.PRIMARY}
MAX_PLAUSIBLE_PER_CAPITA = 100_000
MAX_ROAD_DISTANCE_KM = 50  # docs/domain.md §3.7 plausibility limits
MAX_ARABLE_MU_PER_PERSON = 50


# Who needs a current 帮扶责任人 (docs/domain.md §9.1): every household of the register that is 未脱贫
# or 已脱贫 (脱贫不脱帮扶: the 过渡期 keeps 帮扶 in place), and every household with an open monitoring
# record (识别中 or 监测中, shown by `monitoring_category`), a 一般农户 included. `needs_helper_q`
# (lists, coverage, pairing) and `helper_need` (one household's 疑点) state the same rule;
# tests/assistance/test_coverage.py checks that they agree on every status.
REGISTER_STATUSES = (HouseholdStatus.POOR, HouseholdStatus.EXITED)
MONITORED_STATUSES = (HouseholdStatus.EXITED, HouseholdStatus.ORDINARY)


def needs_helper_q() -> Q:
    """The households that need a current helper, as a filter on Household."""
    return Q(status__in=REGISTER_STATUSES) | (Q(status__in=MONITORED_STATUSES) & ~Q(monitoring_category=""))


def helper_need(household) -> str:
    """Which kind of household needs a current helper, in Chinese ("" when none): the rule of needs_helper_q."""
    if household.status in MONITORED_STATUSES and household.monitoring_category:
        return f"监测对象（{household.get_monitoring_category_display()}）"
    if household.status == HouseholdStatus.POOR:
        return "未脱贫户"
    if household.status == HouseholdStatus.EXITED:
        return "已脱贫户"
    return ""


@dataclass(frozen=True)
class QualityWarning:
    code: str
    message: str


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def household_warnings(household, *, members=None, incomes=None, open_assignments=None, today=None):
    """Every 疑点 of a household, in the order of the form. Reads related rows if not given."""
    today = today or timezone.localdate()
    members = list(members if members is not None else household.members.filter(is_active=True))
    incomes = list(incomes if incomes is not None else household.incomes.all())
    if open_assignments is None:  # from the pairings the page has read, when it has
        open_assignments = sum(1 for assignment in household.helper_assignments.all() if assignment.end_date is None)
    found: list[QualityWarning] = []

    def warn(code, message):
        found.append(QualityWarning(code, message))

    active = household.status in (
        HouseholdStatus.CANDIDATE,
        HouseholdStatus.POOR,
        HouseholdStatus.EXITED,
        HouseholdStatus.ORDINARY,
    )
    if active and not members:
        warn("no_members", "在册户没有家庭成员。")
    phone = household.phone or ""
    if phone and (len(phone) != 11 or not is_ascii_digits(phone)):
        warn("phone_length", "联系电话不是11位数字。")
    if not open_assignments and (need := helper_need(household)):
        warn("no_helper", f"{need}没有结对帮扶责任人。")

    if active and household.housing_area_m2 == 0:
        warn("housing_area_zero", "住房面积为0。")
    if household.distance_to_main_road_km > MAX_ROAD_DISTANCE_KM:
        warn("road_distance", f"与村主干路距离超过{MAX_ROAD_DISTANCE_KM}公里。")
    if members and household.arable_land_mu / len(members) > MAX_ARABLE_MU_PER_PERSON:
        warn("arable_land", f"人均耕地超过{MAX_ARABLE_MU_PER_PERSON}亩。")
    if household.irrigated_land_mu > household.arable_land_mu:
        warn("irrigated_land", "有效灌溉面积大于耕地面积。")
    if household.status == HouseholdStatus.EXITED and household.house_safety_grade in DANGEROUS_GRADES:
        warn("exited_dangerous_house", "已脱贫户仍住危房（C级或D级）。")
    if household.status == HouseholdStatus.EXITED and not household.water_safe:
        warn("exited_unsafe_water", "已脱贫户饮水安全尚未解决。")

    head = next((member for member in members if member.relation == Relation.HEAD), None)
    spouse = next((member for member in members if member.relation == Relation.SPOUSE), None)
    if head and spouse and head.gender == spouse.gender:
        warn("same_sex_couple", "户主与配偶性别相同。")
    for member in members:
        age = age_on(member.birth_date, today)
        if member.relation in MALE_RELATIONS and member.gender == Gender.FEMALE:
            warn("relation_gender", f"{member.name}：与户主关系“{member.get_relation_display()}”与性别（女）不符。")
        if member.relation in FEMALE_RELATIONS and member.gender == Gender.MALE:
            warn("relation_gender", f"{member.name}：与户主关系“{member.get_relation_display()}”与性别（男）不符。")
        if 16 <= age <= 60 and member.health == ["01"] and member.labor_skill in NO_LABOR:
            warn("healthy_no_labor", f"{member.name}：劳动年龄内且健康，却标为丧失或无劳动力。")
        if bool(member.work_location) != (member.work_months > 0):
            warn("work_months", f"{member.name}：务工状况与务工时间不一致。")
        if member.labor_skill in NO_LABOR and member.work_location:
            warn("no_labor_working", f"{member.name}：无劳动能力却外出务工。")
        if age <= 14 and member.school_status in IN_SCHOOL_HIGH:
            warn("too_young_for_school", f"{member.name}：14岁及以下却为高中及以上在校生。")
        if age >= 20 and member.school_status in IN_SCHOOL_PRIMARY_OR_BELOW:
            warn("too_old_for_school", f"{member.name}：20岁及以上却为小学及以下在校生。")
        if 6 <= age <= 15 and member.school_status == SchoolStatus.NOT_IN_SCHOOL:
            warn("dropout", f"{member.name}：义务教育阶段适龄儿童未在校。")

    causes = {household.main_cause}
    if PovertyCause.ILLNESS in causes and members and all(member.health == ["01"] for member in members):
        warn("illness_all_healthy", "主要致贫原因为因病，但家庭成员均健康。")
    if PovertyCause.EDUCATION in causes and not any(
        member.school_status and member.school_status != SchoolStatus.NOT_IN_SCHOOL for member in members
    ):
        warn("education_no_student", "主要致贫原因为因学，但家庭成员中没有在校生。")
    if PovertyCause.DISABILITY in causes and not any("04" in member.health for member in members):
        warn("disability_no_disabled", "主要致贫原因为因残，但家庭成员中没有残疾人。")

    latest = max(incomes, key=lambda income: income.year, default=None)
    if latest is not None:
        figures = net_income_per_capita(latest)
        if figures.net_income_per_capita <= 0 or figures.net_income_per_capita > MAX_PLAUSIBLE_PER_CAPITA:
            warn("income_implausible", f"{latest.year}年人均纯收入为{figures.net_income_per_capita:.2f}元，明显异常。")
        if latest.business_income > 0 and latest.business_expense == 0:
            warn("business_no_expense", f"{latest.year}年有生产经营性收入但无生产经营性支出。")
        workers = any(member.work_location for member in members)
        if latest.wage_income > 0 and not workers:
            warn("wage_no_worker", f"{latest.year}年有工资性收入但无务工人员。")
        if household.attribute == HouseholdAttribute.DIBAO and latest.dibao_benefit == 0:
            warn("dibao_no_benefit", f"低保贫困户{latest.year}年低保金为0。")
        if household.status == HouseholdStatus.EXITED:
            try:
                line = policy_value(ParameterKey.POVERTY_LINE, year=latest.year, region_code=household.village_id)
            except PolicyParameterMissing:
                line = None
            if line is not None and figures.net_income_per_capita <= line:
                warn("exited_below_line", f"已脱贫户{latest.year}年人均纯收入未超过当年扶贫标准{line:.0f}元。")
    return found
