from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from assessment.models import Application
from core.codes import Role
from households.models import IncomeRecord
from villages.models import County, Village, VillagePopulation

from ..factories import UserFactory, household_with_members, region

GUARANTEES_MET = {key: True for key in ("food", "clothing", "education", "medical", "housing", "water")}


def elapse_publicity(application_id: int) -> None:
    """Move the running 公示 of an application into the past, as if its days had passed."""
    application = Application.objects.get(pk=application_id)
    step = application.steps.get(round=application.round, index=application.current_step)
    assert step.kind == "publicity", step.name
    shift = (step.ends_on - step.starts_on) + timedelta(days=1)
    step.starts_on -= shift
    step.ends_on -= shift
    step.save()
    Application.objects.filter(pk=application_id).update(awaiting_since=step.ends_on + timedelta(days=1))


def set_income(household, year: int, per_capita: Decimal) -> IncomeRecord:
    size = household.member_count
    return IncomeRecord.objects.update_or_create(
        household=household, year=year, defaults={"household_size": size, "wage_income": per_capita * size}
    )[0]


@pytest.fixture
def tree(db):
    """东乡 (a west poverty county) with two townships, and 临夏县 in the same city for contrast."""
    county = region("622926000000", "东乡族自治县")
    County.objects.create(region=county, is_poverty_county=True, is_west=True)
    other_county = region("622921000000", "临夏县")
    County.objects.create(region=other_county, is_poverty_county=True, is_west=True)
    village_a = region("622926101201", "甲村")
    Village.objects.create(region=village_a, is_poor_village=True)
    VillagePopulation.objects.create(village=Village.objects.get(region=village_a), year=2019, rural_population=1000)
    return {
        "province": region("620000000000", "甘肃省"),
        "city": region("622900000000", "临夏回族自治州"),
        "other_city": region("620100000000", "兰州市"),
        "county": county,
        "other_county": other_county,
        "township_a": region("622926101000", "甲镇"),
        "township_b": region("622926102000", "乙镇"),
        "village_a": village_a,
        "village_b": region("622926102201", "乙村"),
    }


@pytest.fixture
def people(tree):
    return {
        "clerk": UserFactory(role=Role.TOWNSHIP_CLERK, region=tree["township_a"]),
        "clerk2": UserFactory(role=Role.TOWNSHIP_CLERK, region=tree["township_a"]),
        "clerk_b": UserFactory(role=Role.TOWNSHIP_CLERK, region=tree["township_b"]),
        "county": UserFactory(role=Role.COUNTY_REVIEWER, region=tree["county"]),
        "other_county": UserFactory(role=Role.COUNTY_REVIEWER, region=tree["other_county"]),
        "city": UserFactory(role=Role.CITY_REVIEWER, region=tree["city"]),
        "other_city": UserFactory(role=Role.CITY_REVIEWER, region=tree["other_city"]),
        "province": UserFactory(role=Role.PROVINCE_STAFF, region=tree["province"]),
    }


@pytest.fixture
def poor_household(tree):
    household = household_with_members(tree["village_a"], size=4)
    set_income(household, 2019, Decimal("5000"))
    return household


def today():
    return timezone.localdate()
