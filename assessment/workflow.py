"""The step table of every application kind: data, read by the one engine (assessment/services.py).

docs/architecture.md (Decisions: one workflow engine) and docs/domain.md §5.3–5.8, §6.3–6.5.
A step is an action by a role at a scope level, a 公示 (publicity period whose days come from a PolicyParameter), or the
closing 公告 that the engine records when the last action approves.
"""

from dataclasses import dataclass

from core.codes import ParameterKey, Role

from .codes import ApplicationKind

ACTION, PUBLICITY, ANNOUNCEMENT = "action", "publicity", "announcement"


@dataclass(frozen=True)
class Step:
    code: str
    name: str
    kind: str = ACTION
    role: str = ""
    notice_days_key: str = ""
    # An action step whose approval records a finding: the comment is required and says it (its label).
    comment_label: str = ""

    @property
    def is_publicity(self) -> bool:
        return self.kind == PUBLICITY


def publicity(code: str, name: str, key: str = ParameterKey.HOUSEHOLD_NOTICE_DAYS) -> Step:
    return Step(code, name, PUBLICITY, notice_days_key=key)


_HOUSEHOLD_IDENTIFICATION = (
    Step("EVALUATION", "民主评议", role=Role.TOWNSHIP_CLERK),
    publicity("VILLAGE_NOTICE", "村内公示"),
    Step("TOWNSHIP_REVIEW", "乡镇审核", role=Role.TOWNSHIP_CLERK),
    publicity("SECOND_NOTICE", "第二次公示"),
    Step("COUNTY_DECISION", "县审定", role=Role.COUNTY_REVIEWER),
    Step("ANNOUNCEMENT", "公告", ANNOUNCEMENT),
)


# 防止返贫动态监测 (docs/domain.md §12.6, §12.7, §12.12): the clerk's 入户核实 with the 承诺授权书 starts it
# (the submitter's step); the township's other clerk records the comparison and the evaluation, one
# 公示 in the village, the township reviews, the county decides, the village announces.
def _monitoring_steps(visit: str, announcement: str) -> tuple[Step, ...]:
    return (
        Step("VISIT", visit, role=Role.TOWNSHIP_CLERK),
        Step("COMPARISON", "信息比对", role=Role.TOWNSHIP_CLERK, comment_label="信息比对结果"),
        Step("EVALUATION", "民主评议", role=Role.TOWNSHIP_CLERK, comment_label="民主评议结果"),
        publicity("VILLAGE_NOTICE", "村内公示", ParameterKey.MONITORING_NOTICE_DAYS),
        Step("TOWNSHIP_REVIEW", "乡镇审核", role=Role.TOWNSHIP_CLERK),
        Step("COUNTY_DECISION", "县级审定", role=Role.COUNTY_REVIEWER),
        Step("ANNOUNCEMENT", announcement, ANNOUNCEMENT),
    )


STEPS: dict[str, tuple[Step, ...]] = {
    ApplicationKind.IDENTIFICATION: _HOUSEHOLD_IDENTIFICATION,
    ApplicationKind.RETURN: _HOUSEHOLD_IDENTIFICATION,
    ApplicationKind.HOUSEHOLD_EXIT: (
        Step("EVALUATION", "民主评议及农户认可", role=Role.TOWNSHIP_CLERK),
        publicity("VILLAGE_NOTICE", "村内公示"),
        Step("TOWNSHIP_REVIEW", "乡镇审核", role=Role.TOWNSHIP_CLERK),
        Step("COUNTY_DECISION", "县审定", role=Role.COUNTY_REVIEWER),
        Step("ANNOUNCEMENT", "公告退出", ANNOUNCEMENT),
    ),
    # 清退 (错评剔除): the identification steps without the second notice (docs/domain.md §5.7).
    ApplicationKind.REMOVAL: (
        Step("EVALUATION", "民主评议", role=Role.TOWNSHIP_CLERK),
        publicity("VILLAGE_NOTICE", "村内公示"),
        Step("TOWNSHIP_REVIEW", "乡镇审核", role=Role.TOWNSHIP_CLERK),
        Step("COUNTY_DECISION", "县审定", role=Role.COUNTY_REVIEWER),
        Step("ANNOUNCEMENT", "公告清退", ANNOUNCEMENT),
    ),
    # 自然销户: reported with its evidence, checked by the township, decided by the county; no 公示 (§5.8).
    ApplicationKind.CLOSURE: (
        Step("REPORT", "村报告（附证明材料）", role=Role.TOWNSHIP_CLERK),
        Step("TOWNSHIP_REVIEW", "乡镇审核", role=Role.TOWNSHIP_CLERK),
        Step("COUNTY_DECISION", "县审定", role=Role.COUNTY_REVIEWER),
        Step("ANNOUNCEMENT", "销户", ANNOUNCEMENT),
    ),
    ApplicationKind.VILLAGE_EXIT: (
        Step("TOWNSHIP_PROPOSAL", "乡镇提出", role=Role.TOWNSHIP_CLERK),
        publicity("TOWNSHIP_NOTICE", "乡镇内公示"),
        Step("COUNTY_DECISION", "县审定", role=Role.COUNTY_REVIEWER),
        Step("ANNOUNCEMENT", "公告退出", ANNOUNCEMENT),
    ),
    ApplicationKind.COUNTY_EXIT: (
        Step("COUNTY_PROPOSAL", "县提出", role=Role.COUNTY_REVIEWER),
        Step("CITY_REVIEW", "市初审", role=Role.CITY_REVIEWER),
        Step("PROVINCE_CHECK", "省核查", role=Role.PROVINCE_STAFF),
        publicity("PROVINCE_NOTICE", "省级公示", ParameterKey.COUNTY_EXIT_NOTICE_WORKDAYS),
        Step("PROVINCE_DECISION", "省审定", role=Role.PROVINCE_STAFF),
        Step("ANNOUNCEMENT", "批准退出", ANNOUNCEMENT),
    ),
    ApplicationKind.MONITORING_IDENTIFICATION: _monitoring_steps("入户核实（签署承诺授权书）", "公告纳入监测"),
    ApplicationKind.RISK_ELIMINATION: _monitoring_steps("入户核实（风险消除情况）", "公告风险消除"),
}
