"""The household's printed 扶贫手册 (户档案, issue 17): every section of the record, numbers masked, scoped."""

from datetime import date

import pytest
from django.urls import reverse

from assistance.models import Visit
from households.models import AdjustmentRecord, AidMeasure, Helper, HelperAssignment, Household, IncomeRecord, Member
from tests.conftest import login
from tests.factories import household_with_members

pytestmark = pytest.mark.django_db

PHONE = "13909390123"
HELPER_PHONE = "13809301234"


@pytest.fixture
def handbook(two_townships):
    household = household_with_members(two_townships["village_a"], size=3)
    Household.objects.filter(pk=household.pk).update(head_name="马福海", group_name="二组", phone=PHONE)
    IncomeRecord.objects.create(household=household, year=2019, household_size=3, wage_income="12000.00")
    AidMeasure.objects.create(household=household, category="01", year=2019, description="养牛两头", amount="8000.00")
    helper = Helper.objects.create(
        name="李帮扶", unit="县农业农村局", level="3", region=two_townships["township_a"], phone=HELPER_PHONE
    )
    HelperAssignment.objects.create(helper=helper, household=household, start_date=date(2019, 3, 1))
    AdjustmentRecord.objects.create(
        household=household, kind="NEW", year=2019, effective_date=date(2019, 1, 1), reason="新识别纳入"
    )
    Visit.objects.create(household=household, helper=helper, visited_on=date(2020, 5, 6), findings="入户了解养殖情况")
    household.refresh_from_db()
    return household


def url(household):
    return reverse("households:handbook", args=[household.pk])


def test_the_handbook_holds_every_section_of_the_record(client, clerk_a, handbook):
    login(client, clerk_a)
    response = client.get(url(handbook))
    assert response.status_code == 200
    page = response.content.decode()
    for title in (
        "扶贫手册",
        "一、家庭基本情况",
        "二、生产生活条件",
        "三、家庭成员（3人）",
        "四、收入情况",
        "五、帮扶措施",
        "六、帮扶责任人",
        "七、户调整记录",
        "八、帮扶日志",
    ):
        assert title in page, title
    assert "马福海" in page and "二组" in page and handbook.household_no in page
    assert handbook.get_main_cause_display() in page and handbook.get_attribute_display() in page
    assert "12000.00" in page and "养牛两头" in page and "8000.00" in page
    assert "李帮扶" in page and "县农业农村局" in page and "2019-03-01" in page
    assert "新识别纳入" in page and "入户了解养殖情况" in page and "2020-05-06" in page
    assert "data-print" in page and "static/css/print.css" in page


def test_the_handbook_masks_id_numbers_and_phones_even_for_who_may_unmask(client, two_townships, handbook):
    from core.codes import Role
    from tests.factories import UserFactory

    county = UserFactory(role=Role.COUNTY_REVIEWER, region=two_townships["county"])
    login(client, county)
    page = client.get(url(handbook)).content.decode()
    for member in Member.objects.filter(household=handbook):
        assert member.id_number_masked in page
        assert member.id_number not in page
    assert PHONE not in page and handbook.phone_masked in page
    assert HELPER_PHONE not in page


def test_the_handbook_is_404_out_of_scope(client, two_townships, handbook):
    from core.codes import Role
    from tests.factories import UserFactory

    login(client, UserFactory(role=Role.TOWNSHIP_CLERK, region=two_townships["township_b"]))
    assert client.get(url(handbook)).status_code == 404


def test_the_household_page_links_to_its_handbook(client, clerk_a, handbook):
    login(client, clerk_a)
    assert url(handbook) in client.get(reverse("households:detail", args=[handbook.pk])).content.decode()
