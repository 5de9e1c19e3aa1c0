"""/api/v1/projects/ and /api/v1/notices/: the same services and the same scope as the pages."""

from datetime import timedelta

import pytest
from django.utils import timezone

from households.models import AidMeasure
from projects.codes import ProjectStatus
from projects.models import Beneficiary, Project
from tests.factories import household_with_members

from .conftest import PROJECT, declare, finished_notice

pytestmark = pytest.mark.django_db


def test_a_clerk_declares_a_project_and_a_bad_one_gets_chinese_field_errors(api_client, area):
    api_client.force_authenticate(area["clerk"])
    response = api_client.post(
        "/api/v1/projects/", {**PROJECT, "villages": ["622926101201"], "status": "COMPLETED"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["region"], body["villages"], body["next_status"]) == (
        ProjectStatus.DECLARED,
        "622926101201",
        ["622926101201"],
        ProjectStatus.TOWNSHIP_REVIEWED,
    )
    assert body["events"][0]["user"] == area["clerk"].username
    response = api_client.post(
        "/api/v1/projects/", {"name": "水窖", "budget": "-1", "villages": ["622926101201"]}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()
    assert errors["budget"] == ["金额不能为负数。"]
    assert "implementing_unit" in errors and "category" in errors
    assert Project.objects.count() == 1


def test_a_project_is_corrected_before_entry_and_advanced_by_the_right_role(api_client, area):
    project = declare(area["clerk"], performance_target="")
    api_client.force_authenticate(area["clerk"])
    response = api_client.post(f"/api/v1/projects/{project.pk}/advance/", {"comment": "自审"}, format="json")
    assert response.status_code == 400
    assert response.json()["status"] == ["申报人不能审核自己申报的项目。"]

    api_client.force_authenticate(area["reviewer"])
    for expected in (ProjectStatus.TOWNSHIP_REVIEWED, ProjectStatus.COUNTY_APPRAISED):
        response = api_client.post(f"/api/v1/projects/{project.pk}/advance/", {"comment": "同意"}, format="json")
        assert response.status_code == 200 and response.json()["status"] == expected
    finished_notice(area["reviewer"], project)
    response = api_client.post(f"/api/v1/projects/{project.pk}/advance/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["status"] == ["未填写绩效目标的项目不能入库。"]
    response = api_client.patch(
        f"/api/v1/projects/{project.pk}/", {"performance_target": "带动20户增收", "status": "DONE"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["performance_target"], response.json()["villages"]) == ("带动20户增收", ["622926101201"])
    response = api_client.post(f"/api/v1/projects/{project.pk}/advance/", {"comment": "入库"}, format="json")
    assert response.json()["status"] == ProjectStatus.IN_LIBRARY
    assert [event["comment"] for event in response.json()["events"]][-1] == "入库"
    response = api_client.patch(f"/api/v1/projects/{project.pk}/", {"name": "改名"}, format="json")
    assert response.status_code == 400 and "已入库" in response.json()["non_field_errors"][0]


def test_beneficiaries_are_listed_added_and_removed(api_client, area):
    household = household_with_members(area["village"], size=3)
    outside = household_with_members(area["other_village"], size=1)
    project = declare(area["clerk"])
    api_client.force_authenticate(area["clerk"])
    url = f"/api/v1/projects/{project.pk}/beneficiaries/"
    response = api_client.post(url, {"household": household.pk, "planned_amount": "1500.50"}, format="json")
    assert response.status_code == 201
    assert response.json() == [
        {
            "id": Beneficiary.objects.get().pk,
            "household": household.pk,
            "household_no": household.household_no,
            "head_name": household.head_name,
            "village": "622926101201",
            "planned_amount": "1500.50",
        }
    ]
    response = api_client.post(url, {"household": outside.pk, "planned_amount": "1"}, format="json")
    assert response.status_code == 400 and "实施村内" in response.json()["household"][0]
    assert len(api_client.get(url).json()) == 1
    beneficiary = Beneficiary.objects.get()
    response = api_client.post(
        f"/api/v1/projects/{project.pk}/remove-beneficiary/", {"beneficiary": beneficiary.pk}, format="json"
    )
    assert response.status_code == 200 and response.json() == []
    assert not AidMeasure.objects.exists()


def test_another_townships_project_is_404_everywhere(api_client, area):
    project = declare(area["clerk"])
    household = household_with_members(area["village"], size=1)
    api_client.force_authenticate(area["other_clerk"])
    assert api_client.get("/api/v1/projects/").json()["results"] == []
    assert api_client.get(f"/api/v1/projects/{project.pk}/").status_code == 404
    assert api_client.patch(f"/api/v1/projects/{project.pk}/", {"name": "x"}, format="json").status_code == 404
    assert api_client.post(f"/api/v1/projects/{project.pk}/advance/", {}, format="json").status_code == 404
    response = api_client.post(
        f"/api/v1/projects/{project.pk}/beneficiaries/", {"household": household.pk, "planned_amount": "1"}
    )
    assert response.status_code == 404
    notice = finished_notice(area["reviewer"], project)
    assert api_client.get(f"/api/v1/notices/{notice.pk}/").status_code == 404
    assert api_client.post(f"/api/v1/notices/{notice.pk}/objections/", {"content": "x"}).status_code == 404
    assert Project.objects.get().name == PROJECT["name"] and not Beneficiary.objects.exists()


def test_the_project_list_filters_by_year_status_and_category(api_client, area):
    declare(area["clerk"], name="养殖")
    training = declare(area["clerk"], name="培训", year=2020, category="06")
    api_client.force_authenticate(area["reviewer"])
    names = [row["name"] for row in api_client.get("/api/v1/projects/", {"year": 2020}).json()["results"]]
    assert names == ["培训"]
    rows = api_client.get("/api/v1/projects/", {"category": "06", "status": "DECLARED"}).json()["results"]
    assert [row["id"] for row in rows] == [training.pk]
    assert api_client.get("/api/v1/projects/", {"county": "622926000000"}).json()["results"]


def test_a_notice_objection_is_recorded_blocks_the_project_and_is_resolved(api_client, area):
    project = declare(area["clerk"])
    api_client.force_authenticate(area["reviewer"])
    api_client.post(f"/api/v1/projects/{project.pk}/advance/", {}, format="json")
    start = timezone.localdate() - timedelta(days=20)
    response = api_client.post(
        "/api/v1/notices/",
        {
            "project": project.pk,
            "region": "622926101201",
            "title": "入库公示",
            "content": "养殖合作社",
            "place": "红柳村公示栏",
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=3)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400 and "公示期不少于10天" in response.json()["end_date"][0]
    response = api_client.post(
        "/api/v1/notices/",
        {
            "project": project.pk,
            "region": "622926101201",
            "title": "入库公示",
            "content": "养殖合作社",
            "place": "红柳村公示栏",
            "start_date": start.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201
    notice = response.json()
    assert notice["end_date"] == (start + timedelta(days=9)).isoformat()

    api_client.force_authenticate(area["clerk"])
    url = f"/api/v1/notices/{notice['id']}/objections/"
    response = api_client.post(url, {"content": "名单有误", "received_on": start.isoformat()}, format="json")
    assert response.status_code == 201
    objection = response.json()[0]
    assert (objection["content"], objection["recorded_by"], objection["resolved_at"]) == (
        "名单有误",
        area["clerk"].username,
        None,
    )
    late = (start + timedelta(days=15)).isoformat()
    response = api_client.post(url, {"content": "迟到", "received_on": late}, format="json")
    assert response.status_code == 400 and response.json()["received_on"] == ["异议须在公示期内收到。"]

    api_client.force_authenticate(area["reviewer"])
    response = api_client.post(f"/api/v1/projects/{project.pk}/advance/", {}, format="json")
    assert response.status_code == 400 and response.json()["status"] == ["公示期间收到的异议尚未处理。"]
    resolve = f"/api/v1/notices/{notice['id']}/resolve-objection/"
    response = api_client.post(resolve, {"objection": objection["id"], "outcome": " "}, format="json")
    assert response.status_code == 400
    response = api_client.post(resolve, {"objection": objection["id"], "outcome": "经核实无误"}, format="json")
    assert response.status_code == 200
    assert (response.json()["outcome"], response.json()["resolved_by"]) == ("经核实无误", area["reviewer"].username)
    assert api_client.get(url).json()[0]["outcome"] == "经核实无误"
    response = api_client.post(f"/api/v1/projects/{project.pk}/advance/", {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == ProjectStatus.COUNTY_APPRAISED
    listed = api_client.get("/api/v1/notices/", {"project": project.pk}).json()["results"]
    assert [row["id"] for row in listed] == [notice["id"]] and listed[0]["objections"][0]["outcome"] == "经核实无误"
