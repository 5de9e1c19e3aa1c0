"""What makes a rating scheme usable (docs/domain.md §8.2): known indicators, weights, grade lines.

Below the models, which validate a scheme on save, and the ratings, which apply it.
"""

from decimal import Decimal

from .codes import QUARTERS

INDICATOR_NAMES = {
    "REDUCTION": "减贫成效",
    "IDENTIFICATION": "精准识别",
    "ASSISTANCE": "精准帮扶",
    "FUNDS": "扶贫资金",
}
VETO_NAMES = {"WRONG_EXIT_RATE": "错退率超限", "DATA_FRAUD": "数据造假"}


def validate_scheme(scheme) -> dict[str, list[str]]:
    """What makes a scheme usable: known indicators, weights summing to 100, ordered thresholds."""
    errors: dict[str, list[str]] = {}
    try:
        codes = [indicator["code"] for indicator in scheme.indicators]
        weights = [Decimal(str(indicator["weight"])) for indicator in scheme.indicators]
    except (TypeError, KeyError, ArithmeticError):
        return {"indicators": ['指标应为 [{"code", "name", "weight"}] 列表。']}
    unknown = [code for code in codes if code not in INDICATOR_NAMES]
    if unknown:
        errors["indicators"] = [f"未知指标：{'、'.join(unknown)}。可用：{'、'.join(INDICATOR_NAMES)}。"]
    elif sum(weights) != 100:
        errors["indicators"] = [f"指标权重合计应为100，现为{sum(weights)}。"]
    try:
        thresholds = [Decimal(str(scheme.grade_thresholds[grade])) for grade in ("A", "B", "C")]
        if not thresholds[0] > thresholds[1] > thresholds[2]:
            errors["grade_thresholds"] = ["等级分数线应满足 A > B > C。"]
    except (TypeError, KeyError, ArithmeticError):
        errors["grade_thresholds"] = ['等级分数线应为 {"A": 90, "B": 80, "C": 70} 形式。']
    try:
        quarter_weights = [Decimal(str(scheme.quarter_weights[quarter])) for quarter in QUARTERS]
        if sum(quarter_weights) != 1:
            errors["quarter_weights"] = [f"季度权重合计应为1，现为{sum(quarter_weights)}。"]
    except (TypeError, KeyError, ArithmeticError):
        errors["quarter_weights"] = ['季度权重应为 {"Q1": 0.2, "Q2": 0.2, "Q3": 0.2, "Q4": 0.4} 形式。']
    if any(rule.get("code") not in VETO_NAMES for rule in scheme.veto_rules or []):
        errors["veto_rules"] = [f"一票否决规则代码应为：{'、'.join(VETO_NAMES)}。"]
    return errors
