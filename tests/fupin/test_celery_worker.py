"""Tasks through the Redis broker to a real worker thread (not eager mode)."""

import time
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache
from django.urls import reverse

from assessment import services as workflow
from assessment.models import IncidenceRate
from assessment.statistics import recompute_incidence_rates
from core.codes import Role
from fupin.celery import app
from households.codes import HouseholdStatus
from households.counts import subtree_counts
from households.poverty import current_year
from households.services import register_household
from households.tasks import refresh_region_counts
from tests.assessment.conftest import GUARANTEES_MET, elapse_publicity, set_income
from tests.conftest import login
from tests.factories import UserFactory, household_with_members, region
from tests.histories import with_history
from tests.households.conftest import household_data, member
from villages.models import County, Village, VillagePopulation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def empty_queue():
    """Earlier tests of this process queued tasks no worker ran (their rows are gone): the worker
    started here runs only this test's, or a stale figure task could race the test's own."""
    app.control.purge()


def wait_for(condition, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def test_a_real_worker_runs_the_region_count_task_through_redis():
    village = region("622926101201")
    household_with_members(village, size=4)
    household_with_members(region("622921102201"), size=2)
    assert cache.get("scope-summary:622926") is None
    assert not app.conf.task_always_eager
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        refresh_region_counts.delay()
        assert wait_for(lambda: cache.get("scope-summary:622926") is not None)
    assert cache.get("scope-summary:622926") == subtree_counts("622926") == {"villages": 1, "households": 1}
    assert cache.get("scope-summary:all")["households"] == 2


def county_row(year: int) -> IncidenceRate:
    return IncidenceRate.objects.get(region_id="622926000000", year=year)


def test_a_registration_moves_the_county_figures_within_seconds_through_the_worker(client):
    """Registration (拟识别) and its 识别 each recompute the village's chain on the worker: the
    registration shows in the county's household count and fresh figures, the identification in
    the county's poor households on the dashboard, each within seconds, without the nightly run."""
    year, this_year = 2019, current_year()
    county = region("622926000000", "东乡族自治县")
    County.objects.create(region=county, is_poverty_county=True, is_west=True)
    township, village = region("622926101000", "甲镇"), region("622926101201", "甲村")
    VillagePopulation.objects.create(
        village=Village.objects.create(region=village, is_poor_village=True), year=year, rural_population=1000
    )
    with_history(household_with_members(village, size=3), identified_year=2016)
    for each_year in (year, this_year):
        recompute_incidence_rates(each_year)
    clerk, clerk2 = (UserFactory(role=Role.TOWNSHIP_CLERK, region=township) for _ in range(2))
    reviewer = UserFactory(role=Role.COUNTY_REVIEWER, region=county)
    login(client, reviewer)
    assert client.get(reverse("home")).context["summary"]["households"] == 1  # now in the cache
    before = county_row(this_year).computed_at
    assert county_row(year).poor_households == 1
    assert not app.conf.task_always_eager

    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        household = register_household(
            user=clerk, village_code=village.code, data=household_data(identified_year=year), members=[member()]
        )
        assert household.status == HouseholdStatus.CANDIDATE
        assert wait_for(lambda: county_row(this_year).computed_at > before)
        home = client.get(reverse("home")).context["summary"]
        assert (home["households"], home["poor_households"]) == (2, 1)  # a candidate is not poor
        assert home["computed_at"] == county_row(this_year).computed_at

        set_income(household, year, Decimal("2000"))
        application = workflow.draft_and_submit(
            user=clerk,
            kind="IDENTIFICATION",
            year=year,
            household_id=household.pk,
            figures=GUARANTEES_MET,
            reason="村民代表大会评议通过",
        )
        elapse_publicity(application.pk)
        workflow.approve_step(user=clerk2, application_id=application.pk)
        elapse_publicity(application.pk)
        approved = workflow.approve_step(user=reviewer, application_id=application.pk)
        assert approved.status == "APPROVED"
        assert wait_for(lambda: county_row(year).poor_households == 2)

    dashboard = client.get(reverse("assessment:dashboard_region", args=[county.code]), {"year": year})
    own = dashboard.context["own"]
    assert (own.poor_households, own.poor_population) == (2, 4)
    assert own.rate == Decimal("0.004")
    assert "数据更新于" in dashboard.content.decode()
