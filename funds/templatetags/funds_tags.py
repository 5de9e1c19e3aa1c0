from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def yuan(value) -> str:
    """Decimal("1234567.5") → "1,234,567.50" (display only; sums and comparisons stay Decimal)."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):,.2f}"


@register.filter
def widget(field):
    """The field's widget, marked is-invalid (red, with aria-invalid) when it has errors."""
    if not field.errors:
        return field.as_widget()
    classes = f"{field.field.widget.attrs.get('class', '')} is-invalid".strip()
    return field.as_widget(attrs={"class": classes, "aria-invalid": "true"})
