import pytest

from households.codes import HouseholdStatus
from tests.factories import household_with_members, region
from villages.models import Region
from villages.selectors import COUNT_KEYS, all_subtree_counts, child_region_counts, subtree_counts

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
