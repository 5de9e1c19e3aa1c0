"""监测统计 (docs/domain.md §12.13): the figures on a built fixture, by child region, scope, page = API."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.codes import ParameterKey, Role
from core.models import PolicyParameter
from households.codes import HouseholdStatus
from monitoring import statistics
from monitoring.models import MonitoringObject
from tests.conftest import login
from tests.factories import UserFactory, household_with_members, region
from villages.models import Region

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 20)
COUNTY, TOWNSHIP, OTHER_TOWNSHIP, EMPTY_TOWNSHIP = "622926000000", "622926101000", "622926102000", "622926103000"
V1, V2, V3, OUTSIDE_VILLAGE = "622926101201", "622926101202", "622926102201", "622921101201"


def record(village_code: str, **fields) -> MonitoringObject:
    """A monitoring record of a new exited household in the village (fields as given)."""
    household = household_with_members(Region.objects.get(code=village_code), size=2, status=HouseholdStatus.EXITED)
    values = {
        "category": "1",
        "risk_types": ["01"],
        "discovery_way": "2",
        "income_12_months": Decimal("10000.00"),
        "member_count": 2,
        "income_per_person": Decimal("5000.00"),
        "line_year": 2026,
        "line_amount": Decimal("7100.00"),
        "line_verified": False,
        **fields,
    }
    return MonitoringObject.objects.create(household=household, **values)


@pytest.fixture
def world(db):
    region("620000000000", "甘肃省")
    region("622900000000", "临夏州")
    region(COUNTY, "东乡族自治县")
    region(TOWNSHIP, "锁南镇")
    region(OTHER_TOWNSHIP, "达板镇")
    region(EMPTY_TOWNSHIP, "那勒寺镇")
    region(V1, "红柳村")
    region(V2, "东塬村")
    region(V3, "达板村")
    region(OUTSIDE_VILLAGE, "甲村")
    identifying, monitored, eliminated, not_included = "IDENTIFYING", "MONITORED", "ELIMINATED", "NOT_INCLUDED"
    records = {
        # 19 days since found: overdue at 15 days.
        "r1": record(V1, status=identifying, risk_types=["01", "06"], discovered_on=date(2026, 6, 1)),
        # 10 days: overdue only at a limit under 10.
        "r2": record(V1, status=identifying, category="2", discovered_on=date(2026, 6, 10)),
        "r3": record(
            V1, status=monitored, risk_types=["02"], discovered_on=date(2026, 5, 1), identified_on=date(2026, 5, 11)
        ),
        "r4": record(
            V2,
            status=monitored,
            category="3",
            risk_types=["01", "07"],
            discovered_on=date(2026, 6, 2),
            identified_on=date(2026, 6, 6),
        ),
        # Identified last year (not in this year's median), eliminated this year after assistance.
        "r5": record(
            V2,
            status=eliminated,
            risk_types=["06"],
            discovered_on=date(2025, 3, 1),
            identified_on=date(2025, 3, 20),
            eliminated_on=date(2026, 4, 1),
            elimination_mode="1",
        ),
        "r6": record(
            V3,
            status=eliminated,
            category="2",
            risk_types=["09"],
            discovered_on=date(2026, 1, 5),
            identified_on=date(2026, 1, 25),
            eliminated_on=date(2026, 6, 15),
            elimination_mode="2",
        ),
        "r7": record(
            V3, status=not_included, category="2", discovered_on=date(2026, 2, 1), closed_on=date(2026, 2, 10)
        ),
        # Another county: outside every user of 622926.
        "outside": record(
            OUTSIDE_VILLAGE,
            status=identifying,
            discovered_on=date(2026, 1, 1),
        ),
    }
    return records


@pytest.fixture
def county_user(world):
    return UserFactory(role=Role.COUNTY_REVIEWER, region=Region.objects.get(code=COUNTY))


@pytest.fixture
def township_clerk(world):
    return UserFactory(role=Role.TOWNSHIP_CLERK, region=Region.objects.get(code=TOWNSHIP))


def figures_of(user, code, today=TODAY):
    return statistics.region_figures(user, Region.objects.get(code=code), today)


def test_counts_by_status_category_and_risk_type(county_user):
    figures = figures_of(county_user, COUNTY)
    assert figures["total"] == 7
    assert figures["by_status"] == {"IDENTIFYING": 2, "MONITORED": 2, "ELIMINATED": 2, "NOT_INCLUDED": 1}
    assert figures["open"] == 4
    assert figures["by_category"]["1"] == {"IDENTIFYING": 1, "MONITORED": 1, "ELIMINATED": 1, "NOT_INCLUDED": 0}
    assert figures["by_category"]["2"] == {"IDENTIFYING": 1, "MONITORED": 0, "ELIMINATED": 1, "NOT_INCLUDED": 1}
    assert figures["by_category"]["3"] == {"IDENTIFYING": 0, "MONITORED": 1, "ELIMINATED": 0, "NOT_INCLUDED": 0}
    # A record counts once under each of its risk types.
    risks = figures["by_risk_type"]
    assert risks["01"] == {"IDENTIFYING": 2, "MONITORED": 1, "ELIMINATED": 0, "NOT_INCLUDED": 1}
    assert risks["06"] == {"IDENTIFYING": 1, "MONITORED": 0, "ELIMINATED": 1, "NOT_INCLUDED": 0}
    assert sum(risks["02"].values()) == sum(risks["07"].values()) == sum(risks["09"].values()) == 1
    assert sum(sum(counts.values()) for counts in risks.values()) == 9  # 7 records, two with two risks


def test_this_month_this_year_and_median(county_user):
    figures = figures_of(county_user, COUNTY)
    assert figures["new_this_month"] == 3  # r1, r2, r4 found in June
    assert figures["identified_this_month"] == 1  # r4
    assert figures["eliminated_this_year"] == {"1": 1, "2": 1}
    assert figures["identified_this_year"] == 3  # r3 (10 days), r4 (4), r6 (20); r5 was identified in 2025
    assert figures["median_days_to_identify"] == 10.0
    # Two values: percentile_cont interpolates (4 and 10 → 7).
    assert figures_of(county_user, TOWNSHIP)["median_days_to_identify"] == 7.0
    # No record identified this year: no median, never 0.
    assert figures_of(county_user, OTHER_TOWNSHIP, today=date(2027, 1, 2))["median_days_to_identify"] is None


def test_overdue_follows_the_parameter(county_user):
    assert figures_of(county_user, COUNTY)["overdue"] == 1  # r1: 19 days > 15
    assert figures_of(county_user, COUNTY)["decision_limit_days"] == 15
    PolicyParameter.objects.filter(key=ParameterKey.MONITORING_DECISION_MAX_DAYS, region__isnull=True).update(value=20)
    assert figures_of(county_user, COUNTY)["overdue"] == 0
    # A township of its own sets 5 days: both of its open identifications are overdue; the county keeps 20.
    PolicyParameter.objects.create(
        key=ParameterKey.MONITORING_DECISION_MAX_DAYS, region_id=TOWNSHIP, year=2026, value=5
    )
    figures = figures_of(county_user, COUNTY)
    assert (figures["overdue"], figures["decision_limit_days"]) == (2, 20)
    assert figures_of(county_user, TOWNSHIP)["decision_limit_days"] == 5
    # A row for another year does not count.
    PolicyParameter.objects.filter(region_id=TOWNSHIP).update(year=2025)
    assert figures_of(county_user, COUNTY)["overdue"] == 0


def test_breakdown_by_child_region(county_user):
    children = statistics.child_region_figures(county_user, Region.objects.get(code=COUNTY), TODAY)
    assert [child.code for child, _ in children] == [TOWNSHIP, OTHER_TOWNSHIP, EMPTY_TOWNSHIP]
    by_code = {child.code: figures for child, figures in children}
    assert by_code[TOWNSHIP]["total"] == 5
    assert by_code[TOWNSHIP]["overdue"] == 1
    assert by_code[TOWNSHIP]["median_days_to_identify"] == 7.0
    assert by_code[OTHER_TOWNSHIP]["by_status"] == {
        "IDENTIFYING": 0,
        "MONITORED": 0,
        "ELIMINATED": 1,
        "NOT_INCLUDED": 1,
    }
    assert by_code[EMPTY_TOWNSHIP]["total"] == 0
    assert by_code[EMPTY_TOWNSHIP]["median_days_to_identify"] is None
    # The children's figures add up to the region's.
    county = figures_of(county_user, COUNTY)
    for key in ("total", "new_this_month", "identified_this_month", "overdue", "open"):
        assert sum(figures[key] for figures in by_code.values()) == county[key]
    # A township's children are its villages.
    villages = statistics.child_region_figures(county_user, Region.objects.get(code=TOWNSHIP), TODAY)
    assert [(child.code, figures["total"]) for child, figures in villages] == [(V1, 3), (V2, 2)]


def test_a_handful_of_queries_whatever_the_number_of_records(county_user):
    county = Region.objects.get(code=COUNTY)
    with CaptureQueriesContext(connection) as few:
        statistics.region_figures(county_user, county, TODAY)
        statistics.child_region_figures(county_user, county, TODAY)
    for _ in range(5):
        record(V3, status="IDENTIFYING", category="2", discovered_on=date(2026, 6, 3))
    with CaptureQueriesContext(connection) as more:
        statistics.region_figures(county_user, county, TODAY)
        statistics.child_region_figures(county_user, county, TODAY)
    assert len(more) == len(few) <= 12


def test_province_sees_both_counties(world):
    province = UserFactory(role=Role.PROVINCE_STAFF, region=Region.objects.get(code="620000000000"))
    assert statistics.region_figures(province, province.region, TODAY)["total"] == 8
    cities = statistics.child_region_figures(province, province.region, TODAY)
    assert [(child.code, figures["total"]) for child, figures in cities] == [("622900000000", 8)]


def test_page_shows_the_scope_and_links_down(client, county_user):
    login(client, county_user)
    response = client.get("/monitoring/dashboard/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "防返贫监测统计 · 东乡族自治县" in page
    assert f'href="/monitoring/dashboard/?region={TOWNSHIP}"' in page
    assert "锁南镇" in page and "那勒寺镇" in page
    assert "监测统计" in page  # the navigation entry
    response = client.get(f"/monitoring/dashboard/?region={TOWNSHIP}")
    assert response.status_code == 200
    assert response.context["figures"]["total"] == 5
    assert f'href="/monitoring/dashboard/?region={V1}"' in response.content.decode()


def test_a_township_clerk_cannot_see_another_township(client, township_clerk):
    login(client, township_clerk)
    assert client.get("/monitoring/dashboard/").context["figures"]["total"] == 5
    assert client.get(f"/monitoring/dashboard/?region={OTHER_TOWNSHIP}").status_code == 404
    assert client.get(f"/monitoring/dashboard/?region={COUNTY}").status_code == 404
    assert client.get("/monitoring/dashboard/?region=622921").status_code == 404
    assert client.get("/monitoring/dashboard/?region=abc").status_code == 404
    assert client.get(f"/api/v1/monitoring-statistics/?region={OTHER_TOWNSHIP}").status_code == 404
    assert client.get(f"/api/v1/monitoring-statistics/?region={COUNTY}").status_code == 404
    bad = client.get("/api/v1/monitoring-statistics/?region=abc")
    assert bad.status_code == 400
    assert "region" in bad.json()


def test_api_figures_are_the_page_figures(client, county_user):
    login(client, county_user)
    for code in (COUNTY, TOWNSHIP):
        page = client.get(f"/monitoring/dashboard/?region={code}").context
        answer = client.get(f"/api/v1/monitoring-statistics/?region={code}").json()
        assert answer["region"] == code
        assert answer["as_of"] == timezone.localdate().isoformat()
        assert answer["figures"] == page["figures"]
        children = statistics.child_region_figures(county_user, Region.objects.get(code=code), timezone.localdate())
        assert [row["region"] for row in answer["children"]] == [child.code for child, _ in children]
        assert [row["total"] for row in answer["children"]] == [figures["total"] for _, figures in children]
    assert client.get("/api/v1/monitoring-statistics/").json()["region"] == COUNTY
