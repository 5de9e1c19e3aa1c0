from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from households.codes import AdjustmentKind, HouseholdStatus, MemberChangeReason, Relation
from households.income import net_income_per_capita
from households.models import AdjustmentRecord, HelperAssignment, Household, IncomeRecord, Member
from households.services import (
    add_member,
    assign_helper,
    change_status,
    create_helper,
    register_household,
    remove_member,
    save_income,
    update_household,
)
from households.services.support import open_pairing_count
from tests.factories import approved_application, make_id_number

from .conftest import household_data, identify, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(clerk, village):
    """A registered household whose 识别 was approved (effective 2016): 未脱贫."""
    registered = register_household(
        user=clerk,
        village_code=village.code,
        data=household_data(),
        members=[
            member(name="马成"),
            member(Relation.SPOUSE, name="何秀英", id_number=make_id_number(male=False)),
            member(Relation.SON, name="马小军", id_number=make_id_number(birth=date(2006, 4, 1))),
        ],
    )
    return identify(registered, clerk, year=2016)


def members_payload(household):
    return [
        {"id": m.pk, "name": m.name, "relation": m.relation, "id_number": m.id_number}
        for m in household.members.filter(is_active=True).order_by("pk")
    ]


def test_an_edit_corrects_members_and_may_move_the_head(clerk, household):
    payload = members_payload(household)
    payload[0]["relation"], payload[2]["relation"] = Relation.FATHER, Relation.HEAD
    payload[2]["name"] = "马军"
    updated = update_household(
        user=clerk, household_id=household.pk, expected_version=household.version, data={}, members=payload
    )
    assert updated.head_name == "马军" and updated.head_name_initials == "MJ"
    assert updated.version == household.version + 1
    assert Member.objects.get(name="马军").relation == Relation.HEAD


def test_an_edit_cannot_add_or_drop_members(clerk, household):
    payload = members_payload(household)[:2]
    with pytest.raises(ValidationError) as error:
        update_household(
            user=clerk, household_id=household.pk, expected_version=household.version, data={}, members=payload
        )
    assert "成员减少" in error.value.message_dict["members"][0]
    assert Household.objects.get(pk=household.pk).version == household.version


def test_exit_sets_status_and_exit_year_through_an_adjustment(clerk, household):
    adjustment = change_status(
        user=clerk,
        household_id=household.pk,
        kind=AdjustmentKind.EXITED,
        reason="人均纯收入稳定超过标准，两不愁三保障均已实现",
        exit_year=2019,
        application=approved_application(household),
    )
    household.refresh_from_db()
    assert household.status == HouseholdStatus.EXITED and household.exit_year == 2019
    assert (adjustment.from_status, adjustment.to_status) == (HouseholdStatus.POOR, HouseholdStatus.EXITED)


def test_a_status_change_needs_a_reason_and_a_legal_move(clerk, household):
    with pytest.raises(ValidationError) as error:
        change_status(user=clerk, household_id=household.pk, kind=AdjustmentKind.EXITED, reason=" ")
    assert error.value.message_dict["reason"] == ["请填写情况说明。"]
    with pytest.raises(ValidationError) as error:
        change_status(user=clerk, household_id=household.pk, kind=AdjustmentKind.RETURNED, reason="返贫")
    assert "不能返贫" in error.value.message_dict["kind"][0]
    # An exit without an approved application is refused, and says where to go instead.
    with pytest.raises(ValidationError) as error:
        change_status(user=clerk, household_id=household.pk, kind=AdjustmentKind.EXITED, reason="达到脱贫标准")
    assert error.value.message_dict["kind"] == ["脱贫须提交“户退出”申请，经公示和逐级审核批准后自动生效（审核待办）。"]
    household.refresh_from_db()
    assert household.status == HouseholdStatus.POOR


def test_removal_frees_the_people_for_another_registration(clerk, village, household):
    head_number = household.members.get(relation=Relation.HEAD).id_number
    change_status(
        user=clerk,
        household_id=household.pk,
        kind=AdjustmentKind.REMOVED,
        reason="识别不精准，予以清退",
        application=approved_application(household, "REMOVAL", 2020),
    )
    assert not Member.objects.filter(household=household, is_active=True).exists()
    again = register_household(
        user=clerk, village_code=village.code, data=household_data(), members=[member(id_number=head_number)]
    )
    assert again.members.get().id_number == head_number


