"""人均纯收入 (net income per capita) of a household's year: the formula, once (docs/domain.md §3.4).

Pure arithmetic on the items of an income record; no database access. The registry's
services, its pages and reports, the 疑点 rules and the standard checks of applications all
compute it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

# The items of a year's income as the form lists them (三、上年度收入), the expense last.
INCOME_ITEMS = [
    "wage_income",
    "business_income",
    "asset_dividend_income",
    "other_property_income",
    "family_planning_subsidy",
    "dibao_benefit",
    "tekun_benefit",
    "pension",
    "eco_compensation",
    "other_transfer_income",
    "business_expense",
]


class IncomeItems(Protocol):
    """What the formula reads: each of INCOME_ITEMS and the household size (an IncomeRecord)."""

    wage_income: Decimal
    business_income: Decimal
    asset_dividend_income: Decimal
    other_property_income: Decimal
    family_planning_subsidy: Decimal
    dibao_benefit: Decimal
    tekun_benefit: Decimal
    pension: Decimal
    eco_compensation: Decimal
    other_transfer_income: Decimal
    business_expense: Decimal
    household_size: int


@dataclass(frozen=True)
class IncomeFigures:
    property_income: Decimal
    transfer_income: Decimal
    gross_income: Decimal
    net_income: Decimal
    net_income_per_capita: Decimal


def net_income_per_capita(income: IncomeItems) -> IncomeFigures:
    """人均纯收入 = (工资性 + 生产经营性 + 财产性 + 转移性 − 生产经营性支出) / 家庭人口数.

    docs/domain.md §3.4. Exact Decimal; rounded only for display.
    """
    property_income = income.asset_dividend_income + income.other_property_income
    transfer_income = (
        income.family_planning_subsidy
        + income.dibao_benefit
        + income.tekun_benefit
        + income.pension
        + income.eco_compensation
        + income.other_transfer_income
    )
    gross = Decimal(income.wage_income) + income.business_income + property_income + transfer_income
    net = gross - income.business_expense
    return IncomeFigures(property_income, transfer_income, gross, net, net / Decimal(income.household_size))
