"""居民身份证号码 rules (GB 11643-1999, docs/domain.md §3.6): one place for all of them."""

import functools
import hmac
import re
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric
from stdnum.util import isdigits

from core.parsing import is_ascii_digits, normalise_digits

from .codes import Gender

ID_ERRORS = {
    stdnum_errors.InvalidLength: "身份证号码应为18位（15位旧号码会自动升位）。",
    stdnum_errors.InvalidFormat: "身份证号码前17位应为数字，末位为数字或X。",
    stdnum_errors.InvalidChecksum: "身份证号码校验位错误，请核对后重新输入。",
    stdnum_errors.InvalidComponent: "身份证号码中的出生日期或地址码无效。",
}


def check_character(first17: str) -> str:
    """The 18th character of the number whose first 17 digits these are (0–9 or X)."""
    return ric.calc_check_digit(first17 + "0")  # stdnum reads the digits before the last


def upgrade_15_to_18(number: str) -> str:
    """First-generation 15-digit numbers: insert "19" before the year, append the check digit."""
    first17 = number[:6] + "19" + number[6:]
    return first17 + check_character(first17)


def normalize_id_number(raw: str) -> str:
    """A valid 18-digit number in canonical form, or ValidationError with the reason in Chinese."""
    # Spaces typed between the groups go; a full-width Ｘ is what some input methods type.
    typed = "".join(normalise_digits(raw or "").split())
    if typed.isascii() and "-" not in typed:
        number = typed.upper()  # what ric.compact does to ASCII without separators, without its per-character pass
    else:
        number = ric.compact(typed.replace("Ｘ", "X").replace("ｘ", "X"))
    if len(number) == 15 and is_ascii_digits(number):
        number = upgrade_15_to_18(number)
    if len(number) == 18 and not (is_ascii_digits(number[:17]) and (is_ascii_digits(number[17]) or number[17] == "X")):
        raise ValidationError(ID_ERRORS[stdnum_errors.InvalidFormat], code="invalid_id_number")
    try:
        birth = _validate(number)
    except stdnum_errors.ValidationError as error:
        message = next((text for kind, text in ID_ERRORS.items() if isinstance(error, kind)), "身份证号码无效。")
        raise ValidationError(message, code="invalid_id_number") from error
    # Two days before the UTC date is before today in every time zone: most births need no time zone.
    if birth >= datetime.now(UTC).date() - timedelta(days=2) and birth > timezone.localdate():
        raise ValidationError("身份证号码中的出生日期晚于今天。", code="invalid_id_number")
    return number


def _validate(number: str) -> date:
    """ric.validate of a compacted number, with its address-code lookup (a scan of stdnum's table)
    cached: the same checks in the same order, so an import of thousands of people of one county
    stays fast. Returns the birth date it read."""
    if len(number) != 18:
        raise stdnum_errors.InvalidLength()
    if not isdigits(number[:-1]):
        raise stdnum_errors.InvalidFormat()
    if number[-1] != ric.calc_check_digit(number):
        raise stdnum_errors.InvalidChecksum()
    try:  # ric.get_birth_date, without compacting the number a third time
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise stdnum_errors.InvalidComponent() from None
    if not _address_code_valid(number[:6], birth.year):
        raise stdnum_errors.InvalidComponent()
    return birth


@functools.lru_cache(maxsize=8192)
def _address_code_valid(address_code: str, year: int) -> bool:
    """Whether the 6-digit address code was assigned in `year` (ric.get_birth_place reads only these)."""
    try:
        ric.get_birth_place(f"{address_code}{year:04d}0101")
    except stdnum_errors.InvalidComponent:
        return False
    return True


def birth_date_of(number: str) -> date:
    """The birth date of a normalised (valid, 18-digit) number: digits 7–14."""
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def gender_of(number: str) -> str:
    """The 17th digit: odd is male, even is female."""
    return Gender.MALE if int(number[16]) % 2 else Gender.FEMALE


def id_number_hash(number: str) -> str:
    """Keyed hash (HMAC-SHA256) of a normalised number: the blind index for uniqueness and search."""
    # hmac.digest: OpenSSL's one-shot HMAC, the same value as hmac.new(...).hexdigest() without
    # building an HMAC object per number (an import hashes tens of thousands, the demo millions).
    return hmac.digest(settings.ID_HMAC_KEY.encode(), number.encode(), "sha256").hex()


# A query holding 7 digits or more in a row may be part of an ID number past its 6-digit region
# code (the birth date follows), or of a phone: it does not go into a URL. The live search sends
# every prefix as it is typed, so a shorter limit than a whole number is what keeps them out.
LONG_NUMBER = re.compile(r"[0-9]{7,}")
# Shaped like a whole ID number (15 digits, or 17 and a check digit or X), valid or not.
ID_SHAPED = re.compile(r"[0-9]{15}|[0-9]{17}[0-9Xx]")


def _compact(query: str) -> str:
    """A typed number in ASCII (full-width digits and Ｘ too), without spaces or dashes."""
    return re.sub(r"[\s-]", "", normalise_digits(query or "").replace("Ｘ", "X").replace("ｘ", "X")).upper()


def holds_long_number(query: str) -> bool:
    return bool(LONG_NUMBER.search(_compact(query)))


def is_id_shaped(query: str) -> bool:
    return bool(ID_SHAPED.fullmatch(_compact(query)))


def id_search_hash(query: str) -> str | None:
    """The keyed hash to search by when `query` is a valid ID number (15 or 18 digits), else None."""
    query = _compact(query)
    if not ID_SHAPED.fullmatch(query):
        return None
    try:
        return id_number_hash(normalize_id_number(query))
    except ValidationError:
        return None


def mask_id_number(number: str) -> str:
    """620102********1234: region code and last four kept (docs/architecture.md (Decisions: personal data))."""
    if not number:
        return ""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    if not phone:
        return ""
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else "*" * len(phone)
