from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

register = template.Library()


@register.filter
def percent(value, places: int = 2) -> str:
    """0.0251 → "2.51%", rounded half up for display only (comparisons use the raw value)."""
    if value is None or value == "":
        return "—"
    quantum = Decimal(1).scaleb(-int(places))
    return f"{(Decimal(value) * 100).quantize(quantum, rounding=ROUND_HALF_UP)}%"


NO_DATA = "无数据"


@register.filter
def figure(value) -> str:
    """A count of the incidence figures, or 无数据 when the region has none (never a 0 it does not have)."""
    if value is None or value == "":
        return NO_DATA
    return intcomma(value)


@register.filter
def incidence(value) -> str:
    """贫困发生率 as a percentage, or 无数据 without a denominator."""
    if value is None or value == "":
        return NO_DATA
    return percent(value)
