"""The one way to read a number, year, region code, amount or date typed by a user.

API bodies and filters, HTML forms, query strings and 采集表 cells all come through here, so
that one rule holds everywhere (docs/architecture.md): full-width digits (０-９, what a Chinese
input method types) are read as ASCII digits, and then only ASCII digits are accepted —
never `str.isdigit()`, which is true for '²' and '٣' that `int()` then refuses or misreads.
Every value is bounded to what the domain allows (years of core.years, amounts up to the
MAX_AMOUNT policy parameter, dates in 1900–2100); NaN, infinities and exponents are refused.
A bad value raises `ValidationError({field: "中文消息"})`: the API handler answers 400 with it,
a form shows it under the field, an import row lists it.
"""

import math
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from .codes import ParameterKey
from .policy import PolicyParameterMissing, policy_value
from .regions import CODE_DIGITS
from .years import FIRST_YEAR, LAST_YEAR

FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2100, 12, 31)

# The money columns are DECIMAL(14, 2): the hard ceiling whatever MAX_AMOUNT says.
MONEY_COLUMN_MAX = Decimal("999999999999.99")
MONEY_PLACES = 2

# The largest value of an integer column; a count or a row id typed by a user is at most this.
MAX_INTEGER = 2**31 - 1

# Longer text is not a number anyone typed; refusing it first keeps int() and Decimal() cheap.
MAX_NUMBER_LENGTH = 40

# Full-width digits, point, signs and the ideographic space (U+3000) -> ASCII.
_FULL_WIDTH = str.maketrans(
    {
        **{chr(0xFF10 + digit): str(digit) for digit in range(10)},
        "．": ".",
        "－": "-",
        "＋": "+",
        "／": "/",
        "，": ",",
        "\u3000": " ",
    }
)
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?", re.ASCII)
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})", re.ASCII)


def normalise_digits(text: str) -> str:
    """`text` with full-width digits, point and signs made ASCII, and outer spaces removed."""
    return text.translate(_FULL_WIDTH).strip()


def is_ascii_digits(value) -> bool:
    """True for a non-empty string of 0-9 only (what `str.isdigit()` is mistaken for)."""
    return isinstance(value, str) and bool(_DIGITS.fullmatch(value))


def _refuse(field: str, message: str):
    raise ValidationError({field: message})


def _text(value, field: str, label: str) -> str:
    if not isinstance(value, str):
        _refuse(field, f"{label}格式不正确。")
    text = normalise_digits(value)
    if not text:
        _refuse(field, f"请填写{label}。")
    if len(text) > MAX_NUMBER_LENGTH:
        _refuse(field, f"{label}过长。")
    return text


def _bounded(number, field: str, minimum, maximum):
    if minimum is not None and number < minimum:
        _refuse(field, f"不能小于{minimum}。")
    if maximum is not None and number > maximum:
        _refuse(field, f"不能大于{maximum}。")
    return number


