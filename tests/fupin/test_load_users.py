"""`make loadtest`'s users (bench/load_users.py): each kind in its share, logged in, working in its own region."""

import pytest
from django.test import Client

from bench.load_users import load_plan
from core.codes import Role
from core.models import User
from households.codes import HouseholdStatus
from households.models import Household
from tests.factories import household_with_members, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def province_with_two_townships():
    region("620000000000", "甘肃省")
    region("622900000000", "临夏回族自治州")
    region("622926000000", "东乡族自治县")
    townships = [region("622926101000", "锁南镇"), region("622926102000", "达板镇")]
    villages = [region("622926101201", "红柳村"), region("622926102201", "新庄村")]
    for village in villages:
        for _ in range(3):
            household_with_members(village, size=2, status=HouseholdStatus.EXITED)
        household_with_members(village, size=2)
        household_with_members(village, size=2, status=HouseholdStatus.REMOVED)  # read-only: never worked on
    return townships


def test_the_plan_gives_each_kind_its_share_of_users_with_working_sessions(province_with_two_townships):
    plan = load_plan(20)

    kinds = {kind: len(plan[kind]) for kind in ("clerk", "township_reviewer", "county", "province")}
    assert kinds == {"clerk": 12, "township_reviewer": 2, "county": 4, "province": 2}
    assert plan["households"] == 10
    for kind, role in (("clerk", Role.TOWNSHIP_CLERK), ("county", Role.COUNTY_REVIEWER)):
        for identity in plan[kind]:
            assert User.objects.get(username=identity["username"]).role == role
    client = Client()
    client.cookies["sessionid"] = plan["clerk"][0]["session"]
    response = client.get("/households/")
    assert response.status_code == 200
    assert response.wsgi_request.user.username == plan["clerk"][0]["username"]


def test_clerks_submit_for_exited_households_of_their_own_township_and_never_the_same_one_twice(
    province_with_two_townships,
):
    plan = load_plan(20)

    submitted = [household for clerk in plan["clerk"] for household in clerk["submit"]]
    assert len(submitted) == len(set(submitted)) == 6
    for clerk in plan["clerk"]:
        township_prefix = clerk["township"][:9]
        for household in Household.objects.filter(pk__in=clerk["submit"]):
            assert household.status == HouseholdStatus.EXITED
            assert household.village_id.startswith(township_prefix)
        assert set(clerk["households"]) == set(
            Household.objects.within_prefix(township_prefix)
            .exclude(status=HouseholdStatus.REMOVED)
            .values_list("pk", flat=True)
        )
