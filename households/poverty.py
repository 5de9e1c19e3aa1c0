"""Who counts as poor in a year: the one definition (docs/domain.md §7.4).

A household is poor at the end of year Y when it had been identified by then
(identified_year ≤ Y) and had not exited by the end of Y: it is 未脱贫, or 已脱贫 with an exit
year after Y. 拟识别, 清退 and 自然销户 households never count. "Poor now" is poor at the
end of the current year, so the home page, the region pages (households/counts.py) and the
incidence on the dashboard (assessment/statistics.py) count the same households for the same
region and year; the ratings (assessment/ratings.py) build on the same condition.
"""

from django.utils import timezone

from .codes import HouseholdStatus

POOR = HouseholdStatus.POOR.value
EXITED = HouseholdStatus.EXITED.value


def _columns(table: str) -> str:
    return f"{table}." if table else ""


def poor_at_end_of_year_sql(year: str, *, table: str = "") -> str:
    """SQL condition on households_household: the household was poor at the end of `year`.

    `year` is SQL text, a placeholder such as "%(year)s"; `table` is the alias the statement
    gives households_household, if any. Exit years are whole years, so an exit in Y ends the
    household's poverty within Y: it is not poor at the end of Y.
    """
    h = _columns(table)
    return (
        f"({h}identified_year <= {year}"
        f" AND ({h}status = '{POOR}' OR ({h}status = '{EXITED}' AND {h}exit_year > {year})))"
    )


def exited_in_year_sql(year: str, *, table: str = "") -> str:
    """SQL condition: the household left poverty during `year` (已脱贫 with that exit year)."""
    h = _columns(table)
    return f"({h}status = '{EXITED}' AND {h}exit_year = {year})"


def current_year() -> int:
    """The year whose end "poor now" refers to."""
    return timezone.localdate().year
