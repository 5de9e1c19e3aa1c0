"""Reads of the households' 公示: the village's printed 公示 list and the public board (docs/domain.md §5.10).

A household application is in 公示 while its current step is an open 公示 step (the engine opens
it with its period and closes it when the next step acts; a send-back or refusal cancels it).
What a 公示 may show is the policy's, stated once here for both readers: the 户主's name, the
village and 村民小组, the number of people and what is announced (识别, 退出 …) — never an ID
number, phone, bank account or income, and no 致贫原因 or risk type either, since 因病/因残 and a
monitoring record's risks are health details (docs/domain.md §5.10, §12.6).
"""

from dataclasses import dataclass, field
from datetime import date

from villages.models import Region

from .codes import ApplicationKind, ApplicationStatus, StepStatus
from .models import ApplicationStep

# The household kinds whose procedure has a 公示 in the village, and the title of its list.
PUBLICITY_TITLES = {
    ApplicationKind.IDENTIFICATION: "拟识别贫困户公示",
    ApplicationKind.RETURN: "返贫户公示",
    ApplicationKind.HOUSEHOLD_EXIT: "贫困户退出公示",
    ApplicationKind.REMOVAL: "贫困户清退公示",
    ApplicationKind.MONITORING_IDENTIFICATION: "拟纳入防返贫监测对象公示",
    ApplicationKind.RISK_ELIMINATION: "防返贫监测对象风险消除公示",
}


@dataclass
class PublicitySheet:
    """One 公示 list: one kind, step and period of one village's applications."""

    title: str
    kind_label: str
    step_name: str
    year: int
    starts_on: date
    ends_on: date
    is_running: bool
    rows: list[dict] = field(default_factory=list)

    @property
    def population(self) -> int:
        return sum(row["member_count"] or 0 for row in self.rows)


def _open_publicity_steps(steps, village: Region):
    """The open 公示 steps of the village's household applications in review, among `steps`."""
    return steps.filter(
        kind="publicity",
        status=StepStatus.OPEN,
        application__status=ApplicationStatus.IN_REVIEW,
        application__kind__in=list(PUBLICITY_TITLES),
        application__region=village,
        application__household__isnull=False,
    )


# The only columns a 公示 reads: plain values, so nothing else of the household reaches a template.
ROSTER_FIELDS = (
    "application__kind",
    "application__year",
    "name",
    "starts_on",
    "ends_on",
    "application__household__head_name",
    "application__household__group_name",
    "application__household__member_count",
)


def _sheets(village: Region, steps, today: date) -> list[PublicitySheet]:
    sheets: dict[tuple, PublicitySheet] = {}
    rows = steps.order_by(
        "application__kind", "name", "starts_on", "ends_on", "application__household__group_name", "application_id"
    ).values(*ROSTER_FIELDS)
    for row in rows:
        kind = ApplicationKind(row["application__kind"])
        key = (kind, row["application__year"], row["name"], row["starts_on"], row["ends_on"])
        if key not in sheets:
            title = f"{village.name}{row['application__year']}年{PUBLICITY_TITLES[kind]}"
            if row["name"] != "村内公示":
                title += f"（{row['name']}）"
            sheets[key] = PublicitySheet(
                title=title,
                kind_label=kind.label,
                step_name=row["name"],
                year=row["application__year"],
                starts_on=row["starts_on"],
                ends_on=row["ends_on"],
                is_running=row["starts_on"] <= today <= row["ends_on"],
            )
        sheets[key].rows.append(
            {
                "head_name": row["application__household__head_name"],
                "village": village.name,
                "group_name": row["application__household__group_name"],
                "member_count": row["application__household__member_count"],
                "kind_label": kind.label,
            }
        )
    return list(sheets.values())


def village_publicity_sheets(user, village: Region, today: date) -> list[PublicitySheet]:
    """The 公示 lists a village posts: its household applications whose current step is a 公示
    (running, or past its end and waiting for the next step), one list per kind, step and period.

    Scoped: the applications the user may see (the caller has found the village in scope)."""
    steps = _open_publicity_steps(ApplicationStep.objects.visible_to(user), village).filter(starts_on__lte=today)
    return _sheets(village, steps, today)


def public_household_notices(village: Region, today: date) -> list[PublicitySheet]:
    """The village's household 公示 running today, for the public board: deliberately unscoped (it is
    public) and narrower than the printed list — the board shows names and the village only."""
    steps = _open_publicity_steps(ApplicationStep.objects.all(), village)
    steps = steps.filter(starts_on__lte=today, ends_on__gte=today)
    sheets = _sheets(village, steps, today)
    for sheet in sheets:
        sheet.rows = [{"head_name": row["head_name"], "village": row["village"]} for row in sheet.rows]
    return sheets
