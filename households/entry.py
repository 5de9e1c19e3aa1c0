"""Fast data entry on the household form: the defaults a new form starts with, and the ID check
shown as soon as the clerk leaves an ID box (docs/domain.md §3.5, §3.6, §4.7).

The check is the save's own validator (households/idnumbers.py normalize_id_number), so the
page never says "valid" of a number the save refuses, nor the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError

from core.codes import ParameterKey
from core.policy import PolicyParameterMissing, policy_value

from .codes import Ethnicity, Gender
from .idnumbers import birth_date_of, gender_of, normalize_id_number
from .poverty import current_year


def default_ethnicity(region_code: str | None) -> str:
    """The 民族 a new member starts with where the household lives: the DEFAULT_ETHNICITY parameter of
    the region or its nearest ancestor (a 民族自治县 sets its own), as a code ("26"); else 汉族."""
    try:
        value = policy_value(ParameterKey.DEFAULT_ETHNICITY, region_code=region_code or None)
    except PolicyParameterMissing:
        return Ethnicity.HAN
    code = f"{int(value):02d}"
    return code if code in Ethnicity.values else Ethnicity.HAN


def default_identified_year() -> int:
    """识别年度 of a new household: the current work year (the year a write that names none is in)."""
    return current_year()


@dataclass(frozen=True)
class IdCheck:
    """What the page says of a typed ID number: the reason it is refused, or what it tells."""

    error: str = ""
    birth_date: date | None = None
    gender: str = ""
    upgraded: bool = False  # a 15-digit number the save upgrades to 18

    @property
    def gender_label(self) -> str:
        return Gender(self.gender).label if self.gender else ""


def check_id_number(raw: str) -> IdCheck | None:
    """The save's validator on a typed number; None when there is nothing to check (blank, or the
    masked number an edit shows, which stands for the stored one)."""
    typed = (raw or "").strip()
    if not typed or "*" in typed:
        return None
    try:
        number = normalize_id_number(typed)
    except ValidationError as error:
        return IdCheck(error=error.messages[0])
    compact = "".join(typed.split())
    return IdCheck(birth_date=birth_date_of(number), gender=gender_of(number), upgraded=len(compact) == 15)
