"""一般农户: never-poor households registered to be monitored (docs/domain.md §12.2) count as poor nowhere."""

import pytest
from django.core.exceptions import ValidationError

from assessment.statistics import incidence_of
from households.codes import HouseholdStatus, Relation
from households.counts import all_subtree_counts, child_region_counts, subtree_counts
from households.poverty import current_year
from households.services import DuplicatePerson, register_household, update_household
from tests.factories import make_id_number
from tests.histories import with_history
from tests.households.conftest import member

pytestmark = pytest.mark.django_db


def register_ordinary(clerk, village, members=None, **data):
    return register_household(
        user=clerk,
        village_code=village.code,
        data={"group_name": "一组", **data},
        members=members or [member(name="王强"), member(Relation.SPOUSE, name="李梅")],
        ordinary=True,
    )


def test_an_ordinary_household_registers_without_poverty_attributes(clerk, village):
    household = register_ordinary(clerk, village)
    household.refresh_from_db()
    assert household.status == HouseholdStatus.ORDINARY
    assert (household.attribute, household.main_cause, household.other_causes, household.identified_year) == (
        "",
        "",
        [],
        None,
    )
    assert household.member_count == 2 and household.head_name == "王强"
    assert household.household_no == f"{village.code}0001"


def test_an_ordinary_household_may_not_carry_poverty_attributes(clerk, village):
    with pytest.raises(ValidationError) as refused:
        register_ordinary(clerk, village, attribute="1", identified_year=2020)
    assert set(refused.value.message_dict) == {"attribute", "identified_year"}
    assert "一般农户" in refused.value.message_dict["attribute"][0]


def test_a_poor_registration_still_needs_its_attribute_and_year(clerk, village):
    with pytest.raises(ValidationError) as refused:
        register_household(user=clerk, village_code=village.code, data={"main_cause": "1"}, members=[member()])
    assert {"attribute", "identified_year"} <= set(refused.value.message_dict)


def test_the_same_member_and_id_rules_apply(clerk, village, exited):
    with pytest.raises(ValidationError) as refused:
        register_ordinary(clerk, village, members=[member(Relation.SON)])
    assert "户主" in refused.value.message_dict["members"][0]
    with pytest.raises(ValidationError) as refused:
        register_ordinary(clerk, village, members=[member(id_number="622926197501011234")])
    assert "members.0.id_number" in refused.value.message_dict
    registered = exited.members.first().id_number
    with pytest.raises(DuplicatePerson):
        register_ordinary(clerk, village, members=[member(id_number=registered)])


def test_an_ordinary_household_is_corrected_without_causes(clerk, village):
    household = register_ordinary(clerk, village)
    updated = update_household(user=clerk, household_id=household.pk, expected_version=1, data={"group_name": "二组"})
    assert updated.group_name == "二组" and updated.status == HouseholdStatus.ORDINARY
    with pytest.raises(ValidationError) as refused:
        update_household(user=clerk, household_id=household.pk, expected_version=2, data={"main_cause": "1"})
    assert "main_cause" in refused.value.message_dict


def test_an_ordinary_household_counts_as_poor_nowhere(clerk, village):
    with_history(
        register_household(
            user=clerk,
            village_code=village.code,
            data={"attribute": "1", "main_cause": "1", "identified_year": 2016},
            members=[member(id_number=make_id_number())],
        ),
        status="POOR",
        identified_year=2016,
    )
    register_ordinary(clerk, village)
    for year in (2016, 2020, current_year()):
        incidence = incidence_of(village.code, year)
        assert (incidence.poor_households, incidence.poor_population) == (1, 1)
    # The registry counts are of 建档立卡 households: the 一般农户 is not one.
    assert subtree_counts("622926")["households"] == 1
    assert all_subtree_counts()["622926"]["households"] == 1
    township = village.parent
    assert dict((child.code, counts["households"]) for child, counts in child_region_counts(township)) == {
        village.code: 1
    }
