"""The form renderer (settings.FORM_RENDERER): Django's, with its plain widgets drawn in Python.

Django draws every widget through its template engine: a select of twelve options is thirteen
template renders and includes, and a household page's six action forms spent about a tenth of
the load test's CPU there. The widgets every page uses (the `<input>` kinds, `<select>` with
its options, `<textarea>`) are drawn here with the same markup, character for character
(tests/households/test_widget_rendering.py compares both renderers on a form of every widget kind
and on the clerk's pages); any other widget or template (radio lists, file inputs, the admin's
own) goes through Django's templates as before, and so does every widget if an installed app
overrides one of the templates drawn here.
"""

from functools import cached_property
from pathlib import Path

import django.forms
from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.safestring import SafeData, mark_safe

WIDGETS = "django/forms/widgets/"
INPUT_TEMPLATES = {
    f"{WIDGETS}{name}.html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "tel",
        "search",
        "color",
        "checkbox",
    )
}
SELECT_TEMPLATE = f"{WIDGETS}select.html"
OPTION_TEMPLATE = f"{WIDGETS}select_option.html"
TEXTAREA_TEMPLATE = f"{WIDGETS}textarea.html"
DRAWN_TEMPLATES = INPUT_TEMPLATES | {SELECT_TEMPLATE, OPTION_TEMPLATE, TEXTAREA_TEMPLATE, f"{WIDGETS}attrs.html"}
DJANGO_FORM_TEMPLATES = Path(django.forms.__file__).parent / "templates"

# What `{{ value }}` does in a widget template: local time and number format, then escaping.
_TEMPLATE_CONTEXT = Context(autoescape=True)


def shown(value) -> str:
    """`{{ value }}` in a widget template."""
    return render_value_in_context(value, _TEMPLATE_CONTEXT)


def shown_as_string(value) -> str:
    """`{{ value|stringformat:'s' }}`: str() without number formatting; escaped unless already safe."""
    if isinstance(value, tuple):
        value = str(value)
    try:
        text = "%s" % value  # noqa: UP031 - the filter's own formatting (a tuple would be unpacked)
    except (ValueError, TypeError):
        text = ""
    return shown(mark_safe(text) if isinstance(value, SafeData) else text)  # noqa: S308 - input already safe


def attributes(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: ` name="value"`, a bare name for True, nothing for False."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {shown(name)}" if value is True else f' {shown(name)}="{shown_as_string(value)}"')
    return "".join(parts)


def draw_input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{shown_as_string(widget["value"])}"'
    return f'<input type="{shown(widget["type"])}" name="{shown(widget["name"])}"{value}{attributes(widget["attrs"])}>'


def draw_option(option: dict) -> str:
    value = shown_as_string(option["value"])
    return f'<option value="{value}"{attributes(option["attrs"])}>{shown(option["label"])}</option>'


def draw_select(widget: dict) -> str:
    parts = [f'<select name="{shown(widget["name"])}"{attributes(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{shown(group_name)}">')
        # select_option.html ends with a newline, which its include keeps.
        parts.extend(f"\n  {draw_option(option)}\n" for option in group_choices)
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def draw_textarea(widget: dict) -> str:
    value = shown(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{shown(widget["name"])}"{attributes(widget["attrs"])}>\n{value}</textarea>'


def drawer(template_name: str, widget: dict):
    """The Python drawing of `template_name`, or None when Django's template must draw it."""
    if template_name in INPUT_TEMPLATES:
        return draw_input
    if template_name == TEXTAREA_TEMPLATE:
        return draw_textarea
    if template_name == SELECT_TEMPLATE:
        options = (option for _name, group, _index in widget["optgroups"] for option in group)
        # An option with a template of its own is drawn by Django, and so is its select.
        return draw_select if all(option["template_name"] == OPTION_TEMPLATE for option in options) else None
    return None


class PlainWidgetRenderer(DjangoTemplates):
    """Django's template renderer; the plain widgets drawn in Python, the same markup."""

    @cached_property
    def templates_are_djangos(self) -> bool:
        """Whether every template drawn here is Django's own file, not an installed app's override."""
        return all(
            Path(self.get_template(name).origin.name).is_relative_to(DJANGO_FORM_TEMPLATES) for name in DRAWN_TEMPLATES
        )

    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        drawn = isinstance(widget, dict) and self.templates_are_djangos
        draw = drawer(template_name, widget) if drawn else None
        if draw is None:
            return super().render(template_name, context, request=request)
        # Django's renderer strips what the template drew.
        return draw(widget).strip()
