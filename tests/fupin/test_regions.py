"""Region-code arithmetic (core/regions.py) on known codes of 甘肃省."""

import pytest

from core.regions import (
    RegionLevel,
    ancestor_codes,
    child_code,
    code_at,
    code_of_prefix,
    code_prefix,
    code_prefix_at_most,
    county_of,
    level_of,
    same_county,
    sql_code_at,
    sql_code_prefix,
)

VILLAGE = "622926101201"


def test_levels_and_prefixes_of_known_codes():
    assert [level_of(code) for code in ("620000000000", "622900000000", "622926000000", "622926101000", VILLAGE)] == [
        RegionLevel.PROVINCE,
        RegionLevel.CITY,
        RegionLevel.COUNTY,
        RegionLevel.TOWNSHIP,
        RegionLevel.VILLAGE,
    ]
    assert code_prefix("622926000000") == "622926"
    assert code_prefix(VILLAGE, RegionLevel.TOWNSHIP) == "622926101"
    assert code_at(VILLAGE, RegionLevel.CITY) == "622900000000"
    assert county_of(VILLAGE) == "622926000000"
    assert code_of_prefix("6229") == "622900000000"
    assert ancestor_codes(VILLAGE) == ["620000000000", "622900000000", "622926000000", "622926101000"]


def test_a_prefix_cut_to_a_level_keeps_a_shorter_one():
    assert code_prefix_at_most(VILLAGE, RegionLevel.COUNTY) == "622926"
    assert code_prefix_at_most("622926000000", RegionLevel.COUNTY) == "622926"
    assert code_prefix_at_most("620000000000", RegionLevel.COUNTY) == "62"


def test_child_codes_fill_the_next_level_digits():
    assert child_code("622926000000", 101) == "622926101000"
    assert child_code("622926101000", 201) == VILLAGE
    assert child_code("620000000000", 29) == "622900000000"
    with pytest.raises(ValueError):
        child_code("622926000000", 1000)


def test_same_county():
    assert same_county(VILLAGE, "622926000000")
    assert not same_county(VILLAGE, "622921101201")


def test_sql_takes_its_digit_counts_from_the_levels():
    assert sql_code_prefix("code", RegionLevel.TOWNSHIP) == "left(code, 9)"
    assert sql_code_at("h.village_id", RegionLevel.COUNTY) == "rpad(left(h.village_id, 6), 12, '0')"
