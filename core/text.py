"""What text the system stores, and what it writes out of text it already holds.

Text typed or pasted by users (a 村民小组 copied from Word, a name from a chat window) can carry
characters no one sees: control characters, which openpyxl refuses, so one of them stops every
export of a county; zero-width characters, which make an empty-looking name; and bidi overrides,
which make a name read differently from what is stored. `clean_text` refuses them with a Chinese
message keyed by the field; `check_text_fields` applies it to every text field of a model
instance, which is how the services (`full_clean`), the import and the pre-save guard registered
in core/apps.py see it. `sanitise_for_export` removes them from what is already stored, so no
stored value can stop an export (core/excel.py).
"""

import functools
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.db import models

from .transfer import TransferJob

# Bidi embeddings/overrides (U+202A–U+202E) and isolates (U+2066–U+2069): they reorder what is shown.
BIDI_CONTROLS = frozenset(chr(code) for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
# Zero-width space, joiners, word joiner, BOM: invisible inside a one-line value.
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
LINE_BREAKS = frozenset("\n\r\u2028\u2029")
MULTILINE_ALLOWED = frozenset("\n\r\t")

# What openpyxl refuses in a cell (its ILLEGAL_CHARACTERS_RE) and what else an export must not carry.
_EXPORT_REMOVED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


# Every character text_problem may refuse (Cc, Cs, line breaks, tab, bidi controls, zero-width):
# a value with none of them is refused only when nothing in it is visible.
_SUSPECT = re.compile(
    "[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b-\u200d\u2060\ufeff]"
)


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cs")


def _is_visible(char: str) -> bool:
    return unicodedata.category(char)[0] not in ("C", "Z") and char not in ZERO_WIDTH


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` may not be stored (a Chinese sentence), or None."""
    if not value:
        return None
    if _SUSPECT.search(value) is None:  # the usual case, read at C speed
        return None if any(_is_visible(char) for char in value) else "不能只包含空格或不可见字符。"
    for char in value:
        if multiline and char in MULTILINE_ALLOWED:
            continue
        if char in LINE_BREAKS or char == "\t":
            return "不能包含换行符或制表符。"
        if _is_control(char):
            return f"含有不可见的控制字符（U+{ord(char):04X}），请删除后重新填写。"
        if char in BIDI_CONTROLS:
            return f"含有改变文字方向的控制字符（U+{ord(char):04X}），请删除后重新填写。"
        if not multiline and char in ZERO_WIDTH:
            return f"含有零宽字符（U+{ord(char):04X}），请删除后重新填写。"
    if not any(_is_visible(char) for char in value):
        return "不能只包含空格或不可见字符。"
    return None


def clean_text(value, *, field: str, multiline: bool = False) -> str:
    """`value` if it may be stored (CR LF read as LF where multiline); else ValidationError({field: ...})."""
    if value is None:
        return value
    text = str(value)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if problem := text_problem(text, multiline=multiline):
        raise ValidationError({field: [problem]})
    return text


@functools.cache
def text_fields(model) -> list[models.Field]:
    """The user-written text fields of `model`: editable CharField/TextField without choices."""
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField)
        and field.editable
        and not field.choices
        and not field.primary_key
    ]


def text_errors(instance, *, prefix: str = "", exclude=()) -> dict[str, list[str]]:
    """{prefix + field name: [message]} for every text field of `instance` that may not be stored."""
    errors = {}
    state = instance.__dict__  # read directly: each attribute is a Python-level descriptor
    for name, attname, multiline in _checked_text(type(instance)):
        if name in exclude:
            continue
        value = state[attname] if attname in state else getattr(instance, attname)
        if isinstance(value, str) and (problem := text_problem(value, multiline=multiline)):
            errors[f"{prefix}{name}"] = [problem]
    return errors


@functools.cache
def _checked_text(model) -> list[tuple[str, str, bool]]:
    """(name, attname, whether it may hold line breaks) of each of text_fields(model)."""
    return [(field.name, field.attname, isinstance(field, models.TextField)) for field in text_fields(model)]


def check_text_fields(instance, *, prefix: str = "", exclude=()) -> None:
    """Raise ValidationError keyed by field if a text field of `instance` holds what clean_text refuses."""
    if errors := text_errors(instance, prefix=prefix, exclude=exclude):
        raise ValidationError(errors)


def sanitise_for_export(value):
    """`value` without the characters an xlsx cannot hold or should not show; non-strings unchanged."""
    if not isinstance(value, str):
        return value
    return _EXPORT_REMOVED.sub("", value)


# The apps whose rows users write (app labels; the kernel's own rows are written by the system).
CHECKED_APPS = frozenset({"villages", "households", "projects", "funds", "assessment"})
# Rows that record a transfer (file names as uploaded, error messages) are the system's, not user text.
UNCHECKED_MODELS = frozenset({"households.historicalload"})


def refuse_unclean_text(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """pre_save guard: no save of a user-data model stores text that clean_text refuses.

    Services check text in full_clean (households.services.validation.full_clean_or_raise) with
    the member prefix; this catches every other save (admin, a service without full_clean).
    """
    meta = sender._meta
    if raw or meta.app_label not in CHECKED_APPS or meta.label_lower in UNCHECKED_MODELS:
        return
    if issubclass(sender, TransferJob):
        return
    if update_fields is not None:
        # A save of named fields (a status, a counter) is not refused for text it does not write.
        others = {field.name for field in text_fields(sender)} - set(update_fields)
        check_text_fields(instance, exclude=others)
    else:
        check_text_fields(instance)
