from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()


@register.filter
def percent(value, places: int = 2) -> str:
    """0.0251 → "2.51%", rounded half up for display only (comparisons use the raw value)."""
    if value is None or value == "":
        return "—"
    quantum = Decimal(1).scaleb(-int(places))
    return f"{(Decimal(value) * 100).quantize(quantum, rounding=ROUND_HALF_UP)}%"
