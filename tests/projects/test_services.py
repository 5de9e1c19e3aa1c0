"""Project library rules: who moves a project, what blocks it, 绩效目标 before 入库, notices, measures."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.codes import Role
from households.models import AidMeasure
from projects import services
from projects.codes import NoticeKind, ProjectStatus
from projects.models import Project
from tests.factories import UserFactory, household_with_members, region

pytestmark = pytest.mark.django_db

TODAY = date(2019, 6, 1)


@pytest.fixture
def place(db):
    county = region("622926000000", "东乡族自治县")
    township = region("622926101000", "锁南镇")
    return {
        "county": county,
        "township": township,
        "village": region("622926101201", "红柳村"),
        "village_2": region("622926101202", "塔山村"),
        "other_village": region("622926102201", "别的乡的村"),
        "clerk": UserFactory(role=Role.TOWNSHIP_CLERK, region=township),
        "reviewer": UserFactory(role=Role.COUNTY_REVIEWER, region=county),
    }


def declare(place, target="", villages=("622926101201",)):
    data = {
        "name": "红柳村养殖合作社",
        "category": "01",
        "year": 2019,
        "budget": "300000.00",
        "implementing_unit": "锁南镇政府",
        "performance_target": target,
    }
    return services.declare_project(user=place["clerk"], data=data, village_codes=list(villages))


def finished_notice(place, project):
    return services.post_notice(
        user=place["reviewer"],
        region_code="622926101201",
        title="项目入库公示",
        content="红柳村养殖合作社",
        place="红柳村公示栏",
        start_date=TODAY - timedelta(days=20),
        project_id=project.pk,
    )


def advance(place, project, who="reviewer"):
    return services.advance_project(user=place[who], project_id=project.pk, today=TODAY)


def test_a_project_cannot_enter_the_library_without_a_performance_target(place):
    project = declare(place)
    advance(place, project)  # 乡审核 (the county may act for the township)
    advance(place, project)  # 县论证
    with pytest.raises(ValidationError) as error:
        advance(place, project)
    assert error.value.message_dict["status"] == [
        "未填写绩效目标的项目不能入库。",
        "入库前须完成项目公示（公示期满）。",
    ]
    finished_notice(place, project)
    with pytest.raises(ValidationError, match="绩效目标"):
        advance(place, project)
    services.update_project(
        user=place["reviewer"],
        project_id=project.pk,
        data={"performance_target": "带动20户年增收2000元"},
        village_codes=["622926101201"],
    )
    assert advance(place, project).status == ProjectStatus.IN_LIBRARY
    with pytest.raises(ValidationError, match="已入库"):
        services.update_project(
            user=place["reviewer"], project_id=project.pk, data={"performance_target": ""}, village_codes=[]
        )
    # The database refuses it too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.filter(pk=project.pk).update(performance_target="")


def test_each_move_records_who_and_when_and_only_the_right_roles_act(place):
    project = declare(place, target="增收")
    with pytest.raises(ValidationError, match="不能审核自己申报"):
        advance(place, project, who="clerk")
    city = UserFactory(role=Role.CITY_REVIEWER, region=region("622900000000"))
    with pytest.raises(PermissionDenied, match="角色"):
        services.advance_project(user=city, project_id=project.pk)
    other_clerk = UserFactory(role=Role.TOWNSHIP_CLERK, region=region("622926102000"))
    with pytest.raises(Project.DoesNotExist):  # out of scope: absent, a 404
        services.advance_project(user=other_clerk, project_id=project.pk)
    advance(place, project)
    with pytest.raises(PermissionDenied, match="角色"):
        advance(place, project, who="clerk")  # 县论证 is the county's
    advance(place, project)
    finished_notice(place, project)
    for _ in range(4):  # 入库, 批复, 实施, 验收
        advance(place, project)
    assert advance(place, project).status == ProjectStatus.COMPLETED
    events = list(project.events.values_list("to_status", "user__username"))
    assert [status for status, _ in events] == list(ProjectStatus)
    assert events[0][1] == place["clerk"].username and all(user for _, user in events)
    with pytest.raises(ValidationError, match="已完成"):
        advance(place, project)


def test_an_objection_blocks_the_project_until_resolved_in_writing(place):
    project = declare(place, target="增收")
    advance(place, project)
    notice = finished_notice(place, project)
    objection = services.record_notice_objection(
        user=place["clerk"], notice_id=notice.pk, content="受益户名单有误", received_on=notice.start_date
    )
    with pytest.raises(ValidationError, match="异议尚未处理"):
        advance(place, project)
    with pytest.raises(ValidationError, match="处理结果"):
        services.resolve_notice_objection(user=place["reviewer"], objection_id=objection.pk, outcome=" ")
    services.resolve_notice_objection(user=place["reviewer"], objection_id=objection.pk, outcome="经核实名单无误")
    assert advance(place, project).status == ProjectStatus.COUNTY_APPRAISED
    with pytest.raises(ValidationError, match="公示期内"):
        services.record_notice_objection(
            user=place["clerk"], notice_id=notice.pk, content="迟到", received_on=notice.end_date + timedelta(days=1)
        )


def test_notices_last_at_least_the_policy_days(place):
    project = declare(place, target="增收")
    start = timezone.localdate()
    arguments = {
        "user": place["clerk"],
        "region_code": "622926101201",
        "title": "公示",
        "content": "内容",
        "place": "村公示栏",
        "start_date": start,
        "project_id": project.pk,
    }
    with pytest.raises(ValidationError) as error:
        services.post_notice(**arguments, end_date=start + timedelta(days=8))
    assert "公示期不少于10天" in error.value.message_dict["end_date"][0]
    assert services.post_notice(**arguments).end_date == start + timedelta(days=9)
    announcement = services.post_notice(**arguments, kind=NoticeKind.ANNOUNCEMENT, end_date=start)
    assert announcement.end_date == start  # a 公告 after completion has no minimum
    with pytest.raises(ValidationError, match="管辖范围"):
        services.post_notice(**{**arguments, "region_code": "622926102201"})


def test_implementation_gives_each_beneficiary_a_measure_linked_to_the_project(place):
    inside = household_with_members(place["village"], size=2)
    outside = household_with_members(place["other_village"], size=2)
    project = declare(place, target="增收")
    services.set_beneficiary(user=place["clerk"], project_id=project.pk, household_id=inside.pk, planned_amount="2000")
    with pytest.raises(ValidationError, match="实施村内"):
        services.set_beneficiary(
            user=place["reviewer"], project_id=project.pk, household_id=outside.pk, planned_amount="1"
        )
    with pytest.raises(ValidationError) as error:
        services.set_beneficiary(
            user=place["clerk"], project_id=project.pk, household_id=inside.pk, planned_amount="-1"
        )
    assert "planned_amount" in error.value.message_dict
    advance(place, project)
    advance(place, project)
    finished_notice(place, project)
    advance(place, project)
    advance(place, project)
    assert not AidMeasure.objects.exists()
    advance(place, project)  # 实施
    measure = AidMeasure.objects.get()
    assert (measure.household_id, measure.project_id, measure.amount, measure.category) == (
        inside.pk,
        project.pk,
        2000,
        "01",
    )
    late = household_with_members(place["village"], size=1)
    services.set_beneficiary(user=place["clerk"], project_id=project.pk, household_id=late.pk, planned_amount="500")
    assert AidMeasure.objects.filter(project=project).count() == 2
    with pytest.raises(ValidationError, match="不能移除"):
        services.remove_beneficiary(user=place["clerk"], beneficiary_id=project.beneficiaries.first().pk)


def test_the_scoping_region_follows_the_villages(place):
    assert declare(place).region_id == "622926101201"
    assert declare(place, villages=("622926101201", "622926101202")).region_id == "622926101000"
    with pytest.raises(ValidationError, match="管辖范围"):
        declare(place, villages=("622926101201", "622926102201"))
    across = services.declare_project(
        user=place["reviewer"],
        data={"name": "全县培训", "category": "06", "year": 2019, "budget": "1", "implementing_unit": "县人社局"},
        village_codes=["622926101201", "622926102201"],
    )
    county_wide = services.declare_project(
        user=place["reviewer"],
        data={"name": "全县培训", "category": "06", "year": 2019, "budget": "1", "implementing_unit": "县人社局"},
        village_codes=[],
        county_code="622926000000",
    )
    assert (across.region_id, county_wide.region_id) == ("622926000000", "622926000000")
    assert not Project.objects.visible_to(place["clerk"]).filter(pk=county_wide.pk).exists()
    with pytest.raises(ValidationError) as error:
        services.declare_project(
            user=place["clerk"], data={"name": "", "budget": "abc"}, village_codes=["622926101201"]
        )
    assert {"budget", "name", "implementing_unit"} <= set(error.value.message_dict)
    assert Project.objects.count() == 4
