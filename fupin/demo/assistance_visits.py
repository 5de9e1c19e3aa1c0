"""The demo's 帮扶日志 (docs/domain.md §9.6): about one visit a month to every household that needs a
helper, by its current helper since the pairing began: a year of them in demo_clerk's township,
the last two months elsewhere (each visit costs its checks and its history row: a year everywhere
made the demo load five minutes longer for pages nobody opens in the demo).

Through assistance.visits.record_visits, with record_visit's checks on every row (scope, the
helper paired now, the date neither in the future nor before the household is on record), by
the township's clerk in demo_clerk's township and by the county's reviewer elsewhere; one bulk
insert per batch, no scans. Deterministic: a seeded generator over the pairings in id order.

Who is on the 未按期走访 list, on purpose and explained by the data:
- about GAP_SHARE of the households, whose last visit is 40–80 days old: the whole family works
  away, and that last visit says so (户主外出务工, 电话联系, 返乡后入户);
- the newest monitoring objects that wait for a helper (fupin/demo/assistance_pairing.py) were
  visited once, at their 入户核实, by the township; they are listed once the interval has passed.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Min
from django.utils import timezone

from assistance import visits
from core.regions import code_prefix, county_of
from households.models import HelperAssignment, Household
from households.quality import needs_helper_q
from monitoring.codes import OPEN_STATUSES
from monitoring.models import MonitoringObject

from .story import StoryCast

CHAPTER_SEED = 16  # this chapter's draws, apart from the others'
YEAR = timedelta(days=365)
RECENT = timedelta(days=60)  # elsewhere: the last visits; a family away keeps its year (its gap is 40–80 days)
GAP_SHARE = 0.005
LAST_VISIT_DAYS = (1, 26)  # days before today of a regular household's last visit
GAP_DAYS = (40, 80)  # … and of a household whose family works away
BETWEEN_DAYS = (24, 34)  # days between two visits
BATCH = 20_000

FINDINGS = (
    "家中生产生活正常，玉米、马铃薯长势良好，饮水安全，住房安全。",
    "户主在县城务工，月收入约3000元，子女在校就读正常。",
    "家中老人慢性病需长期服药，已办理慢病卡，报销正常。",
    "养殖牛羊，当前存栏稳定，饲草储备充足。",
    "了解到家庭今年收入较上年有所增加，主要来自务工和养殖。",
    "家中一人残疾，残疾人两项补贴按月发放到位。",
    "住房为安全住房，冬季取暖燃料已备足。",
    "义务教育阶段子女均在校，享受营养餐和寄宿生活补助。",
)
ACTIONS = (
    "宣讲产业扶持和务工就业政策。",
    "协助申请小额信贷用于扩大养殖。",
    "对接乡镇卫生院开展家庭医生签约服务。",
    "推荐参加县人社局组织的职业技能培训。",
    "帮助联系合作社收购农产品。",
    "核实收入台账并请户主签字确认。",
    "",
)
FOLLOW_UPS = (
    "下月入户了解务工收入情况。",
    "跟进小额信贷审批进度。",
    "关注老人病情，必要时协助申请医疗救助。",
    "培训开班后通知参加。",
    "",
)
AWAY = (
    "全家外出务工，入户时家中无人，已电话联系户主，家庭情况正常。",
    "返乡后及时入户走访，核实务工收入。",
)
CHECK_VISIT = (
    "入户核实：家庭发生风险，已填写排查表并发起防返贫监测识别。",
    "待县级认定后结对帮扶责任人，落实帮扶措施。",
)


def _dates(rng: random.Random, first: date, today: date, away: bool) -> list[date]:
    """About one visit a month from `first` to today, the newest first; at least one once `first` has come."""
    low, high = GAP_DAYS if away else LAST_VISIT_DAYS
    day = today - timedelta(days=rng.randint(low, high))
    found = []
    while day >= first:
        found.append(day)
        day -= timedelta(days=rng.randint(*BETWEEN_DAYS))
    if not found and first <= today:
        found.append(first + timedelta(days=rng.randint(0, (today - first).days)))
    return found


def _paired_rows(rng: random.Random, today: date, clerk_prefix: str) -> tuple[dict, int]:
    """The visits of every household with a current helper that needs one, by village; and how many are away.

    The first such household of demo_clerk's township is always away, so the clerk's list shows one.
    """
    pairs = (
        HelperAssignment.objects.filter(end_date__isnull=True, household__in=Household.objects.filter(needs_helper_q()))
        .order_by("household_id", "start_date", "helper_id")
        .values_list("household_id", "helper_id", "start_date")
    )
    current = {}
    for household_id, helper_id, start in pairs:
        current.setdefault(household_id, (helper_id, start))  # the earliest current pairing of each household
    households = Household.objects.filter(pk__in=list(current)).only(
        "pk", "village_id", "identified_year", "created_at"
    )
    households = list(households.order_by("pk"))
    first_days = visits.registration_days(households)
    rows, away_count, shown = defaultdict(list), 0, False
    for household in households:
        helper_id, start = current[household.pk]
        away = rng.random() < GAP_SHARE or (household.village_id.startswith(clerk_prefix) and not shown)
        shown = shown or (away and household.village_id.startswith(clerk_prefix))
        away_count += away
        span = YEAR if away or household.village_id.startswith(clerk_prefix) else RECENT
        first = max(today - span, start, first_days[household.pk])
        for index, day in enumerate(_dates(rng, first, today, away)):
            findings, follow_up = AWAY if away and index == 0 else (rng.choice(FINDINGS), rng.choice(FOLLOW_UPS))
            actions = "" if away and index == 0 else rng.choice(ACTIONS)
            rows[household.village_id].append(
                visits.VisitRow(household.pk, day, findings, actions, follow_up, helper_id=helper_id)
            )
    return rows, away_count


def _waiting_rows(today: date, paired: set[int]) -> dict:
    """The 入户核实 of open monitoring records whose household has no helper yet, recorded by the township."""
    opened = (
        MonitoringObject.objects.filter(status__in=OPEN_STATUSES)
        .exclude(household_id__in=paired)
        .values("household_id", "household__village_id")
        .annotate(first=Min("discovered_on"))
        .order_by("household_id")
    )
    households = Household.objects.filter(pk__in=[row["household_id"] for row in opened])
    first_days = visits.registration_days(households.only("pk", "identified_year", "created_at"))
    rows = defaultdict(list)
    for row in opened:
        day = min(max(row["first"], first_days[row["household_id"]]), today)
        findings, follow_up = CHECK_VISIT
        rows[row["household__village_id"]].append(
            visits.VisitRow(row["household_id"], day, findings, follow_up=follow_up)
        )
    return rows


def tell_visits(cast: StoryCast) -> dict:
    """A year of visits by the current helpers, and the 入户核实 of monitoring objects still waiting for one."""
    rng = random.Random(CHAPTER_SEED)
    today = timezone.localdate()
    clerk_prefix = code_prefix(cast.clerk.region_id)
    by_village, away = _paired_rows(rng, today, clerk_prefix)
    paired = {row.household_id for rows in by_village.values() for row in rows}
    for village, rows in _waiting_rows(today, paired).items():
        by_village[village].extend(rows)
    by_recorder = defaultdict(list)
    for village, rows in sorted(by_village.items()):
        recorder = cast.clerk if village.startswith(clerk_prefix) else cast.county_users[county_of(village)]
        by_recorder[recorder].extend(rows)
    written = 0
    for recorder, rows in by_recorder.items():
        for start in range(0, len(rows), BATCH):
            written += visits.record_visits(user=recorder, rows=rows[start : start + BATCH], today=today)
    return {
        "visits": written,
        "visits_away": away,
        "visits_not_visited": visits.not_visited(cast.province_user, today=today).count(),
    }
