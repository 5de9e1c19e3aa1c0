"""The monitoring list counts its filtered records, sorts by its headers, shows region columns above a township."""

from datetime import date

import pytest
from django.urls import reverse

from core.codes import Role
from households.codes import HouseholdStatus
from monitoring.models import MonitoringObject
from tests.conftest import login
from tests.factories import UserFactory, household_with_members, region

pytestmark = pytest.mark.django_db


def record(village, *, status: str, discovered_on: date) -> MonitoringObject:
    return MonitoringObject.objects.create(
        household=household_with_members(village, status=HouseholdStatus.EXITED),
        category="1",
        risk_types=["01"],
        discovery_way="2",
        discovered_on=discovered_on,
        status=status,
        income_12_months="12000.00",
        member_count=3,
        income_per_person="4000.00",
        line_year=2024,
        line_amount="7100.00",
        line_verified=False,
        consent_signed=True,
        consent_signed_on=discovered_on,
    )


@pytest.fixture
def records(db):
    """Two records of 锁南镇 and one of 达板镇, both townships of 东乡族自治县."""
    county = region("622926000000", "东乡族自治县")
    region("622926101000", "锁南镇")
    region("622926102000", "达板镇")
    suonan, daban = region("622926101201", "红柳村"), region("622926102201", "达板村")
    made = [
        record(suonan, status="IDENTIFYING", discovered_on=date(2024, 3, 1)),
        record(suonan, status="MONITORED", discovered_on=date(2024, 1, 5)),
        record(daban, status="IDENTIFYING", discovered_on=date(2024, 2, 1)),
    ]
    return {"county": county, "township": suonan.parent, "records": made}


def listed(client, **params):
    response = client.get(reverse("monitoring:list"), params)
    assert response.status_code == 200
    return response


def test_a_clerk_sees_the_exact_total_of_the_filtered_list_and_no_region_columns(client, records):
    login(client, UserFactory(role=Role.TOWNSHIP_CLERK, region=records["township"]))
    page = listed(client, status="IDENTIFYING").content.decode()
    assert "共 <strong>1</strong> 户次" in page and 'data-estimate="0"' in page
    assert "所属县" not in page and "所属乡镇" not in page


def test_a_county_user_sees_the_county_and_township_columns(client, records):
    login(client, UserFactory(role=Role.COUNTY_REVIEWER, region=records["county"]))
    page = listed(client).content.decode()
    assert "共 <strong>3</strong> 户次" in page
    assert 'data-column="township">锁南镇</td>' in page and 'data-column="township">达板镇</td>' in page
    assert 'data-column="county">东乡族自治县</td>' in page


def test_a_large_county_list_is_estimated_and_labelled(client, records, monkeypatch):
    monkeypatch.setattr("core.totals.EXACT_LIMIT", 0)
    login(client, UserFactory(role=Role.COUNTY_REVIEWER, region=records["county"]))
    page = listed(client).content.decode()
    assert 'data-estimate="1"' in page and "约 <strong>" in page


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", [0, 2, 1]),  # the newest first
        ("discovered_on", [1, 2, 0]),
        ("status", [0, 2, 1]),  # IDENTIFYING before MONITORED, id breaking the tie
        ("-status", [1, 2, 0]),
        ("village", [0, 1, 2]),
        ("nonsense", [0, 2, 1]),  # an unknown key falls back to the default
    ],
)
def test_the_list_sorts_by_its_headers(client, records, sort, expected):
    login(client, UserFactory(role=Role.COUNTY_REVIEWER, region=records["county"]))
    shown = list(listed(client, sort=sort).context["records"])
    assert shown == [records["records"][index] for index in expected]
