from datetime import date

import pytest

from households.codes import AdjustmentKind, Relation
from households.models import Helper, HelperAssignment, Household
from households.quality import household_warnings
from households.services import change_status, refresh_warning_count, register_household, save_income
from tests.factories import approved_application, make_id_number

from .conftest import household_data, identify, member

pytestmark = pytest.mark.django_db


def codes(household):
    return {warning.code for warning in household_warnings(household)}


def test_a_same_sex_couple_and_a_missing_helper_are_flagged(clerk, village):
    household = register_household(
        user=clerk,
        village_code=village.code,
        data=household_data(),
        members=[member(), member(Relation.SPOUSE, name="马强", id_number=make_id_number(male=True))],
    )
    identify(household, clerk)  # 未脱贫 from its approved 识别: now it needs a helper
    assert {"same_sex_couple", "no_helper", "illness_all_healthy"} <= codes(household)
    assert Household.objects.get(pk=household.pk).warning_count == len(household_warnings(household))


def test_a_helper_and_consistent_data_clear_the_warnings(clerk, village):
    household = register_household(
        user=clerk,
        village_code=village.code,
        data=household_data(main_cause="9"),
        members=[member(), member(Relation.SPOUSE, name="何秀英", id_number=make_id_number(male=False))],
    )
    helper = Helper.objects.create(name="李干部", unit="锁南镇政府", level="4", region=village.parent)
    HelperAssignment.objects.create(helper=helper, household=household, start_date=date(2019, 3, 1))
    assert codes(household) == set()
    assert refresh_warning_count(household.pk) == 0


def test_an_exited_household_at_the_poverty_line_is_flagged(clerk, village):
    household = register_household(
        user=clerk, village_code=village.code, data=household_data(main_cause="9"), members=[member()]
    )
    save_income(user=clerk, household_id=household.pk, year=2016, items={"pension": "2952"})
    identify(household, clerk, year=2015)
    change_status(
        user=clerk,
        household_id=household.pk,
        kind=AdjustmentKind.EXITED,
        reason="脱贫",
        exit_year=2016,
        application=approved_application(household),
    )
    household.refresh_from_db()
    assert "exited_below_line" in codes(household)
    messages = [warning.message for warning in household_warnings(household)]
    assert "已脱贫户2016年人均纯收入未超过当年扶贫标准2952元。" in messages


def test_a_school_age_child_out_of_school_is_flagged(clerk, village):
    household = register_household(
        user=clerk,
        village_code=village.code,
        data=household_data(main_cause="9"),
        members=[
            member(),
            member(Relation.SON, name="马小", id_number=make_id_number(birth=date(2014, 5, 5)), school_status="01"),
        ],
    )
    assert "dropout" in codes(household)


def test_the_batch_refresh_counts_like_the_single_one(clerk, village):
    from households.services import refresh_warning_counts

    first = register_household(
        user=clerk,
        village_code=village.code,
        data=household_data(),
        members=[member(), member(Relation.SPOUSE, name="马强", id_number=make_id_number(male=True))],
    )
    second = register_household(
        user=clerk,
        village_code=village.code,
        data=household_data(main_cause="9"),
        members=[member(id_number=make_id_number())],
    )
    expected = {household.pk: len(household_warnings(household)) for household in (first, second)}
    Household.objects.update(warning_count=None)
    assert refresh_warning_counts("622926101", chunk_size=1) == 2
    assert dict(Household.objects.values_list("pk", "warning_count")) == expected


def test_an_exited_household_in_a_dangerous_house_is_flagged(clerk, village):
    household = register_household(
        user=clerk,
        village_code=village.code,
        data=household_data(main_cause="9", house_safety_grade="D", housing_area_m2=0, distance_to_main_road_km=60),
        members=[member()],
    )
    assert {"housing_area_zero", "road_distance"} <= codes(household)
    identify(household, clerk)
    change_status(
        user=clerk,
        household_id=household.pk,
        kind=AdjustmentKind.EXITED,
        reason="脱贫",
        application=approved_application(household),
    )
    household.refresh_from_db()
    assert "exited_dangerous_house" in codes(household)
