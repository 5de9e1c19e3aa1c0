"""帮扶单位 and 定点帮扶 (assistance/units.py, docs/domain.md §9.3): registration, reading across
regions, assignments, scope and role, through the services, the pages and the API."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from rest_framework.test import APIClient

from assistance import units
from assistance.models import AidUnit, UnitAssignment
from core.codes import Role
from tests.factories import UserFactory, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def regions(db):
    return {
        "province": region("620000000000", "甘肃省"),
        "county": region("622926000000", "东乡族自治县"),
        "township": region("622926101000", "锁南镇"),
        "village": region("622926101201", "红柳村"),
        "other_county": region("622921000000", "临夏县"),
    }


@pytest.fixture
def users(regions):
    return {
        "province": UserFactory(role=Role.PROVINCE_STAFF, region=regions["province"]),
        "county": UserFactory(role=Role.COUNTY_REVIEWER, region=regions["county"]),
        "other_county": UserFactory(role=Role.COUNTY_REVIEWER, region=regions["other_county"]),
        "clerk": UserFactory(role=Role.TOWNSHIP_CLERK, region=regions["township"]),
        "city": UserFactory(role=Role.CITY_REVIEWER, region=region("622900000000", "临夏州")),
    }


def central_unit(users):
    return units.create_unit(user=users["province"], name="中央某部委", unit_type="1", level="0")


def test_register_edit_and_unique_name(users, regions):
    unit = central_unit(users)
    assert unit.region_id == regions["province"].code
    with pytest.raises(ValidationError) as refused:
        units.create_unit(user=users["province"], name="中央某部委", unit_type="1", level="0")
    assert "同名" in refused.value.message_dict["name"][0]
    with pytest.raises(ValidationError) as bad:
        units.create_unit(user=users["county"], name=" ", unit_type="9", level="x", region_code=regions["village"].code)
    assert set(bad.value.message_dict) == {"name", "unit_type", "level", "region"}
    edited = units.edit_unit(user=users["province"], unit_id=unit.pk, name="中央某部", unit_type="1", level="0")
    assert edited.name == "中央某部"


def test_roles_and_scope(users):
    unit = central_unit(users)
    with pytest.raises(PermissionDenied):
        units.create_unit(user=users["city"], name="市单位", unit_type="1", level="2")
    with pytest.raises(PermissionDenied):
        units.create_unit(user=users["clerk"], name="镇单位", unit_type="1", level="4")
    with pytest.raises(Http404):  # a county reads the province's unit only once it works there
        units.edit_unit(user=users["county"], unit_id=unit.pk, name="x", unit_type="1", level="0")


def test_a_county_reads_the_unit_assigned_to_it_but_does_not_edit_it(users, regions):
    unit = central_unit(users)
    assert unit not in units.units_for(users["county"])
    assignment = units.assign_unit(
        user=users["province"], unit_id=unit.pk, region_code=regions["county"].code, start_date="2015-08-01"
    )
    assert list(units.units_for(users["county"])) == [unit]
    assert list(units.units_for(users["clerk"])) == []  # assigned to the county, not to the township
    assert list(units.units_for(users["other_county"])) == []
    with pytest.raises(PermissionDenied):
        units.edit_unit(user=users["county"], unit_id=unit.pk, name="x", unit_type="1", level="0")
    assert list(units.assignments_for(users["county"])) == [assignment]
    assert list(units.assignments_for(users["clerk"])) == []


def test_assignments(users, regions):
    unit = central_unit(users)
    village = regions["village"].code
    with pytest.raises(ValidationError) as refused:
        units.assign_unit(user=users["province"], unit_id=unit.pk, region_code=regions["township"].code, start_date="x")
    assert set(refused.value.message_dict) == {"region", "start_date"}
    first = units.assign_unit(user=users["province"], unit_id=unit.pk, region_code=village, start_date="2016-01-01")
    with pytest.raises(ValidationError) as twice:
        units.assign_unit(user=users["province"], unit_id=unit.pk, region_code=village, start_date="2017-01-01")
    assert "请勿重复登记" in twice.value.message_dict["region"][0]
    with pytest.raises(ValidationError) as early:
        units.end_assignment(user=users["county"], assignment_id=first.pk, end_date="2015-12-31")
    assert "不能早于开始日期" in early.value.message_dict["end_date"][0]
    ended = units.end_assignment(user=users["county"], assignment_id=first.pk, end_date="2020-12-31")
    assert ended.end_date == date(2020, 12, 31)
    units.assign_unit(user=users["province"], unit_id=unit.pk, region_code=village, start_date="2021-01-01")
    assert UnitAssignment.objects.filter(unit=unit, region_id=village).count() == 2
    with pytest.raises(Http404):
        units.end_assignment(user=users["other_county"], assignment_id=first.pk, end_date="2021-01-01")


def test_pages(client, users, regions):
    unit = central_unit(users)
    client.force_login(users["province"])
    response = client.post(
        reverse("assistance:unit_create"),
        {"name": "天津市某区", "unit_type": "6", "level": "2", "region_code": regions["province"].code},
    )
    created = AidUnit.objects.get(name="天津市某区")
    assert response.status_code == 302 and response.url == reverse("assistance:unit_detail", args=[created.pk])
    response = client.post(
        reverse("assistance:unit_assign", args=[unit.pk]), {"region_code": regions["county"].code, "start_date": "bad"}
    )
    assert response.status_code == 400 and "日期格式应为YYYY-MM-DD" in response.content.decode()
    client.post(
        reverse("assistance:unit_assign", args=[unit.pk]),
        {"region_code": regions["county"].code, "start_date": "2015-08-01"},
    )
    client.force_login(users["county"])
    page = client.get(reverse("assistance:units")).content.decode()
    assert "中央某部委" in page and "天津市某区" not in page
    assert client.get(reverse("assistance:unit_edit", args=[unit.pk])).status_code == 403
    client.force_login(users["other_county"])
    assert client.get(reverse("assistance:unit_detail", args=[unit.pk])).status_code == 404


def test_api(users, regions):
    unit = central_unit(users)
    api = APIClient()
    api.force_authenticate(users["province"])
    response = api.post(
        f"/api/v1/aid-units/{unit.pk}/assign/", {"region": regions["county"].code, "start_date": "2015-08-01"}
    )
    assert response.status_code == 201, response.content
    response = api.post("/api/v1/aid-units/", {"name": "中央某部委", "unit_type": "1", "level": "0"})
    assert response.status_code == 400 and "name" in response.json()
    api.force_authenticate(users["county"])
    assert [row["id"] for row in api.get("/api/v1/aid-units/").json()["results"]] == [unit.pk]
    assert api.patch(f"/api/v1/aid-units/{unit.pk}/", {"name": "x", "unit_type": "1", "level": "0"}).status_code == 403
    api.force_authenticate(users["other_county"])
    assert api.get("/api/v1/aid-units/").json()["results"] == []
    assert api.get(f"/api/v1/aid-units/{unit.pk}/").status_code == 404
