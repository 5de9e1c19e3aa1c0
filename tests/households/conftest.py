import pytest

from core.codes import Role
from households.codes import Ethnicity, Relation
from tests.factories import UserFactory, make_id_number, region


@pytest.fixture
def village(db):
    region("622926000000", "东乡族自治县")
    region("622926101000", "锁南镇")
    return region("622926101201", "红柳村")


@pytest.fixture
def clerk(village):
    return UserFactory(role=Role.TOWNSHIP_CLERK, region=village.parent)


def member(relation=Relation.HEAD, name="马成", id_number=None, **extra):
    return {
        "name": name,
        "relation": relation,
        "id_number": id_number or make_id_number(),
        "ethnicity": Ethnicity.DONGXIANG,
        "health": ["01"],
        **extra,
    }


def household_data(**extra):
    return {"attribute": "1", "main_cause": "1", "other_causes": ["7"], "identified_year": 2016, **extra}


def identify(household, user, year: int = 2016):
    """The approved 识别 of a 拟识别 household (what the workflow's final approval does), taking effect in `year`."""
    from households.services import change_status
    from tests.factories import approved_application

    change_status(
        user=user,
        household_id=household.pk,
        kind="NEW",
        reason="识别申请经县审定",
        effective_year=year,
        application=approved_application(household, "IDENTIFICATION", year),
    )
    household.refresh_from_db()
    return household
