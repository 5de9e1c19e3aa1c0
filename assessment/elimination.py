"""风险消除's 入户核实: what the clerk's new visit records, cleaned once for the page, the API and the engine.

docs/domain.md §12.7, §12.12. The figures are stored on the application (`Application.figures`)
and judged by assessment/checks.py::risk_elimination_check against this year's monitoring range.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from core.parsing import parse_date, parse_int, parse_money
from monitoring.codes import EliminationMode

MONEY_FIELDS = {
    "income_12_months": "近12个月家庭纯收入（元）",
    "compliant_costs": "合规自付支出（元）",
}
# The findings of the visit, each a yes/no answer; True is what 风险消除 needs except for the last two.
FINDINGS = {
    "rigid_costs_solved": "医疗、教育等刚性支出已稳定解决",
    "housing_safe": "住房安全有保障",
    "education_secured": "义务教育有保障（无失学辍学）",
    "medical_insured": "基本医疗有保障（成员均参加基本医疗保险）",
    "water_safe": "饮水安全有保障",
    "new_risk": "出现新的返贫致贫风险",
    "no_labour_capacity": "整户无劳动能力",
}
# 三保障 and drinking water (docs/domain.md §12.7: 三保障和饮水安全巩固).
SECURITIES = ("housing_safe", "education_secured", "medical_insured", "water_safe")
MAX_MONTHS = 120
CENT = Decimal("0.01")


def clean_elimination_figures(figures: dict | None, *, today: date | None = None) -> dict:
    """The visit's figures, checked and in JSON form (money as strings); errors keyed `figures.<name>`."""
    figures = figures or {}
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}

    def keep(name, parse):
        try:
            cleaned[name] = parse()
        except ValidationError as error:
            errors[f"figures.{name}"] = [message for messages in error.message_dict.values() for message in messages]

    keep("visited_on", lambda: parse_date(figures.get("visited_on"), field="visited_on").isoformat())
    if "visited_on" in cleaned and date.fromisoformat(cleaned["visited_on"]) > today:
        errors["figures.visited_on"] = ["入户核实日期不能晚于今天。"]
    for name in MONEY_FIELDS:
        keep(
            name,
            lambda name=name: str(
                parse_money(figures.get(name, "0" if name == "compliant_costs" else None), field=name).quantize(CENT)
            ),
        )
    keep(
        "months_above_range",
        lambda: parse_int(figures.get("months_above_range"), field="months_above_range", minimum=0, maximum=MAX_MONTHS),
    )
    for name, label in FINDINGS.items():
        value = figures.get(name)
        if not isinstance(value, bool):
            errors[f"figures.{name}"] = [f"请填写“{label}”（是或否）。"]
        cleaned[name] = value
    mode = figures.get("mode")
    if mode not in EliminationMode.values:
        errors["figures.mode"] = ["请选择风险消除方式（帮扶后风险消除或风险自然消除）。"]
    cleaned["mode"] = mode
    if errors:
        raise ValidationError(errors)
    return cleaned
