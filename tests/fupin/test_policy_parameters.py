from decimal import Decimal

import pytest

from core.models import PolicyParameter
from core.policy import PolicyParameterMissing, policy_value
from tests.factories import region

pytestmark = pytest.mark.django_db


def test_poverty_lines_2011_to_2020_are_seeded():
    lines = dict(PolicyParameter.objects.filter(key="POVERTY_LINE", region=None).values_list("year", "value"))
    assert {year for year in lines if year} >= set(range(2011, 2021))
    assert lines[2011] == Decimal("2536")
    assert lines[2015] == Decimal("2855")
    assert lines[2016] == Decimal("2952")


def test_unverified_values_are_flagged():
    unverified = set(
        PolicyParameter.objects.filter(key="POVERTY_LINE", is_verified=False).values_list("year", flat=True)
    )
    assert unverified == {2017, 2018, 2019}
    assert PolicyParameter.objects.get(key="POVERTY_LINE", year=2016).is_verified


def test_thresholds_are_seeded_as_data():
    assert policy_value("VILLAGE_EXIT_MAX_RATE", year=2019) == Decimal("0.02")
    assert policy_value("COUNTY_EXIT_MAX_RATE_WEST", year=2019) == Decimal("0.03")
    assert policy_value("MIN_PUBLIC_APPROVAL") == Decimal("0.90")
    assert policy_value("HOUSEHOLD_NOTICE_DAYS", year=2018) == Decimal("7")


def test_the_most_specific_region_and_year_win():
    province = region("620000000000")
    county = region("622926000000")
    PolicyParameter.objects.create(key="HOUSEHOLD_NOTICE_DAYS", region=province, value=Decimal("6"))
    PolicyParameter.objects.create(key="HOUSEHOLD_NOTICE_DAYS", region=county, value=Decimal("5"))
    PolicyParameter.objects.create(key="HOUSEHOLD_NOTICE_DAYS", region=county, year=2019, value=Decimal("4"))
    assert policy_value("HOUSEHOLD_NOTICE_DAYS", year=2019, region_code="622926101201") == Decimal("4")
    assert policy_value("HOUSEHOLD_NOTICE_DAYS", year=2018, region_code="622926101201") == Decimal("5")
    assert policy_value("HOUSEHOLD_NOTICE_DAYS", year=2018, region_code="622921101201") == Decimal("6")
    assert policy_value("HOUSEHOLD_NOTICE_DAYS", year=2018, region_code="510000000000") == Decimal("7")


def test_a_missing_parameter_is_an_error():
    PolicyParameter.objects.filter(key="POVERTY_LINE").delete()
    with pytest.raises(PolicyParameterMissing):
        policy_value("POVERTY_LINE", year=2016)
