"""The project library pages: list, 申报 and 修改, the detail page and its actions."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import PolicyParameter
from households.models import AidMeasure
from projects import services
from projects.codes import ProjectStatus
from projects.models import Beneficiary, NoticeObjection, Project
from tests.conftest import login
from tests.factories import household_with_members

from .conftest import declare, finished_notice

pytestmark = pytest.mark.django_db


def act(client, project, action, **data):
    return client.post(reverse("projects:action", args=[project.pk, action]), data)


def test_the_list_shows_only_projects_in_scope_and_another_townships_project_is_404(client, area):
    own = declare(area["clerk"], name="红柳村养殖合作社")
    other = declare(area["other_clerk"], village_code="622926102201", name="别的乡的水窖")
    login(client, area["clerk"])
    page = client.get(reverse("projects:list")).content.decode()
    assert own.name in page
    assert other.name not in page
    assert client.get(reverse("projects:detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("projects:edit", args=[other.pk])).status_code == 404
    assert act(client, other, "advance").status_code == 404
    assert Project.objects.get(pk=other.pk).status == ProjectStatus.DECLARED


def test_the_list_filters_by_year_status_and_category(client, area):
    declare(area["clerk"], name="二〇一九年的养殖项目")
    declare(area["clerk"], name="二〇二〇年的培训项目", year=2020, category="06")
    login(client, area["reviewer"])
    page = client.get(reverse("projects:list"), {"year": 2020}).content.decode()
    assert "二〇二〇年的培训项目" in page and "二〇一九年的养殖项目" not in page
    page = client.get(reverse("projects:list"), {"category": "01", "status": "DECLARED"}).content.decode()
    assert "二〇一九年的养殖项目" in page and "二〇二〇年的培训项目" not in page


def test_a_bad_declaration_keeps_what_was_typed_and_names_each_field(client, area):
    login(client, area["clerk"])
    response = client.post(
        reverse("projects:new"),
        {
            "name": "红柳村饮水工程",
            "category": "02",
            "year": "2019",
            "budget": "十万元",
            "implementing_unit": "锁南镇水管站",
            "villages": ["622926101201"],
            "content": "新建蓄水池两座",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-error-for="budget"' in page
    assert "请输入金额（元），最多两位小数。" in page
    assert "红柳村饮水工程" in page and "锁南镇水管站" in page and "新建蓄水池两座" in page and "十万元" in page
    assert not Project.objects.exists()


def test_a_project_declared_without_a_performance_target_is_refused_entry_with_the_reason_shown(client, area):
    login(client, area["clerk"])
    response = client.post(
        reverse("projects:new"),
        {
            "name": "红柳村饮水工程",
            "category": "02",
            "year": "2019",
            "budget": "100000",
            "implementing_unit": "锁南镇水管站",
            "villages": ["622926101201"],
        },
    )
    project = Project.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:detail", args=[project.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'data-error-for="performance_target"' in page
    assert "未填写绩效目标的项目不能入库。" in page
    client.logout()

    login(client, area["reviewer"])
    assert act(client, project, "advance", comment="同意").status_code == 302  # 乡审核
    assert act(client, project, "advance", comment="论证通过").status_code == 302  # 县论证
    finished_notice(area["reviewer"], project)
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    blockers = page.split('id="advance-blockers"')[1].split("</ul>")[0]
    assert "未填写绩效目标的项目不能入库。" in blockers
    response = act(client, project, "advance", comment="入库")
    assert response.status_code == 400
    assert "未填写绩效目标的项目不能入库。" in response.content.decode().split('id="action-errors"')[1]
    project.refresh_from_db()
    assert project.status == ProjectStatus.COUNTY_APPRAISED

    response = client.post(
        reverse("projects:edit", args=[project.pk]),
        {
            "name": project.name,
            "category": "02",
            "year": "2019",
            "budget": "100000.00",
            "implementing_unit": "锁南镇水管站",
            "villages": ["622926101201"],
            "performance_target": "解决120户饮水安全",
        },
    )
    assert response.status_code == 302
    assert act(client, project, "advance").status_code == 302
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.IN_LIBRARY
    assert client.get(reverse("projects:edit", args=[project.pk])).status_code == 302  # fixed after 入库


def test_each_step_is_done_by_its_role_and_the_timeline_says_who_when_and_why(client, area):
    project = declare(area["clerk"])
    login(client, area["clerk"])
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "申报人不能审核自己申报的项目。" in page
    assert act(client, project, "advance").status_code == 400
    client.logout()

    login(client, area["reviewer"])
    assert act(client, project, "advance", comment="材料齐全").status_code == 302
    client.logout()
    login(client, area["clerk"])
    response = act(client, project, "advance")  # 县论证 is the county's: a role refusal is a 403
    assert response.status_code == 403
    assert "您的角色不能办理“县论证”。" in response.content.decode()
    client.logout()

    login(client, area["reviewer"])
    assert act(client, project, "advance", comment="论证通过").status_code == 302
    start = timezone.localdate() - timedelta(days=20)
    response = act(
        client,
        project,
        "notice",
        kind="PUBLICITY",
        region="622926101201",
        title="入库公示",
        place="红柳村公示栏",
        content="养殖合作社项目",
        start_date=start.isoformat(),
    )
    assert response.status_code == 302
    notice = project.notices.get()
    assert notice.end_date == start + timedelta(days=9)  # the policy's 10 days
    for _ in range(3):  # 入库, 批复, 实施
        assert act(client, project, "advance").status_code == 302
    client.logout()
    login(client, area["clerk"])
    assert act(client, project, "advance", comment="验收合格").status_code == 302  # the township accepts
    client.logout()
    login(client, area["reviewer"])
    assert act(client, project, "advance").status_code == 302
    project.refresh_from_db()
    assert project.status == ProjectStatus.COMPLETED
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    timeline = page.split('id="timeline"')[1].split("</ol>")[0]
    for label in ("申报", "乡审核", "县论证", "入库", "批复", "实施", "验收", "完成"):
        assert label in timeline
    assert area["reviewer"].username in timeline and area["clerk"].username in timeline
    assert "材料齐全" in timeline and "验收合格" in timeline
    assert "项目已完成。" in page


def test_adding_a_beneficiary_to_an_implemented_project_creates_a_linked_aid_measure(client, area):
    household = household_with_members(area["village"], size=2)
    project = declare(area["clerk"])
    reviewer = area["reviewer"]
    for _ in range(2):
        services.advance_project(user=reviewer, project_id=project.pk)
    finished_notice(reviewer, project)
    for _ in range(3):
        services.advance_project(user=reviewer, project_id=project.pk)
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.IMPLEMENTING
    login(client, area["clerk"])
    response = act(client, project, "add-beneficiary", household=household.pk, planned_amount="-5")
    assert response.status_code == 400
    page = response.content.decode()
    assert "金额不能为负数。" in page and 'value="-5"' in page
    assert not Beneficiary.objects.exists()

    assert act(client, project, "add-beneficiary", household=household.pk, planned_amount="2500").status_code == 302
    measure = AidMeasure.objects.get()
    assert (measure.household_id, measure.project_id, measure.amount, measure.category) == (
        household.pk,
        project.pk,
        2500,
        "01",
    )
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    section = page.split('id="beneficiaries"')[1].split("</section>")[0]
    assert household.head_name in section and household.household_no in section and "2500.00" in section
    assert "移除" not in section  # implemented: nobody leaves any more


def test_a_beneficiary_can_be_removed_before_implementation(client, area):
    household = household_with_members(area["village"], size=1)
    project = declare(area["clerk"])
    beneficiary = services.set_beneficiary(
        user=area["clerk"], project_id=project.pk, household_id=household.pk, planned_amount="800"
    )
    login(client, area["clerk"])
    assert act(client, project, "remove-beneficiary", beneficiary=beneficiary.pk).status_code == 302
    assert not Beneficiary.objects.exists()


def test_an_objection_is_recorded_blocks_the_project_and_is_resolved_in_writing(client, area):
    project = declare(area["clerk"])
    services.advance_project(user=area["reviewer"], project_id=project.pk)
    notice = finished_notice(area["reviewer"], project)
    login(client, area["clerk"])
    response = act(client, project, "objection", notice=notice.pk, content="", received_on=str(notice.start_date))
    assert response.status_code == 400
    response = act(
        client, project, "objection", notice=notice.pk, content="受益户名单有误", received_on=str(notice.start_date)
    )
    assert response.status_code == 302
    objection = NoticeObjection.objects.get()
    client.logout()

    login(client, area["reviewer"])
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "受益户名单有误" in page
    assert "公示期间收到的异议尚未处理。" in page.split('id="advance-blockers"')[1]
    response = act(client, project, "resolve", objection=objection.pk, outcome="   ")
    assert response.status_code == 400
    assert "请填写处理结果。" in response.content.decode()
    assert act(client, project, "resolve", objection=objection.pk, outcome="经核实名单无误").status_code == 302
    objection.refresh_from_db()
    assert objection.outcome == "经核实名单无误" and objection.resolved_by == area["reviewer"]
    assert act(client, project, "advance").status_code == 302
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.COUNTY_APPRAISED


def test_a_county_supervision_phone_is_named_on_the_project_and_in_its_new_notice(client, area):
    """The county's own 监督电话 row wins over 12317 on project pages as on household 公示 (§10.5)."""
    PolicyParameter.objects.create(key="SUPERVISION_PHONE", region=area["county"], value=0, text="0930-7121234")
    project = declare(area["clerk"])
    login(client, area["reviewer"])
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "扶贫监督举报电话：0930-7121234" in page
    assert "监督举报电话：0930-7121234" in page.split('id="notice-form"')[1].split("</form>")[0]
    assert "12317" not in page


def test_the_navigation_offers_the_project_library(client, area):
    login(client, area["clerk"])
    page = client.get(reverse("projects:list")).content.decode()
    assert f'href="{reverse("projects:list")}"' in page and "项目库" in page


def test_the_detail_page_reads_a_fixed_number_of_queries(client, area):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    project = declare(area["clerk"])
    login(client, area["reviewer"])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("projects:detail", args=[project.pk])).status_code == 200
        return len(captured)

    def add_rows(count):
        for _ in range(count):
            household = household_with_members(area["village"], size=1)
            services.set_beneficiary(
                user=area["clerk"], project_id=project.pk, household_id=household.pk, planned_amount="1"
            )
            notice = finished_notice(area["reviewer"], project)
            services.record_notice_objection(
                user=area["clerk"], notice_id=notice.pk, content="异议", received_on=notice.start_date
            )

    add_rows(1)
    before = queries()
    add_rows(4)
    assert queries() == before
