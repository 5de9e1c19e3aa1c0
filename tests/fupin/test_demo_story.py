"""The demo's story 2014–2020 (fupin/demo/story.py, docs/domain.md §12.14): poverty falls to zero
as households, villages and counties exit through their procedures."""

from decimal import Decimal

import pytest
from django.db.models import Exists, OuterRef
from django.utils import timezone

from assessment.codes import ApplicationKind, ApplicationStatus
from assessment.models import Application, IncidenceRate
from core.codes import Role
from core.regions import RegionLevel, code_prefix
from fupin.demo import load_demo
from fupin.demo.assessment import recompute_demo_statistics
from fupin.demo.story import COUNTY_EXIT_YEARS
from households.codes import AdjustmentKind, HouseholdStatus
from households.models import AdjustmentRecord, Household, HouseholdYearLock
from monitoring.codes import OPEN_STATUSES
from monitoring.models import MonitoringObject
from villages.models import County, Village

pytestmark = pytest.mark.django_db

PROVINCE = "620000000000"
WEST_LIMIT = Decimal("0.03")


@pytest.fixture
def story():
    written = load_demo(households=1200, seed=5)
    recompute_demo_statistics()
    return written


def rate(region_code: str, year: int) -> Decimal:
    return IncidenceRate.objects.get(region_id=region_code, year=year).rate


def test_incidence_falls_every_year_to_zero_in_2020_and_stays_there(story):
    rates = {year: rate(PROVINCE, year) for year in range(2014, timezone.localdate().year + 1)}
    assert rates[2014] > rates[2016] > rates[2018] > rates[2020] == 0
    assert all(rates[year] > rates[year + 1] for year in range(2014, 2020)), rates
    assert all(rates[year] == 0 for year in rates if year >= 2020)
    assert rates[2014] > Decimal("0.05")


def test_no_household_is_left_poor_and_each_exit_is_in_its_log(story):
    assert not Household.objects.filter(status__in=[HouseholdStatus.POOR, HouseholdStatus.CANDIDATE]).exists()
    # A monitoring category only as the household's open monitoring record's (part two, fupin/demo/monitoring.py).
    open_records = MonitoringObject.objects.filter(status__in=OPEN_STATUSES).values_list("household_id", "category")
    assert dict(Household.objects.exclude(monitoring_category="").values_list("id", "monitoring_category")) == dict(
        open_records
    )
    exited = Household.objects.filter(status=HouseholdStatus.EXITED)
    logged = AdjustmentRecord.objects.filter(
        household=OuterRef("pk"), kind=AdjustmentKind.EXITED, effective_year=OuterRef("exit_year")
    )
    assert exited.count() > 0 and not exited.exclude(Exists(logged)).exists()
    assert all(household.exit_year in household.exit_years for household in exited)
    # 返贫: exited, back, exited again; poor again in the year it returned.
    returned = AdjustmentRecord.objects.filter(kind=AdjustmentKind.RETURNED).select_related("household")
    assert returned.exists()
    for record in returned:
        household = record.household
        assert len(household.exit_years) == 2 and household.exit_year == max(household.exit_years)
        assert any(record.effective_year in span for span in household.poor_years)
    # Later 新识别 as well as 2014's.
    assert set(Household.objects.exclude(identified_year=None).values_list("identified_year", flat=True)) >= {
        2014,
        2015,
        2016,
    }


def test_the_last_exits_went_through_the_household_exit_procedure(story):
    applications = Application.objects.filter(kind=ApplicationKind.HOUSEHOLD_EXIT)
    assert applications.count() == story["household_exits"] >= 1
    for application in applications.select_related("household"):
        assert application.status == ApplicationStatus.APPROVED and application.year == 2020
        assert (application.household.status, application.household.exit_year) == (HouseholdStatus.EXITED, 2020)
        assert HouseholdYearLock.objects.filter(household=application.household, year=2020).exists()


def test_every_village_has_a_few_ordinary_households_never_poor(story):
    ordinary = Household.objects.filter(status=HouseholdStatus.ORDINARY)
    for village in Village.objects.all():
        assert ordinary.filter(village_id=village.region_id).count() >= 3
    assert ordinary.count() == story["ordinary_households"]
    assert not ordinary.exclude(identified_year=None).exists() and not ordinary.exclude(attribute="").exists()
    assert all(not household.poor_years for household in ordinary)


def test_every_poor_village_exited_by_2020_below_the_threshold(story):
    poor_villages = Village.objects.filter(is_poor_village=True)
    assert poor_villages.count() >= 2 and not poor_villages.filter(exit_year=None).exists()
    for village in poor_villages:
        assert 2016 <= village.exit_year <= 2020
        assert rate(village.region_id, village.exit_year) < WEST_LIMIT
    # demo_clerk's township: through the 村退出 procedure, 县审定 by demo_county.
    township = Application.objects.filter(kind=ApplicationKind.VILLAGE_EXIT)
    assert township.count() == story["village_exits"] >= 1
    for application in township.select_related("region"):
        assert application.status == ApplicationStatus.APPROVED
        assert Village.objects.get(region=application.region).exit_year == application.year


def test_every_county_exited_in_its_batch_approved_by_the_province(story):
    counties = County.objects.all()
    assert counties.count() == 4 and all(county.is_poverty_county for county in counties)
    assert sorted(county.exit_year for county in counties) == [2017, 2018, 2019, 2020]
    for county in counties:
        assert county.exit_year == COUNTY_EXIT_YEARS[county.region_id]
        application = Application.objects.get(kind=ApplicationKind.COUNTY_EXIT, region=county.region)
        assert application.status == ApplicationStatus.APPROVED and application.year == county.exit_year
        decision = application.steps.filter(acted_by__isnull=False).order_by("-index").first()
        assert decision.acted_by.role == Role.PROVINCE_STAFF
        assert rate(county.region_id, county.exit_year) < WEST_LIMIT
        # No poor village of the county exits after it.
        prefix = code_prefix(county.region_id, RegionLevel.COUNTY)
        assert not Village.objects.filter(
            region__code__startswith=prefix, is_poor_village=True, exit_year__gt=county.exit_year
        ).exists()
