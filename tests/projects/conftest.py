from datetime import timedelta

import pytest
from django.utils import timezone

from core.codes import Role
from projects import services
from tests.factories import UserFactory, region


@pytest.fixture
def area(db):
    """One county with two townships; a clerk of each and a county reviewer."""
    county = region("622926000000", "东乡族自治县")
    township = region("622926101000", "锁南镇")
    other_township = region("622926102000", "达板镇")
    return {
        "county": county,
        "township": township,
        "village": region("622926101201", "红柳村"),
        "village_2": region("622926101202", "塔山村"),
        "other_village": region("622926102201", "别的乡的村"),
        "clerk": UserFactory(role=Role.TOWNSHIP_CLERK, region=township),
        "other_clerk": UserFactory(role=Role.TOWNSHIP_CLERK, region=other_township),
        "reviewer": UserFactory(role=Role.COUNTY_REVIEWER, region=county),
    }


PROJECT = {
    "name": "红柳村养殖合作社",
    "category": "01",
    "year": 2019,
    "budget": "300000.00",
    "implementing_unit": "锁南镇政府",
    "performance_target": "带动20户年增收2000元",
}


def declare(user, village_code="622926101201", **fields):
    return services.declare_project(user=user, data={**PROJECT, **fields}, village_codes=[village_code])


def finished_notice(user, project, region_code="622926101201"):
    """A 公示 of the project whose period ended yesterday or before."""
    return services.post_notice(
        user=user,
        region_code=region_code,
        title="项目入库公示",
        content=project.name,
        place="红柳村公示栏",
        start_date=timezone.localdate() - timedelta(days=20),
        project_id=project.pk,
    )
