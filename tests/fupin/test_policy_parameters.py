from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import PolicyParameter
from core.policy import PolicyParameterMissing, policy_value, policy_values
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


def test_many_regions_are_read_in_one_query_as_one_region_is():
    province, county = region("620000000000"), region("622926000000")
    PolicyParameter.objects.create(key="HOUSEHOLD_NOTICE_DAYS", region=province, value=Decimal("6"))
    PolicyParameter.objects.create(key="HOUSEHOLD_NOTICE_DAYS", region=county, year=2019, value=Decimal("4"))
    codes = ["622926101201", "622926000000", "622921101201", "510000000000"]
    with CaptureQueriesContext(connection) as queries:
        values = policy_values("HOUSEHOLD_NOTICE_DAYS", year=2019, region_codes=codes)
    assert len(queries) == 1
    assert values == {"622926101201": 4, "622926000000": 4, "622921101201": 6, "510000000000": 7}
    assert values == {code: policy_value("HOUSEHOLD_NOTICE_DAYS", year=2019, region_code=code) for code in codes}
    assert policy_values("HOUSEHOLD_NOTICE_DAYS", year=2018, region_codes=codes)["622926101201"] == 6


def test_a_missing_parameter_is_an_error():
    PolicyParameter.objects.filter(key="POVERTY_LINE").delete()
    with pytest.raises(PolicyParameterMissing):
        policy_value("POVERTY_LINE", year=2016)
    with pytest.raises(PolicyParameterMissing):
        policy_values("POVERTY_LINE", year=2016, region_codes=["622926101201"])