def test_removal_ends_the_household_s_open_pairings_and_frees_the_helper(clerk, village, household):
    """A 清退 household is off the register: its helpers' pairings end that day (docs/domain.md §9.1)."""
    helper = create_helper(user=clerk, region_code=village.parent_id, name="李干部", unit="镇政府", level="4")
    assign_helper(user=clerk, helper_id=helper.pk, household_id=household.pk, start_date=date(2019, 3, 1))
    assert open_pairing_count(helper.pk) == 1
    change_status(
        user=clerk,
        household_id=household.pk,
        kind=AdjustmentKind.REMOVED,
        reason="识别不精准，予以清退",
        effective_date=date(2020, 6, 30),
        application=approved_application(household, "REMOVAL", 2020),
    )
    pairing = HelperAssignment.objects.get(household=household)
    assert pairing.end_date == date(2020, 6, 30)
    assert open_pairing_count(helper.pk) == 0
    assert pairing.events.order_by("pgh_id").last().pgh_context.metadata["reason"] == "识别不精准，予以清退"


def test_member_increase_and_decrease_are_recorded(clerk, household):
    baby = add_member(
        user=clerk,
        household_id=household.pk,
        member=member(Relation.GRANDSON, name="马小宝", id_number=make_id_number(birth=date(2020, 2, 2))),
        member_reason=MemberChangeReason.NEWBORN,
        reason="2020年2月出生",
    )
    household.refresh_from_db()
    assert household.member_count == 4 and household.version == 3  # registered, identified, a member added
    spouse = household.members.get(relation=Relation.SPOUSE)
    remove_member(user=clerk, member_id=spouse.pk, member_reason=MemberChangeReason.DEATH, reason="因病去世")
    household.refresh_from_db()
    assert household.member_count == 3
    kinds = list(AdjustmentRecord.objects.filter(household=household).values_list("kind", "member_id"))
    assert (AdjustmentKind.MEMBER_INCREASE, baby.pk) in kinds
    assert (AdjustmentKind.MEMBER_DECREASE, spouse.pk) in kinds


def test_the_head_cannot_simply_leave(clerk, household):
    head = household.members.get(relation=Relation.HEAD)
    with pytest.raises(ValidationError):
        remove_member(user=clerk, member_id=head.pk, member_reason=MemberChangeReason.DEATH, reason="去世")
    assert Member.objects.get(pk=head.pk).is_active


def test_a_second_head_cannot_be_added(clerk, household):
    with pytest.raises(ValidationError) as error:
        add_member(
            user=clerk,
            household_id=household.pk,
            member=member(Relation.HEAD, name="马二"),
            member_reason=MemberChangeReason.MOVED_IN,
            reason="迁入",
        )
    assert "户主须有且只有一人" in error.value.message_dict["members"][0]


def test_net_income_per_capita_is_exact(clerk, household):
    income = save_income(
        user=clerk,
        household_id=household.pk,
        year=2019,
        items={
            "wage_income": "8000.10",
            "business_income": "3000",
            "asset_dividend_income": "500",
            "dibao_benefit": "1200.50",
            "pension": "1000",
            "business_expense": "1200",
        },
    )
    figures = net_income_per_capita(income)
    assert figures.gross_income == Decimal("13700.60")
    assert figures.net_income == Decimal("12500.60")
    assert figures.net_income_per_capita == Decimal("12500.60") / 3
    assert IncomeRecord.objects.get(pk=income.pk).household_size == 3


def test_negative_income_items_are_refused(clerk, household):
    with pytest.raises(ValidationError) as error:
        save_income(user=clerk, household_id=household.pk, year=2019, items={"wage_income": "-1"})
    assert "wage_income" in error.value.message_dict
    assert not IncomeRecord.objects.exists()


def test_history_records_every_change_with_its_reason(clerk, household):
    import pghistory.models

    change_status(
        user=clerk,
        household_id=household.pk,
        kind=AdjustmentKind.EXITED,
        reason="达到脱贫标准",
        application=approved_application(household),
    )
    events = pghistory.models.Events.objects.references(household).filter(pgh_model="households.HouseholdEvent")
    statuses = [event.pgh_data["status"] for event in events.order_by("pgh_created_at")]
    assert statuses[0] == HouseholdStatus.CANDIDATE and statuses[-1] == HouseholdStatus.EXITED
    assert HouseholdStatus.POOR in statuses
    assert any((event.pgh_context or {}).get("reason") == "达到脱贫标准" for event in events)
