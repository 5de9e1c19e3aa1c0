"""Households with the adjustment log their status and years stand for.

"Poor at the end of year Y" derives from the log (households/poverty.py), so a test that
means "poor since 2015, exited in 2019" writes those adjustments rather than the columns.
"""

from datetime import date

from households.models import AdjustmentRecord, Household
from households.poverty import refresh_poverty_years


def with_history(household, *, status="POOR", identified_year=2015, exit_year=None):
    """Give a household the adjustment log its status and years stand for (the log is what
    "poor at the end of Y" derives from, households/poverty.py): 新识别 in `identified_year`,
    脱贫 in `exit_year`; 清退 and 自然销户 in the identification year, so never counted."""
    Household.objects.filter(pk=household.pk).update(
        status=status, identified_year=identified_year, exit_year=exit_year
    )
    AdjustmentRecord.objects.filter(household=household).exclude(to_status="").delete()
    steps = [("NEW", "POOR", identified_year)]
    if status == "EXITED":
        steps.append(("EXITED", "EXITED", exit_year))
    elif status in ("REMOVED", "CANCELLED"):
        steps.append((status, status, identified_year))
    for kind, to_status, year in steps:
        AdjustmentRecord.objects.create(
            household=household,
            kind=kind,
            to_status=to_status,
            year=year,
            effective_year=year,
            effective_date=date(year, 12, 31),
            reason="测试数据",
        )
    refresh_poverty_years([household.pk])
    household.refresh_from_db()
    return household
