from datetime import date

import pytest

from core.codes import Role
from projects.codes import ProjectCategory, ProjectStatus
from projects.models import Project
from tests.factories import UserFactory, region


@pytest.fixture
def county(db):
    county = region("622926000000", "东乡族自治县")
    region("622926101000", "锁南镇")
    region("622926101201", "红柳村")
    return county


@pytest.fixture
def county_reviewer(county):
    return UserFactory(role=Role.COUNTY_REVIEWER, region=county)


def approved_project(county, user, name="红柳村道路硬化", budget="500000.00") -> Project:
    """A project already through the library and 批复, the state in which it may receive money."""
    return Project.objects.create(
        county=county,
        region=county,
        name=name,
        category=ProjectCategory.INFRASTRUCTURE,
        year=2019,
        budget=budget,
        implementing_unit="县交通局",
        performance_target="硬化道路3公里",
        status=ProjectStatus.APPROVED,
        created_by=user,
    )


RECEIVED = date(2019, 3, 1)
