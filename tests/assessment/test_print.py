"""The print-ready pages of the procedures (issue 17): a village's 公示 list and an application's 审批表,
and the households' 公示 on the public board (docs/domain.md §5.10)."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from assessment import services
from assessment.models import Application
from core.models import PolicyParameter
from households.models import Household, Member

from ..conftest import login
from ..factories import household_with_members
from .conftest import GUARANTEES_MET, elapse_publicity, set_income, today

pytestmark = pytest.mark.django_db

PHONE = "13909390123"


def exit_in_publicity(people, household) -> Application:
    """A household exit whose 村内公示 runs from today."""
    return services.draft_and_submit(
        user=people["clerk"],
        kind="HOUSEHOLD_EXIT",
        year=2019,
        household_id=household.pk,
        figures={**GUARANTEES_MET, "consent": True},
        reason="民主评议通过",
    )


@pytest.fixture
def publicity(people, poor_household, tree):
    Household.objects.filter(pk=poor_household.pk).update(head_name="马福海", group_name="一组", phone=PHONE)
    poor_household.refresh_from_db()
    application = exit_in_publicity(people, poor_household)
    return {"household": poor_household, "application": application}


def publicity_url(code="622926101201"):
    return reverse("assessment:print_publicity", args=[code])


def test_the_publicity_list_shows_its_title_period_names_and_allowed_columns(client, people, publicity):
    login(client, people["clerk"])
    response = client.get(publicity_url())
    assert response.status_code == 200
    page = response.content.decode()
    step = publicity["application"].steps.get(kind="publicity")
    assert "甲村2019年贫困户退出公示" in page
    assert f"{step.starts_on:%Y年%-m月%-d日} 至 {step.ends_on:%Y年%-m月%-d日}" in page
    assert "马福海" in page and "一组" in page
    table = page.split("<thead>")[1].split("</thead>")[0]
    assert re.findall(r"<th>([^<]+)</th>", table) == ["序号", "户主姓名", "所在村（组）", "家庭人口（人）", "公示事项"]
    assert "盖章" in page and "打印" in page


def test_the_publicity_list_never_shows_id_numbers_phones_or_causes(client, people, publicity):
    household = publicity["household"]
    login(client, people["county"])
    page = client.get(publicity_url()).content.decode()
    assert "马福海" in page
    for member in Member.objects.filter(household=household):
        assert member.id_number not in page and member.id_number_masked not in page
        assert member.id_number[-6:] not in page
        assert member.name not in page  # only the 户主 is named
    assert PHONE not in page and PHONE[-4:] not in page
    assert household.household_no not in page
    assert household.get_main_cause_display() not in page  # 因病: a health detail (§5.10)
    assert "身份证" not in page and "致贫原因" not in page


def test_the_supervision_phone_is_the_parameter_and_a_county_row_overrides_12317(client, people, publicity, tree):
    login(client, people["clerk"])
    assert re.search(r"data-supervision-phone>12317<", client.get(publicity_url()).content.decode())
    PolicyParameter.objects.create(key="SUPERVISION_PHONE", region=tree["county"], value=0, text="0930-7121234")
    page = client.get(publicity_url()).content.decode()
    assert "data-supervision-phone>0930-7121234<" in page and ">12317<" not in page


def test_the_publicity_list_is_404_out_of_scope_and_for_a_region_that_is_not_a_village(client, people, publicity):
    login(client, people["clerk_b"])  # the other township
    assert client.get(publicity_url()).status_code == 404
    login(client, people["other_county"])
    assert client.get(publicity_url()).status_code == 404
    login(client, people["county"])
    assert client.get(publicity_url("622926101000")).status_code == 404  # a township


def test_an_ended_application_leaves_the_list_and_another_village_has_its_own(client, people, publicity, tree):
    other = household_with_members(tree["village_b"], size=2)
    set_income(other, 2019, 9000)
    Household.objects.filter(pk=other.pk).update(head_name="乙村户主")
    services.draft_and_submit(
        user=people["clerk_b"],
        kind="HOUSEHOLD_EXIT",
        year=2019,
        household_id=other.pk,
        figures={**GUARANTEES_MET, "consent": True},
    )
    login(client, people["county"])
    page = client.get(publicity_url()).content.decode()
    assert "马福海" in page and "乙村户主" not in page
    services.send_back_application(
        user=people["clerk2"], application_id=publicity["application"].pk, comment="材料不全"
    )
    page = client.get(publicity_url()).content.decode()
    assert "马福海" not in page and 'id="no-publicity"' in page


def test_the_approval_sheet_lists_every_step_with_who_when_and_opinion(client, people, publicity):
    application = publicity["application"]
    services.file_objection(user=people["clerk2"], application_id=application.pk, content="该户有车辆")
    objection = application.objections.get()
    services.resolve_objection(
        user=people["county"], objection_id=objection.pk, outcome="车辆已报废，异议不成立", upheld=False
    )
    elapse_publicity(application.pk)
    services.approve_step(user=people["clerk2"], application_id=application.pk, comment="乡镇核实无误")
    people["county"].first_name = "县审核员"
    people["county"].save()
    services.approve_step(user=people["county"], application_id=application.pk, comment="同意退出")
    login(client, people["clerk"])
    response = client.get(reverse("assessment:print_application", args=[application.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "户退出申请审批表" in page and "马福海户" in page and "民主评议通过" in page
    steps = re.findall(r'<tr data-step="[^"]+">(.*?)</tr>', page, re.S)
    assert len(steps) == application.steps.count() == 5
    for step in application.steps.exclude(kind="publicity").exclude(acted_by=None):
        row = next(row for row in steps if step.name in row)
        assert (step.acted_by.get_full_name() or step.acted_by.username) in row
        assert f"{step.acted_at.astimezone():%Y-%m-%d %H:%M}" in row
        assert step.comment in row
    assert "县审核员" in page and "乡镇核实无误" in page and "同意退出" in page
    notice = next(row for row in steps if "村内公示" in row)
    assert "公示期" in notice and "该户有车辆" in notice and "异议不成立" in notice


def test_the_approval_sheet_is_404_out_of_scope(client, people, publicity):
    login(client, people["clerk_b"])
    assert client.get(reverse("assessment:print_application", args=[publicity["application"].pk])).status_code == 404


def test_the_pages_link_to_the_print_pages(client, people, publicity):
    application = publicity["application"]
    login(client, people["county"])
    assert (
        reverse("assessment:print_application", args=[application.pk])
        in client.get(reverse("assessment:detail", args=[application.pk])).content.decode()
    )
    assert publicity_url() in client.get(reverse("regions:detail", args=["622926101201"])).content.decode()
    assert publicity_url() in client.get(reverse("assessment:queue")).content.decode()


# --- the public board ---------------------------------------------------------------------------


def board_url(code="622926101201"):
    return reverse("public:village_notices", args=[code])


def test_the_public_board_shows_a_running_household_publicity_with_names_and_village_only(client, publicity):
    household = publicity["household"]
    page = client.get(board_url()).content.decode()  # no login
    section = page.split('id="household-notices"')[1].split("扶贫项目和资金公告公示")[0]
    assert "甲村2019年贫困户退出公示" in section and "马福海" in section and "甲村" in section
    assert re.findall(r"<th>([^<]+)</th>", section) == ["户主姓名", "所在村"]
    assert "一组" not in section  # not even the 组: names and the village only
    for member in Member.objects.filter(household=household):
        assert member.id_number not in page and member.id_number_masked not in page
    assert PHONE not in page and PHONE[-4:] not in page and household.household_no not in page
    assert household.get_main_cause_display() not in page
    assert client.get(board_url("622926102201")).content.decode().count("马福海") == 0


def test_an_ended_publicity_disappears_from_the_public_board(client, publicity):
    assert "马福海" in client.get(board_url()).content.decode()
    elapse_publicity(publicity["application"].pk)
    page = client.get(board_url()).content.decode()
    assert "马福海" not in page and "目前没有公示期内的贫困户或监测对象" in page


def test_the_public_board_shows_the_county_supervision_phone(client, publicity, tree):
    assert "<strong>12317</strong>" in client.get(board_url()).content.decode()
    PolicyParameter.objects.create(key="SUPERVISION_PHONE", region=tree["county"], value=0, text="0930-7121234")
    assert "<strong>0930-7121234</strong>" in client.get(board_url()).content.decode()


def test_a_publicity_that_starts_later_is_not_on_the_board(client, publicity):
    step = publicity["application"].steps.get(kind="publicity")
    step.starts_on, step.ends_on = today() + timedelta(days=1), today() + timedelta(days=8)
    step.save()
    assert "马福海" not in client.get(board_url()).content.decode()


def test_a_monitoring_identification_in_its_publicity_is_on_the_board_without_its_risk(people, tree):
    from assessment.monitoring_workflows import start_monitoring_identification
    from assessment.publicity import public_household_notices, village_publicity_sheets
    from households.codes import HouseholdStatus
    from monitoring.codes import RiskType
    from monitoring.defaults import ensure_default_lines

    ensure_default_lines()
    household = household_with_members(tree["village_a"], size=4, status=HouseholdStatus.EXITED)
    Household.objects.filter(pk=household.pk).update(head_name="冶忠学")
    visited = date(2024, 3, 1)
    application = start_monitoring_identification(
        user=people["clerk"],
        household_id=household.pk,
        today=visited,
        discovered_on=visited,
        category="1",
        risk_types=[RiskType.ILLNESS],
        income_12_months=Decimal("30000.00"),
        compliant_costs=Decimal("8000.00"),
        consent_signed_on=visited,
    )
    for comment in ("比对无异常", "评议通过"):  # 信息比对, 民主评议: then the 5-day 村内公示
        services.approve_step(user=people["clerk2"], application_id=application.pk, comment=comment, today=visited)
    (sheet,) = public_household_notices(tree["village_a"], date(2024, 3, 3))
    assert sheet.title == "甲村2024年拟纳入防返贫监测对象公示"
    assert sheet.rows == [{"head_name": "冶忠学", "village": "甲村"}]
    assert public_household_notices(tree["village_a"], date(2024, 3, 6)) == []  # the period is over
    (printed,) = village_publicity_sheets(people["county"], tree["village_a"], date(2024, 3, 3))
    assert printed.rows[0]["member_count"] == 4 and printed.rows[0]["kind_label"] == "监测识别"
    assert RiskType.ILLNESS.label not in str(printed.rows)
