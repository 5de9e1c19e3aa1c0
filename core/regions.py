"""The 12-digit 统计用区划代码 and the arithmetic on it, in one place (docs/domain.md §2.1).

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
CODE_DIGITS = LEVEL_DIGITS[RegionLevel.VILLAGE]

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


def code_prefix_at_most(code: str, level: str) -> str:
    """The significant digits of `code`, cut to `level` when the code names a deeper level:
    a province or city keeps its own prefix, a township or village gives its county's."""
    return code[: min(LEVEL_DIGITS[level_of(code)], LEVEL_DIGITS[level])]


def code_of_prefix(prefix: str) -> str:
    """The 12-digit code a prefix names, zeros filling the rest: "6229" -> "622900000000"."""
    return prefix.ljust(CODE_DIGITS, "0")


def code_at(code: str, level: str) -> str:
    """The 12-digit code of the ancestor of `code` at `level` (itself when it is at that level)."""
    return code_of_prefix(code[: LEVEL_DIGITS[level]])


def child_code(parent_code: str, number: int) -> str:
    """The 12-digit code of child `number` of `parent_code`: 101 under 622926000000 is 622926101000."""
    level = level_of(parent_code)
    width = LEVEL_DIGITS[CHILD_LEVEL[level]] - LEVEL_DIGITS[level]
    if not 0 < number < 10**width:
        raise ValueError(f"a {CHILD_LEVEL[level]} number has {width} digits, got {number}")
    return code_of_prefix(f"{code_prefix(parent_code, level)}{number:0{width}d}")


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
    """Whether two codes lie in the same county."""
    return county_of(code) == county_of(other)


# SQL over a code column. The digit counts come from LEVEL_DIGITS, so a statement groups or
# joins by the same prefixes as the Python above; `column` is SQL text written by the caller.


def sql_code_prefix(column: str, level: str) -> str:
    """SQL for the significant digits at `level` of a code column: left(column, n)."""
    return f"left({column}, {LEVEL_DIGITS[level]})"


def sql_code_at(column: str, level: str) -> str:
    """SQL for the 12-digit code of the ancestor at `level` of a code column."""
    return f"rpad({sql_code_prefix(column, level)}, {CODE_DIGITS}, '0')"
