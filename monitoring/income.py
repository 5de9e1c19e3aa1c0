"""The income rule of monitoring, once (docs/domain.md §12.3): the figure judged and the line it is judged against.

`assessed_income` and `within_range` are pure arithmetic; `line_for` reads the province's
`MonitoringLine` of the year and, where the province has none, falls back to
MONITORING_INCOME_MULTIPLIER × the national poverty line, flagged unverified (docs/domain.md §12.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from core.codes import ParameterKey
from core.policy import PolicyParameterMissing, policy_value
from core.regions import RegionLevel, code_at

from .models import MonitoringLine

CENT = Decimal("0.01")
# The national poverty line ends with 2020 (docs/domain.md §7.1); later years of the fallback use it.
LAST_NATIONAL_LINE_YEAR = 2020


@dataclass(frozen=True)
class Line:
    """The monitoring range a figure is judged against: 元 per person and year, and its provenance."""

    province_code: str
    year: int
    amount: Decimal
    is_verified: bool
    source: str


def assessed_income(*, income_12_months: Decimal, compliant_costs: Decimal, members: int) -> Decimal:
    """Income per person judged by monitoring: (income over the 12 months before the application
    − 合规自付支出) / household members, in 元 to the cent (half up).

    docs/domain.md §12.3. May be negative when the costs exceed the income.
    """
    if members < 1:
        raise ValueError("members must be at least 1")
    net = Decimal(income_12_months) - Decimal(compliant_costs)
    return (net / members).quantize(CENT, rounding=ROUND_HALF_UP)


def within_range(income_per_person: Decimal, line: Line | Decimal) -> bool:
    """Whether the income per person is within the monitoring range: at or below the line.

    "…元以下" includes the figure itself (the convention of Chinese rules, docs/domain.md §12.3).
    """
    amount = line.amount if isinstance(line, Line) else Decimal(line)
    return Decimal(income_per_person) <= amount


def line_for(province_code: str, year: int) -> Line:
    """The monitoring range of the province of `province_code` (any code inside it) in `year`.

    The province's MonitoringLine row; without one, MONITORING_INCOME_MULTIPLIER × the national
    poverty line of the year (of 2020 for the years after it), never verified. Raises
    PolicyParameterMissing when neither exists.
    """
    province = code_at(province_code, RegionLevel.PROVINCE)
    row = MonitoringLine.objects.filter(province_id=province, year=year).first()
    if row is not None:
        return Line(province, year, row.amount, row.is_verified, row.source)
    national_year = min(year, LAST_NATIONAL_LINE_YEAR)
    multiplier = policy_value(ParameterKey.MONITORING_INCOME_MULTIPLIER, year=year, region_code=province)
    try:
        poverty_line = policy_value(ParameterKey.POVERTY_LINE, year=national_year, region_code=province)
    except PolicyParameterMissing:
        raise PolicyParameterMissing(f"no MonitoringLine for {province} {year} and no poverty line") from None
    amount = (multiplier * poverty_line).quantize(CENT, rounding=ROUND_HALF_UP)
    source = f"本省{year}年监测范围未录入：按{national_year}年扶贫标准的{multiplier}倍估算，未核实"
    return Line(province, year, amount, False, source)