def parse_int(value, *, field: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number written in ASCII or full-width digits, within [minimum, maximum]."""
    if isinstance(value, bool):
        _refuse(field, "请填写整数。")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float | Decimal) and _is_finite(value) and value == int(value):
        # Spreadsheet cells and JSON numbers: 3.0 is 3, 3.5 is not a whole number.
        number = int(value)
    elif isinstance(value, str):
        text = _text(value, field, "整数")
        if not _INTEGER.fullmatch(text):
            _refuse(field, "请填写整数（只能包含数字）。")
        number = int(text)
    else:
        _refuse(field, "请填写整数。")
    return _bounded(number, field, minimum, maximum)


def parse_year(value, *, field: str = "year", minimum: int = FIRST_YEAR, maximum: int = LAST_YEAR) -> int:
    """A year of core.years (2013–2100 unless the caller says otherwise)."""
    try:
        return parse_int(value, field=field, minimum=minimum, maximum=maximum)
    except ValidationError:
        _refuse(field, f"年度应为{minimum}至{maximum}之间的四位数字。")


def parse_region_code(value, *, field: str) -> str:
    """A full 12-digit statistical region code (docs/domain.md §3)."""
    text = normalise_digits(value) if isinstance(value, str) else ""
    if len(text) != CODE_DIGITS or not _DIGITS.fullmatch(text):
        _refuse(field, "区划代码应为12位数字。")
    return text


def parse_region_prefix(value, *, field: str) -> str:
    """The leading digits of region codes (at most 12), as prefix filters take them ("6229")."""
    text = normalise_digits(value) if isinstance(value, str) else ""
    if len(text) > CODE_DIGITS or not _DIGITS.fullmatch(text):
        _refuse(field, "区划代码应为1至12位数字。")
    return text


def _is_finite(value) -> bool:
    return value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)


def parse_decimal(
    value,
    *,
    field: str,
    minimum: Decimal | int | None = None,
    maximum: Decimal | int | None = None,
    places: int | None = None,
) -> Decimal:
    """A finite decimal number (no exponent, NaN or infinity), within bounds, with at most `places` decimals."""
    if isinstance(value, bool):
        _refuse(field, "请填写数字。")
    if isinstance(value, Decimal | int | float):
        if not _is_finite(value):
            _refuse(field, "请填写有效的数字。")
        # str() of a float is its shortest round-trip form: 0.1 stays 0.1.
        text = format(Decimal(str(value)), "f")
    else:
        text = _text(value, field, "数字")
    if len(text) > MAX_NUMBER_LENGTH or not _DECIMAL.fullmatch(text):
        _refuse(field, "请填写有效的数字（只能包含数字和小数点）。")
    try:
        number = Decimal(text)
    except InvalidOperation:
        _refuse(field, "请填写有效的数字。")
    if places is not None and -number.as_tuple().exponent > places:
        # 12.50 has two places even when the trailing zero is written.
        if number != number.quantize(Decimal(1).scaleb(-places)):
            _refuse(field, f"最多保留{places}位小数。")
        number = number.quantize(Decimal(1).scaleb(-places))
    return _bounded(number, field, minimum, maximum)


def money_maximum() -> Decimal:
    """The largest amount of one entry: the MAX_AMOUNT parameter, never above what the columns hold."""
    try:
        return min(policy_value(ParameterKey.MAX_AMOUNT), MONEY_COLUMN_MAX)
    except PolicyParameterMissing:
        return MONEY_COLUMN_MAX


def parse_money(value, *, field: str, minimum: Decimal | int = 0, maximum: Decimal | None = None) -> Decimal:
    """An amount in 元: finite, ≥ minimum (0), ≤ the MAX_AMOUNT parameter, at most 2 decimals.

    Thousands separators as the pages print them ("100,000.00") are accepted.
    """
    if isinstance(value, str) and _GROUPED.fullmatch(text := normalise_digits(value)):
        value = text.replace(",", "")
    try:
        number = parse_decimal(value, field=field, places=MONEY_PLACES)
    except ValidationError:
        _refuse(field, "请输入金额（元），最多两位小数。")
    if number < minimum:
        _refuse(field, "金额不能为负数。" if minimum == 0 else f"金额不能小于{minimum}元。")
    ceiling = money_maximum() if maximum is None else maximum
    if number > ceiling:
        _refuse(field, f"金额不能超过{ceiling:,.2f}元，请核对单位（元）。")
    return number


def parse_date(value, *, field: str, minimum: date = FIRST_DATE, maximum: date = LAST_DATE) -> date:
    """A calendar date (YYYY-MM-DD, full-width digits allowed) within minimum..maximum."""
    if isinstance(value, datetime):
        parsed = value.date()
    elif isinstance(value, date):
        parsed = value
    else:
        text = _text(value, field, "日期")
        match = _ISO_DATE.fullmatch(text.replace("/", "-"))
        if not match:
            _refuse(field, "日期格式应为YYYY-MM-DD。")
        try:
            parsed = date(*(int(part) for part in match.groups()))
        except ValueError:
            _refuse(field, "日期不存在，请检查年月日。")
    if not minimum <= parsed <= maximum:
        _refuse(field, f"日期应在{minimum:%Y-%m-%d}至{maximum:%Y-%m-%d}之间。")
    return parsed


# Query-string filters: absent or empty means "no filter" (None); anything else must parse.


def _given(params, name: str):
    value = params.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


def optional_int(params, name: str, **bounds) -> int | None:
    value = _given(params, name)
    return None if value is None else parse_int(value, field=name, **bounds)


def optional_year(params, name: str = "year", **bounds) -> int | None:
    value = _given(params, name)
    return None if value is None else parse_year(value, field=name, **bounds)


def optional_region_code(params, name: str) -> str | None:
    value = _given(params, name)
    return None if value is None else parse_region_code(value, field=name)


def optional_region_prefix(params, name: str) -> str | None:
    value = _given(params, name)
    return None if value is None else parse_region_prefix(value, field=name)


def optional_date(params, name: str, **bounds) -> date | None:
    value = _given(params, name)
    return None if value is None else parse_date(value, field=name, **bounds)


def optional_decimal(params, name: str, **bounds) -> Decimal | None:
    value = _given(params, name)
    return None if value is None else parse_decimal(value, field=name, **bounds)


def optional_money(params, name: str) -> Decimal | None:
    value = _given(params, name)
    return None if value is None else parse_money(value, field=name)


# Validators for DRF serializer fields, Django form fields and model fields, from the same
# functions. A field validator must raise a bare message (the field is known to its caller).


def _field_message(check):
    def validate(value):
        if value is None or value == "":
            return
        try:
            check(value)
        except ValidationError as error:
            raise ValidationError(
                [message for messages in error.message_dict.values() for message in messages]
            ) from None

    return validate


def money_validator(value):
    """parse_money's bounds (≥0, ≤ MAX_AMOUNT, finite) on an already-typed Decimal."""
    _field_message(lambda amount: parse_money(amount, field="amount"))(value)


def date_validator(value):
    """parse_date's sane range (1900-01-01..2100-12-31) on an already-typed date."""
    _field_message(lambda day: parse_date(day, field="date"))(value)


def year_validator(value):
    """parse_year's range (core.years) on an already-typed year."""
    _field_message(lambda year: parse_year(year, field="year"))(value)


def finite_decimal_validator(value):
    """No NaN or infinity in an already-typed Decimal."""
    _field_message(lambda number: parse_decimal(number, field="number"))(value)
