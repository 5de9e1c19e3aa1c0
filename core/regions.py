"""The 12-digit 统计用区划代码 and the arithmetic on it, in one place (docs/domain.md §区划代码).

A code is a materialised path: digits 1–2 name the province, 3–4 the city, 5–6 the county,
7–9 the township and 10–12 the village, zeros filling what a higher level leaves out. The
scoping rule, policy parameters by region and every roll-up derive from these functions; no
other module slices a code by hand.
"""

from django.db import models


class RegionLevel(models.TextChoices):
    PROVINCE = "province", "省"
    CITY = "city", "市"
    COUNTY = "county", "县"
    TOWNSHIP = "township", "乡镇"
    VILLAGE = "village", "村"


LEVEL_DIGITS = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
    RegionLevel.VILLAGE: 12,
}

CHILD_LEVEL = {
    RegionLevel.PROVINCE: RegionLevel.CITY,
    RegionLevel.CITY: RegionLevel.COUNTY,
    RegionLevel.COUNTY: RegionLevel.TOWNSHIP,
    RegionLevel.TOWNSHIP: RegionLevel.VILLAGE,
}


def level_of(code: str) -> str:
    """The level a 12-digit code names: the shortest prefix after which only zeros follow."""
    for level in (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP):
        if code[LEVEL_DIGITS[level] :].strip("0") == "":
            return level
    return RegionLevel.VILLAGE


def code_prefix(code: str, level: str | None = None) -> str:
    """The significant digits of `code` at `level` (by default the level the code names)."""
    return code[: LEVEL_DIGITS[level or level_of(code)]]


def code_at(code: str, level: str) -> str:
    """The 12-digit code of the ancestor of `code` at `level` (itself when it is at that level)."""
    return code[: LEVEL_DIGITS[level]].ljust(12, "0")


def county_of(code: str) -> str:
    """The 12-digit code of the county that `code` lies in."""
    return code_at(code, RegionLevel.COUNTY)


def township_of(code: str) -> str:
    """The 12-digit code of the township that `code` lies in."""
    return code_at(code, RegionLevel.TOWNSHIP)


def ancestor_codes(code: str, *, include_self: bool = False) -> list[str]:
    """Codes of the ancestors of `code`, province first (and `code` itself last if asked)."""
    own_level = level_of(code)
    codes = []
    for level in LEVEL_DIGITS:
        if level == own_level:
            break
        codes.append(code_at(code, level))
    if include_self:
        codes.append(code)
    return codes


def same_county(code: str, other: str) -> bool:
    return county_of(code) == county_of(other)
