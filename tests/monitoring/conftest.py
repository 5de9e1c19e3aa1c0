from datetime import date
from decimal import Decimal

import pytest

from core.codes import Role
from households.codes import HouseholdStatus
from monitoring.codes import DiscoveryWay, RiskType
from monitoring.defaults import ensure_default_lines
from tests.factories import UserFactory, household_with_members, region


@pytest.fixture(autouse=True)
def _monitoring_lines(request):
    """The seeded lines (a transactional test elsewhere may have flushed the migration's rows)."""
    if "db" in request.fixturenames or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("db")
        ensure_default_lines()


@pytest.fixture
def village(db):
    region("620000000000", "甘肃省")
    region("622926000000", "东乡族自治县")
    region("622926101000", "锁南镇")
    return region("622926101201", "红柳村")


@pytest.fixture
def other_village(db):
    return region("622921101201", "甲村")


@pytest.fixture
def clerk(village):
    return UserFactory(role=Role.TOWNSHIP_CLERK, region=village.parent)


@pytest.fixture
def outsider(other_village):
    return UserFactory(role=Role.TOWNSHIP_CLERK, region=other_village.parent)


@pytest.fixture
def county_user(village):
    return UserFactory(role=Role.COUNTY_REVIEWER, region=village.parent.parent)


@pytest.fixture
def exited(village):
    return household_with_members(village, size=4, status=HouseholdStatus.EXITED)


@pytest.fixture
def ordinary(village):
    household = household_with_members(village, size=2, status=HouseholdStatus.ORDINARY)
    household.attribute = household.main_cause = ""
    household.identified_year = None
    household.save()
    return household


def visit(**overrides):
    """What a clerk's 入户核实 of an exited household found (the keyword arguments of start_identification)."""
    return {
        "way": DiscoveryWay.CADRE_VISIT,
        "discovered_on": date(2024, 3, 1),
        "category": "1",
        "risk_types": [RiskType.ILLNESS, RiskType.UNSTABLE_WORK],
        "income_12_months": Decimal("30000.00"),
        "compliant_costs": Decimal("8000.00"),
        "consent_signed_on": date(2024, 3, 2),
        **overrides,
    }
