"""What every app's HTML forms share: the Bootstrap look, fields generated from the model,
a service's refusal put back on the form, and the one way a page runs a form through a service.

Forms parse input only; the rules are in the services, which raise `ValidationError` keyed by
field (docs/architecture.md).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

BLANK = [("", "—")]


class BootstrapMixin:
    """Bootstrap 5 classes on every widget, so templates stay plain; a field with an error is outlined red."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxSelectMultiple, forms.CheckboxInput)):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            elif not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("class", "form-control form-control-sm")

    def add_error(self, field, error):
        """Every error, from field cleaning or from a service, also marks its widget `is-invalid`."""
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def error_summary(self, prefix: str = "") -> list[str]:
        """ "字段：原因" lines for the summary at the top of the page."""
        lines = []
        for name, messages_ in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            lines += [f"{prefix}{label}：{message}" if label else f"{prefix}{message}" for message in messages_]
        return lines


def model_field(model, name: str, **overrides) -> forms.Field:
    """The form field of `model`'s field `name` as the model declares it.

    Label, help text, choices (the blank one reading "—"), length, default and the limits of its
    Min/MaxValueValidators come from the model; `overrides` are the form field's keyword
    arguments for what the form does differently (a shorter label, not required, a widget).
    """
    declared = model._meta.get_field(name)
    minimums = [v.limit_value for v in declared.validators if isinstance(v, MinValueValidator)]
    maximums = [v.limit_value for v in declared.validators if isinstance(v, MaxValueValidator)]
    limits = {"min_value": max(minimums)} if minimums else {}
    if maximums:
        limits["max_value"] = min(maximums)
    field = declared.formfield(**{**limits, **overrides})
    if isinstance(field, forms.ChoiceField) and "choices" not in overrides:
        field.choices = [(value, BLANK[0][1] if value == "" else label) for value, label in field.choices]
    return field


def apply_service_errors(error: ValidationError, form: forms.Form, formset=None, row_of=None) -> None:
    """Put a service's field-keyed errors next to the fields that caused them; the rest above the form.

    With a formset, "members.2.name" lands on the field of the row the clerk typed as row 2
    (`row_of` maps the service's row numbers to the formset's, deleted rows skipped).
    """
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages_ in error.message_dict.items():
        parts = key.split(".")
        if formset is not None and parts[0] == "members" and len(parts) == 3:
            target = formset.forms[row_of[int(parts[1])]]
            field = parts[2] if parts[2] in target.fields else None
            for message in messages_:
                target.add_error(field, message)
        elif formset is not None and key == "members":
            formset._non_form_errors = formset.error_class(list(formset.non_form_errors()) + list(messages_))
        else:
            for message in messages_:
                form.add_error(key if key in form.fields else None, message)


# --- actions of a page -------------------------------------------------------------------


@dataclass(frozen=True)
class FormAction:
    """One action of a page: the form that parses it, the service it calls, what the user is told.

    `form(data, user, target)` builds the form, unbound when `data` is None (the page showing it
    empty); `call(data, user, target)` calls the service with the form's data and returns what
    the page needs afterwards; `name` is the form's name in the page's template.
    """

    name: str
    form: Callable[..., forms.Form]
    call: Callable[..., Any]
    success: str


@dataclass
class Outcome:
    form: forms.Form
    done: bool = False
    result: Any = None
    # The service's refusal, already placed on the form; None when the form itself refused.
    refusal: ValidationError | None = None


def service_data(form: forms.Form) -> dict:
    """What a valid form hands to its service: its `service_data()` when it reshapes its input."""
    return form.service_data() if hasattr(form, "service_data") else dict(form.cleaned_data)


def run_action(request, action: FormAction, target) -> Outcome:
    """Bind the action's form to the post, validate it and call the service as the user.

    Done: the success message is queued and the page redirects. Refused, by the form or by the
    service: the errors are on the form and the page shows them its own way (status 400, or a
    message on the page it redirects to).
    """
    form = action.form(request.POST, request.user, target)
    if not form.is_valid():
        return Outcome(form)
    try:
        result = action.call(service_data(form), request.user, target)
    except ValidationError as error:
        apply_service_errors(error, form)
        return Outcome(form, refusal=error)
    messages.success(request, action.success)
    return Outcome(form, done=True, result=result)


def empty_forms(actions: dict[str, FormAction], user, target) -> dict[str, forms.Form]:
    """The unbound form of every action, by its name in the template (actions may share one)."""
    return {action.name: action.form(None, user, target) for action in actions.values()}


def form_of(form_class, **kwargs) -> Callable[..., forms.Form]:
    """The `form` of a FormAction whose form needs only the posted data (and fixed arguments, a prefix)."""
    return lambda data, user, target: form_class(data, **kwargs)
