"""历史数据导入: the first load of an existing province's records, with their status and original years.

Every other way into the registry enters a household as 拟识别, to become 未脱贫 only by an
approved 识别 (docs/domain.md §5.1). Records that went through 识别 and 退出 before the system
existed are loaded once, explicitly, by a county reviewer or province staff
(Action.LOAD_HISTORICAL_RECORDS): the households keep their status, identification year and
exit year, and their log gets the adjustments they went through, back-dated as effective years
(新识别 in the identification year, 脱贫 in the exit year, 清退/自然销户 in the exit year or else
the identification year), so the yearly figures read them like any other log
(households/poverty.py). One HistoricalLoad row says who loaded which file, when, and how many.
The 采集表 import's HISTORICAL mode (households/imports/) and the demo province (COPY) both end here.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from core.permissions import Action, require
from villages.models import Region

from ..codes import AdjustmentKind, HouseholdStatus
from ..models import HistoricalLoad, ImportJob
from ..poverty import current_year, refresh_poverty_years
from ..signals import announce_figures_changed

# Statuses a historical record may carry (清退 and 自然销户 stay off the active list).
HISTORICAL_STATUSES = (
    HouseholdStatus.CANDIDATE,
    HouseholdStatus.POOR,
    HouseholdStatus.EXITED,
    HouseholdStatus.REMOVED,
    HouseholdStatus.CANCELLED,
)

LOAD_CHUNK = 20_000

_C, _P, _E = HouseholdStatus.CANDIDATE.value, HouseholdStatus.POOR.value, HouseholdStatus.EXITED.value

# The adjustments a loaded record went through, back-dated: recorded today, effective in its years.
BACKDATED_ADJUSTMENTS_SQL = f"""
INSERT INTO households_adjustmentrecord
       (household_id, member_id, kind, member_reason, from_status, to_status, year, effective_date,
        effective_year, reason, created_by_id, created_at)
SELECT h.id, NULL, step.kind, '', step.from_status, step.to_status, %(year)s, %(today)s,
       step.effective_year, %(reason)s, %(user)s, now()
  FROM households_household h
 CROSS JOIN LATERAL (
       VALUES ('{AdjustmentKind.NEW.value}', '{_C}', '{_P}', h.identified_year, 1),
              ('{AdjustmentKind.EXITED.value}', '{_P}', '{_E}', h.exit_year, 2),
              (h.status, '{_P}', h.status, GREATEST(COALESCE(h.exit_year, h.identified_year), h.identified_year), 3)
       ) AS step(kind, from_status, to_status, effective_year, position)
 WHERE h.id = ANY(%(ids)s::bigint[])
   AND h.status <> '{_C}'
   AND (step.position = 1
        OR (step.position = 2 AND h.status = '{_E}' AND h.exit_year IS NOT NULL)
        OR (step.position = 3 AND h.status NOT IN ('{_P}', '{_E}')))
 ORDER BY h.id, step.position
"""  # noqa: S608 - constant SQL text; every value is a parameter


def write_backdated_log(household_ids: list[int], *, user, reason: str) -> None:
    """Write the steps records with their own status and years went through into their log, back-dated.

    For households loaded with their history (a historical load), and for a household whose
    status predates its log (written outside the services) at its first status change.
    """
    today = timezone.localdate()
    ids = sorted(household_ids)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), LOAD_CHUNK):
            cursor.execute(
                BACKDATED_ADJUSTMENTS_SQL,
                {
                    "ids": ids[start : start + LOAD_CHUNK],
                    "year": today.year,
                    "today": today,
                    "reason": reason,
                    "user": getattr(user, "pk", None),
                },
            )


def require_historical_load(user) -> None:
    """Only a county reviewer or province staff loads historical records."""
    require(user, Action.LOAD_HISTORICAL_RECORDS)


def historical_load_reason(original_name: str) -> str:
    """The reason every back-dated step of a load carries: the load's name, as its audit row has it."""
    return f"历史数据导入：{original_name}"


def log_loaded_households(household_ids: list[int], *, user, original_name: str) -> None:
    """Back-date the log of just-loaded households and fold their poor years.

    `record_historical_load` does it for the whole load; a load written part by part (the demo
    province, township by township) does it for each part while the part is still in memory, then
    writes the audit row with `logged=True`.
    """
    require_historical_load(user)
    ids = sorted(household_ids)
    write_backdated_log(ids, user=user, reason=historical_load_reason(original_name))
    refresh_poverty_years(ids)


@transaction.atomic
def record_historical_load(
    *,
    user,
    region_code: str,
    original_name: str,
    household_ids: list[int],
    member_count: int,
    import_job: ImportJob | None = None,
    announce: bool = True,
    logged: bool = False,
) -> HistoricalLoad:
    """Back-date the log of just-loaded households, fold their poor years, and write the audit row.

    The caller has inserted the households (with status, identified_year and exit_year as the
    records say) in this transaction; `region_code` is the loaded area (in the user's scope).
    With `logged` the caller has already logged every part with `log_loaded_households` under
    the same `original_name`. Without `announce` no figures_changed is sent: a caller that loads
    a whole province (the demo) recomputes the figures itself.
    """
    require_historical_load(user)
    region = Region.objects.visible_to(user).get(code=region_code)
    ids = sorted(household_ids)
    if not logged:
        log_loaded_households(ids, user=user, original_name=original_name)
    load = HistoricalLoad.objects.create(
        loaded_by=user,
        region=region,
        original_name=original_name[:200],
        import_job=import_job,
        household_count=len(ids),
        member_count=member_count,
    )
    if announce:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT village_id, min(identified_year) FROM households_household"
                " WHERE id = ANY(%s::bigint[]) GROUP BY village_id",
                [ids],
            )
            for village_code, year in cursor.fetchall():
                announce_figures_changed(village_code, range(year, current_year() + 1))
    return load
