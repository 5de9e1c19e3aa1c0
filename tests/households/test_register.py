from datetime import date

import pytest
from django.core.exceptions import ValidationError

from fupin.demo import id_check_char
from households.codes import AdjustmentKind, HouseholdStatus, Relation
from households.models import AdjustmentRecord, Household, Member
from households.services import DuplicatePerson, register_household
from tests.factories import UserFactory, make_id_number, region

from .conftest import household_data, identify, member

pytestmark = pytest.mark.django_db


def test_registration_writes_a_candidate_and_members_and_the_approved_identification_a_new_adjustment(clerk, village):
    household = register_household(
        user=clerk,
        village_code=village.code,
        data=household_data(),
        members=[
            member(name="马成", id_number=make_id_number(birth=date(1975, 3, 2), male=True)),
            member(Relation.SPOUSE, name="何秀英", id_number=make_id_number(birth=date(1977, 8, 9), male=False)),
            member(Relation.SON, name="马小军", id_number=make_id_number(birth=date(2005, 1, 1))),
        ],
    )
    household.refresh_from_db()
    # Every new household enters as 拟识别; only the approved 识别 makes it 未脱贫 (docs/domain.md §5.1).
    assert household.status == HouseholdStatus.CANDIDATE
    assert household.head_name == "马成" and household.head_name_initials == "MC"
    assert household.member_count == 3
    assert household.version == 1
    assert household.household_no == f"{village.code}0001"
    spouse = household.members.get(relation=Relation.SPOUSE)
    assert spouse.gender == "2" and spouse.birth_date == date(1977, 8, 9)
    assert spouse.id_number_masked.startswith("622926") and "*" in spouse.id_number_masked
    assert not AdjustmentRecord.objects.filter(household=household).exists()
    identify(household, clerk, year=2018)
    assert household.status == HouseholdStatus.POOR
    adjustment = AdjustmentRecord.objects.get(household=household)
    assert adjustment.kind == AdjustmentKind.NEW and adjustment.created_by == clerk
    # The identification year is the approved application's year, not the year typed at registration.
    assert adjustment.effective_year == household.identified_year == 2018


def test_the_next_household_gets_the_next_number(clerk, village):
    for expected in ("0001", "0002"):
        household = register_household(user=clerk, village_code=village.code, data=household_data(), members=[member()])
        assert household.household_no == village.code + expected


def test_a_15_digit_id_number_is_upgraded(clerk, village):
    household = register_household(
        user=clerk, village_code=village.code, data=household_data(), members=[member(id_number="622926790813697")]
    )
    assert household.members.get().id_number == "62292619790813697" + id_check_char("62292619790813697")


@pytest.mark.parametrize(
    ("relations", "message"),
    [
        ([Relation.HEAD, Relation.HEAD], "户主须有且只有一人，当前为2人。"),
        ([Relation.SON, Relation.DAUGHTER], "户主须有且只有一人，当前为0人。"),
        ([Relation.HEAD, Relation.SPOUSE, Relation.SPOUSE], "配偶最多一人。"),
    ],
)
def test_family_shape_is_enforced_and_nothing_is_saved(clerk, village, relations, message):
    with pytest.raises(ValidationError) as error:
        register_household(
            user=clerk,
            village_code=village.code,
            data=household_data(),
            members=[member(relation) for relation in relations],
        )
    assert message in error.value.message_dict["members"]
    assert Household.objects.count() == 0 and Member.objects.count() == 0


def test_a_wrong_checksum_names_the_row_and_saves_nothing(clerk, village):
    good = make_id_number()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError) as error:
        register_household(
            user=clerk,
            village_code=village.code,
            data=household_data(),
            members=[member(), member(Relation.SON, id_number=bad)],
        )
    assert error.value.message_dict["members.1.id_number"] == ["身份证号码校验位错误，请核对后重新输入。"]
    assert Household.objects.count() == 0 and Member.objects.count() == 0


def test_the_same_person_twice_in_one_form_is_refused(clerk, village):
    number = make_id_number()
    with pytest.raises(ValidationError) as error:
        register_household(
            user=clerk,
            village_code=village.code,
            data=household_data(),
            members=[member(id_number=number), member(Relation.SON, id_number=number)],
        )
    assert error.value.message_dict["members.1.id_number"] == ["与第1行成员的身份证号码重复。"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"main_cause": ""}, "main_cause", "请选择主要致贫原因。"),
        ({"other_causes": ["2", "3", "4"]}, "other_causes", "其他致贫原因最多选2项。"),
        ({"other_causes": ["1"]}, "other_causes", "其他致贫原因不能与主要致贫原因相同。"),
        ({"other_causes": ["3", "3"]}, "other_causes", "其他致贫原因不能重复。"),
    ],
)
def test_poverty_causes_are_checked(clerk, village, data, field, message):
    with pytest.raises(ValidationError) as error:
        register_household(user=clerk, village_code=village.code, data=household_data(**data), members=[member()])
    assert message in error.value.message_dict[field]
    assert Household.objects.count() == 0


def test_a_village_outside_the_scope_is_refused(clerk):
    other = region("622926102201", "河滩村")
    with pytest.raises(ValidationError) as error:
        register_household(user=clerk, village_code=other.code, data=household_data(), members=[member()])
    assert "village" in error.value.message_dict
    assert Household.objects.count() == 0


def test_a_person_registered_in_a_visible_township_is_named(clerk, village):
    number = make_id_number()
    first = register_household(
        user=clerk, village_code=village.code, data=household_data(), members=[member(id_number=number)]
    )
    with pytest.raises(DuplicatePerson) as error:
        register_household(
            user=clerk, village_code=village.code, data=household_data(), members=[member(id_number=number)]
        )
    message = error.value.message_dict["members.0.id_number"][0]
    assert "锁南镇红柳村" in message and first.household_no in message
    assert Household.objects.count() == 1


def test_a_person_registered_outside_the_scope_is_not_located(clerk, village):
    other_clerk = UserFactory(role="township_clerk", region=region("622926102000", "另一镇"))
    other_village = region("622926102201", "河滩村")
    number = make_id_number()
    register_household(
        user=other_clerk, village_code=other_village.code, data=household_data(), members=[member(id_number=number)]
    )
    with pytest.raises(DuplicatePerson) as error:
        register_household(
            user=clerk, village_code=village.code, data=household_data(), members=[member(id_number=number)]
        )
    message = error.value.message_dict["members.0.id_number"][0]
    assert message == "该身份证号码已在其他地区登记，请联系上级部门核实。"
    assert "河滩村" not in message and "另一镇" not in message


def test_status_cannot_be_typed_in(clerk, village):
    household = register_household(
        user=clerk, village_code=village.code, data=household_data(status="EXITED"), members=[member()]
    )
    household.refresh_from_db()
    assert household.status == HouseholdStatus.CANDIDATE


def test_an_explicit_household_number_already_taken_is_a_field_error(clerk, village):
    register_household(
        user=clerk, village_code=village.code, data=household_data(household_no="A001"), members=[member()]
    )
    with pytest.raises(ValidationError) as error:
        register_household(
            user=clerk,
            village_code=village.code,
            data=household_data(household_no="A001"),
            members=[member(id_number=make_id_number())],
        )
    assert error.value.message_dict["household_no"] == ["户编号已存在。"]
