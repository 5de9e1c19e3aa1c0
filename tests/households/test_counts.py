"""Registry counts per region (households/counts.py) and the one source of the poor figures.

Villages and households on the register are counted here; the households and people poor in
a year are the IncidenceRate rows (assessment/figures.py), so home page, region page and
dashboard show the same figures for a county and year.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.models import IncidenceRate
from assessment.statistics import recompute_incidence_rates
from core.codes import Role
from households.codes import HouseholdStatus
from households.counts import (
    COUNT_KEYS,
    all_subtree_counts,
    cached_subtree_counts,
    child_region_counts,
    forget_cached_counts,
    subtree_counts,
)
from households.poverty import current_year
from tests.conftest import login
from tests.factories import UserFactory, household_with_members, region
from tests.histories import with_history
from villages.models import Village, VillagePopulation

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
            household(village, size, status, exit_year=2016 if status == HouseholdStatus.EXITED else None)
    household(region("622921101201"), 7)  # another county: must not count
    return county


def test_county_counts_equal_the_sum_of_its_townships(county_with_townships):
    county = subtree_counts("622926")
    townships = [counts for _, counts in child_region_counts(county_with_townships)]
    assert len(townships) == 3
    for key in COUNT_KEYS:
        assert county[key] == sum(township[key] for township in townships), key
    assert county == {"villages": 4, "households": 6}
    # The poor figures are the incidence rows, and they too add up.
    recompute_incidence_rates(current_year())
    rows = IncidenceRate.objects.filter(year=current_year())
    county_row = rows.get(region=county_with_townships)
    township_rows = rows.filter(region__level="township", region__code__startswith="622926")
    assert (county_row.poor_households, county_row.poor_population) == (4, 13)
    assert county_row.poor_population == sum(row.poor_population for row in township_rows)


def test_one_pass_counts_agree_with_the_subtree_counts(county_with_townships):
    every_region = all_subtree_counts()
    for prefix in ("62", "6229", "622926", "622926101", "622926102", "622926203", "622921"):
        assert every_region[prefix] == subtree_counts(prefix), prefix
    assert every_region["622926203"] == {"villages": 1, "households": 0}
    assert every_region["62"]["households"] == 6 + 1
    recompute_incidence_rates(current_year())
    assert IncidenceRate.objects.get(region_id="620000000000", year=current_year()).poor_population == 13 + 7


def test_the_cached_counts_of_a_village_chain_are_forgotten(county_with_townships):
    assert cached_subtree_counts("622926")["households"] == 6
    household_with_members(region("622926101202"), size=2)
    assert cached_subtree_counts("622926")["households"] == 6  # still the cached figure
    forget_cached_counts("622926101202")
    assert cached_subtree_counts("622926")["households"] == 7


def test_the_children_show_the_counts_of_their_own_pages_and_are_counted_once(county_with_townships):
    """A child's counts are its cached subtree counts: they add up to the parent's cached figure
    until a recompute forgets the chain; a second view reads the cache, not the households."""
    first = dict((child.code, counts) for child, counts in child_region_counts(county_with_townships))
    assert first["622926101000"] == cached_subtree_counts("622926101") == {"villages": 2, "households": 4}
    assert first["622926203000"] == {"villages": 1, "households": 0}
    household_with_members(region("622926101202"), size=2)
    with CaptureQueriesContext(connection) as queries:
        again = dict((child.code, counts) for child, counts in child_region_counts(county_with_townships))
    assert again == first
    assert not any("households_household" in query["sql"] for query in queries)
    forget_cached_counts("622926101202")
    after = dict((child.code, counts) for child, counts in child_region_counts(county_with_townships))
    assert after["622926101000"] == {"villages": 2, "households": 5}
    assert after["622926102000"] == first["622926102000"]
    assert sum(counts["households"] for counts in after.values()) == cached_subtree_counts("622926")["households"]


def household(village, size, status=HouseholdStatus.POOR, *, identified_year=2015, exit_year=None):
    created = household_with_members(village, size=size, status=status)
    return with_history(created, status=status, identified_year=identified_year, exit_year=exit_year)


def test_home_page_region_page_and_dashboard_agree_for_a_county_and_year(client):
    """Poor now is poor at the end of the current year: the IncidenceRate rows of that year, on all three pages."""
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
    dashboard = client.get(reverse("assessment:dashboard_region", args=[county.code]), {"year": year}).context
    incidence = IncidenceRate.objects.get(region=county, year=year)
    assert home["summary"] == region_page["summary"]
    assert (home["summary"]["poor_households"], home["summary"]["poor_population"]) == (2, 9)
    assert (incidence.poor_households, incidence.poor_population) == (2, 9)
    assert dashboard["own"] == incidence
    assert home["summary"]["computed_at"] == incidence.computed_at == dashboard["own"].computed_at
    assert home["summary"]["households"] == 5  # on the register, any status: a registry count
    for township, counts in home["children"]:
        row = IncidenceRate.objects.get(region=township, year=year)
        assert (counts["poor_households"], counts["poor_population"]) == (row.poor_households, row.poor_population)
    html = client.get(reverse("home")).content.decode()
    assert "数据更新于" in html


def test_a_region_without_figures_shows_no_data_not_zero(client):
    year = current_year()
    county = region("622926000000", "东乡族自治县")
    household(region("622926101201"), 3)  # on the register, but no figures computed yet
    login(client, UserFactory(role=Role.COUNTY_REVIEWER, region=county))

    response = client.get(reverse("regions:detail", args=[county.code]))
    summary = response.context["summary"]
    assert (summary["poor_households"], summary["poor_population"], summary["computed_at"]) == (None, None, None)
    assert summary["households"] == 1
    html = response.content.decode()
    assert '<div class="fs-3" data-count="poor_households">无数据</div>' in html
    assert '<div class="fs-3" data-count="poor_population">无数据</div>' in html
    home = client.get(reverse("home")).content.decode()
    assert '<div class="fs-3" data-count="poor_population">无数据</div>' in home
    dashboard = client.get(reverse("assessment:dashboard_region", args=[county.code]), {"year": year})
    assert "无数据" in dashboard.content.decode()
    assert dashboard.context["own"] is None
