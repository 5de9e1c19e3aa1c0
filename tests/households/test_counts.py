"""Household counts per region (households/counts.py) and their agreement with the 贫困发生率."""

import pytest
from django.urls import reverse

from assessment.models import IncidenceRate
from assessment.statistics import recompute_incidence_rates
from core.codes import Role
from households.codes import HouseholdStatus
from households.counts import COUNT_KEYS, all_subtree_counts, child_region_counts, subtree_counts
from households.models import Household
from households.poverty import current_year
from tests.conftest import login
from tests.factories import UserFactory, household_with_members, region
from villages.models import Region, Village, VillagePopulation

pytestmark = pytest.mark.django_db


@pytest.fixture
def county_with_townships():
    county = region("622926000000", "东乡族自治县")
    layout = {
        "622926101201": [(3, HouseholdStatus.POOR), (5, HouseholdStatus.POOR), (2, HouseholdStatus.EXITED)],
        "622926101202": [(4, HouseholdStatus.POOR)],
        "622926102201": [(1, HouseholdStatus.POOR), (6, HouseholdStatus.EXITED)],
        "622926203201": [],
    }
    for code, households in layout.items():
        village = region(code)
        for size, status in households:
            household_with_members(village, size=size, status=status)
    region("622921101201")  # another county: must not count
    household_with_members(Region.objects.get(code="622921101201"), size=7)
    return county


def test_county_counts_equal_the_sum_of_its_townships(county_with_townships):
    county = subtree_counts("622926")
    townships = [counts for _, counts in child_region_counts(county_with_townships)]
    assert len(townships) == 3
    for key in COUNT_KEYS:
        assert county[key] == sum(township[key] for township in townships), key
    assert county == {"villages": 4, "households": 6, "poor_households": 4, "poor_population": 13}


def test_one_pass_counts_agree_with_the_subtree_counts(county_with_townships):
    every_region = all_subtree_counts()
    for prefix in ("62", "6229", "622926", "622926101", "622926102", "622926203", "622921"):
        assert every_region[prefix] == subtree_counts(prefix), prefix
    assert every_region["622926203"] == {"villages": 1, "households": 0, "poor_households": 0, "poor_population": 0}
    assert every_region["62"]["poor_population"] == 13 + 7


def household(village, size, status=HouseholdStatus.POOR, *, identified_year=2015, exit_year=None):
    created = household_with_members(village, size=size, status=status)
    Household.objects.filter(pk=created.pk).update(identified_year=identified_year, exit_year=exit_year)
    return created


def test_home_page_region_page_and_incidence_agree_for_a_county_and_year(client):
    """Poor now is poor at the end of the current year: the households the 贫困发生率 of the year counts."""
    year = current_year()
    county = region("622926000000", "东乡族自治县")
    village_a, village_b = region("622926101201"), region("622926102201")
    household(village_a, 3)  # poor
    household(village_a, 2, HouseholdStatus.EXITED, exit_year=year)  # exited this year: not poor at its end
    household(village_a, 4, HouseholdStatus.EXITED, exit_year=year - 1)  # exited before
    household(village_a, 5, HouseholdStatus.REMOVED)  # 清退: never counted
    household(village_b, 6)  # poor
    for village in (village_a, village_b):
        VillagePopulation.objects.create(
            village=Village.objects.create(region=village), year=year, rural_population=500
        )
    recompute_incidence_rates(year)
    reviewer = UserFactory(role=Role.COUNTY_REVIEWER, region=county)
    login(client, reviewer)

    home = client.get(reverse("home")).context
    region_page = client.get(reverse("regions:detail", args=[county.code])).context
    incidence = IncidenceRate.objects.get(region=county, year=year)
    assert home["summary"] == region_page["summary"]
    assert (home["summary"]["poor_households"], home["summary"]["poor_population"]) == (2, 9)
    assert (incidence.poor_households, incidence.poor_population) == (2, 9)
    for township, counts in home["children"]:
        row = IncidenceRate.objects.get(region=township, year=year)
        assert (counts["poor_households"], counts["poor_population"]) == (row.poor_households, row.poor_population)
