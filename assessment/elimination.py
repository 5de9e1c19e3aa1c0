"""风险消除's 入户核实: the clerk's new visit, cleaned by one function for the page, the API and the engine.

docs/domain.md §12.7, §12.12. The figures are stored on the application (`Application.figures`)
and judged by assessment/checks.py::risk_elimination_check against this year's monitoring range:
the visit is of this year and not before the record's 纳入 (a backdated visit would be judged
against an older, lower range), and the household's member count at the visit is kept with them
(a member change during the steps does not change the verdict).
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


def whole_months(start: date, end: date) -> int:
    """Whole months from `start` to `end` (0 when `end` is earlier): 1 March → 31 March is 0, → 1 April is 1."""
    months = (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)
    return max(months, 0)


def clean_elimination_figures(figures: dict | None, *, record, today: date | None = None) -> dict:
    """The visit of the 监测中 `record`, checked and in JSON form (money as strings), with the household's
    member count at the visit (`member_count`, not an input); errors keyed `figures.<name>`.

    The visit is not after today, in today's year (风险消除 is judged against this year's range) and
    not before the record's 纳入 (`identified_on`); the months above the range are at most the whole
    months from the record's `discovered_on` to the visit.
    """
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
    visited_on = date.fromisoformat(cleaned["visited_on"]) if "visited_on" in cleaned else None
    if visited_on is not None:
        if visited_on > today:
            errors["figures.visited_on"] = ["入户核实日期不能晚于今天。"]
        elif visited_on.year != today.year:
            errors["figures.visited_on"] = [
                f"风险消除按本年度（{today.year}年）监测范围核查，入户核实日期须在{today.year}年内，请重新入户核实。"
            ]
        elif record.identified_on and visited_on < record.identified_on:
            errors["figures.visited_on"] = [
                f"入户核实日期不能早于纳入监测之日（{record.identified_on:%Y年%m月%d日}）。"
            ]
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
    if visited_on is not None and "figures.visited_on" not in errors and "months_above_range" in cleaned:
        most = whole_months(record.discovered_on, visited_on)
        if cleaned["months_above_range"] > most:
            errors["figures.months_above_range"] = [
                f"自发现风险之日（{record.discovered_on:%Y年%m月%d日}）至入户核实日只有{most}个整月，"
                f"收入高于监测范围的月数最多填{most}。"
            ]
    cleaned["member_count"] = record.household.member_count
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


def unprefixed(error: ValidationError) -> ValidationError:
    """The errors keyed "figures.<name>" keyed "<name>", for the page's form and the API's flat body."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({key.removeprefix("figures."): messages for key, messages in error.message_dict.items()})
