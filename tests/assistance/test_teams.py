"""驻村工作队 (assistance/teams.py, docs/domain.md §9.4, §9.5): one open team per village, members
and their replacement with history, scope, and the 疑点 of villages without a team in post."""

import io
from datetime import date, timedelta

import pghistory.models
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook
from rest_framework.test import APIClient

from assistance import team_imports, teams
from assistance.codes import TeamRole
from assistance.models import TeamMember, VillageTeam
from core.codes import Role
from households.codes import HouseholdStatus
from monitoring.models import MonitoringObject
from tests.factories import UserFactory, household_with_members, region
from villages.models import Region, Village

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
START = date(2024, 3, 1)


@pytest.fixture
def village(db):
    region("620000000000", "甘肃省")
    region("622926000000", "东乡族自治县")
    region("622926101000", "锁南镇")
    village = region("622926101201", "红柳村")
    Village.objects.create(region=village, is_poor_village=True)
    return village


@pytest.fixture
def county(village):
    return UserFactory(role=Role.COUNTY_REVIEWER, region=village.parent.parent)


@pytest.fixture
def clerk(village):
    return UserFactory(role=Role.TOWNSHIP_CLERK, region=village.parent)


@pytest.fixture
def outsider(db):
    return UserFactory(role=Role.TOWNSHIP_CLERK, region=region("622921101000", "甲镇"))


@pytest.fixture
def team(county, village):
    return teams.create_team(user=county, village_code=village.code, start_date=START)


def member(county, team, name="马书记", role=TeamRole.FIRST_SECRETARY, start=START, phone="13912345678"):
    return teams.add_member(
        user=county, team_id=team.pk, name=name, unit="省财政厅", role=role, start_date=start, phone=phone
    )


def test_one_open_team_per_village(county, village, team):
    with pytest.raises(ValidationError) as refused:
        teams.create_team(user=county, village_code=village.code, start_date="2025-01-01")
    assert "已有在岗的驻村工作队" in refused.value.message_dict["village"][0]
    assert VillageTeam.objects.filter(village=village).count() == 1
    teams.end_team(user=county, team_id=team.pk, end_date="2025-12-31")
    second = teams.create_team(user=county, village_code=village.code, start_date="2026-01-01")
    assert VillageTeam.objects.filter(village=village).count() == 2
    assert second.end_date is None


def test_a_team_goes_to_a_village_only(county, village):
    with pytest.raises(ValidationError) as refused:
        teams.create_team(user=county, village_code=village.parent.code, start_date=START)
    assert "行政村" in refused.value.message_dict["village"][0]


def test_bad_input_is_refused_by_field_and_nothing_written(county, team):
    with pytest.raises(ValidationError) as refused:
        teams.add_member(
            user=county, team_id=team.pk, name="", unit="", role="9", start_date="2024-02-30", phone="139-1234"
        )
    errors = refused.value.message_dict
    assert set(errors) >= {"name", "unit", "role", "start_date", "phone"}
    assert errors["start_date"] == ["日期不存在，请检查年月日。"]
    assert not TeamMember.objects.exists()


def test_member_starts_on_or_after_the_team(county, team):
    with pytest.raises(ValidationError) as refused:
        member(county, team, start=START - timedelta(days=1))
    assert "不能早于工作队派驻日期" in refused.value.message_dict["start_date"][0]


def test_phone_is_stored_encrypted_and_shown_masked(county, team):
    secretary = member(county, team, phone="１３９１２３４５６７８")  # full-width digits, as an input method types them
    assert secretary.phone == "13912345678"
    assert secretary.phone_masked == "139****5678"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM assistance_teammember WHERE id = %s", [secretary.pk])
        assert "13912345678" not in cursor.fetchone()[0]


def test_one_first_secretary_in_post(county, team):
    member(county, team)
    with pytest.raises(ValidationError) as refused:
        member(county, team, name="李书记")
    assert "已有在岗的第一书记" in refused.value.message_dict["role"][0]


def test_replacement_keeps_history(county, team):
    secretary = member(county, team)
    successor = teams.replace_member(
        user=county,
        member_id=secretary.pk,
        name="李新",
        unit="省财政厅",
        phone="13800001111",
        start_date="2025-06-01",
        reason="原第一书记调回原单位",
    )
    secretary.refresh_from_db()
    assert secretary.end_date == date(2025, 5, 31)
    assert secretary.end_reason == "原第一书记调回原单位"
    assert secretary.successor == successor
    assert successor.role == TeamRole.FIRST_SECRETARY and successor.end_date is None
    assert successor.predecessor == secretary
    events = pghistory.models.Events.objects.filter(pgh_model="assistance.TeamMemberEvent", pgh_obj_id=secretary.pk)
    versions = list(events.order_by("pgh_id").values_list("pgh_data", flat=True))
    assert len(versions) == 3  # added, left, successor named
    assert versions[0]["end_date"] is None and versions[-1]["end_reason"] == "原第一书记调回原单位"
    reasons = [(event.pgh_context or {}).get("reason") for event in events.order_by("pgh_id")]
    assert reasons == [
        "增加驻村工作队员",
        "更换驻村工作队员：原第一书记调回原单位",
        "更换驻村工作队员：原第一书记调回原单位",
    ]


def test_replacement_on_a_given_date_and_refusals(county, team):
    secretary = member(county, team)
    with pytest.raises(ValidationError) as refused:
        teams.replace_member(user=county, member_id=secretary.pk, name="李新", unit="厅", start_date=START, reason="")
    assert set(refused.value.message_dict) == {"reason", "start_date"}
    secretary.refresh_from_db()
    assert secretary.end_date is None and not TeamMember.objects.filter(name="李新").exists()
    teams.replace_member(
        user=county,
        member_id=secretary.pk,
        name="李新",
        unit="厅",
        start_date="2025-06-10",
        end_date="2025-06-01",
        reason="召回",
    )
    secretary.refresh_from_db()
    assert secretary.end_date == date(2025, 6, 1)
    with pytest.raises(ValidationError) as again:
        teams.replace_member(user=county, member_id=secretary.pk, name="王", unit="厅", start_date=TODAY, reason="x")
    assert "离岗" in again.value.message_dict["member"][0]


def test_end_team_ends_members_in_post(county, team):
    first = member(county, team)
    other = member(county, team, name="队员甲", role=TeamRole.MEMBER)
    teams.end_member(user=county, member_id=other.pk, end_date="2024-12-31", reason="召回")
    teams.end_team(user=county, team_id=team.pk, end_date="2026-02-28")
    first.refresh_from_db()
    other.refresh_from_db()
    assert first.end_date == date(2026, 2, 28) and first.end_reason == teams.TEAM_ENDED_REASON
    assert other.end_date == date(2024, 12, 31) and other.end_reason == "召回"
    with pytest.raises(ValidationError):
        member(county, team, name="迟到", role=TeamRole.MEMBER)


def test_scope_and_role(county, clerk, outsider, team):
    with pytest.raises(Http404):
        teams.add_member(user=outsider, team_id=team.pk, name="王", unit="厅", role="3", start_date=START)
    with pytest.raises(PermissionDenied):
        teams.add_member(user=clerk, team_id=team.pk, name="王", unit="厅", role="3", start_date=START)
    assert list(teams.teams_for(clerk)) == [team]
    assert list(teams.teams_for(outsider)) == []


def test_villages_without_team(county, village):
    """Poor villages and villages with an open monitoring object need a team in post; others do not."""
    township = village.parent
    monitored = region("622926101202", "监测村")
    Village.objects.create(region=monitored, is_poor_village=False)
    plain = region("622926101203", "普通村")
    Village.objects.create(region=plain, is_poor_village=False)
    empty_team = region("622926101204", "空队村")
    Village.objects.create(region=empty_team, is_poor_village=True)
    staffed = region("622926101205", "在岗村")
    Village.objects.create(region=staffed, is_poor_village=True)
    closed_record = region("622926101206", "已消除村")
    for target, status, closed_on in ((monitored, "MONITORED", None), (closed_record, "NOT_INCLUDED", START)):
        MonitoringObject.objects.create(
            closed_on=closed_on,
            household=household_with_members(target, status=HouseholdStatus.EXITED),
            category="1",
            risk_types=["01"],
            status=status,
            discovery_way="2",
            discovered_on=date(2024, 3, 1),
            income_12_months="12000.00",
            member_count=3,
            income_per_person="4000.00",
            line_year=2024,
            line_amount="7100.00",
            line_verified=False,
            consent_signed=True,
            consent_signed_on=date(2024, 3, 1),
        )
    teams.create_team(user=county, village_code=empty_team.code, start_date=START)
    in_post = teams.create_team(user=county, village_code=staffed.code, start_date=START)
    member(county, in_post)
    past = teams.create_team(user=county, village_code=village.code, start_date=START)
    gone = member(county, past, name="已离岗")
    teams.end_member(user=county, member_id=gone.pk, end_date="2024-12-31", reason="召回")

    missing = teams.villages_without_team(Region.objects.filter(parent=township))
    assert [(row.code, row.is_poor, row.monitored) for row in missing] == [
        (village.code, True, None),
        (monitored.code, False, 1),
        (empty_team.code, True, None),
    ]
    assert teams.team_gap(staffed.code) is None and teams.team_gap(plain.code) is None
    assert teams.team_gap(monitored.code).code == monitored.code
    assert teams.gap_counts(county) == {"needing": 4, "missing": 3, "missing_poor": 2, "missing_monitored": 1}
    # A member in post later than today does not staff the team today.
    assert teams.team_gap(staffed.code, on=START - timedelta(days=1)) is not None


def test_demo_teams(settings, tmp_path, monkeypatch):
    """The demo: units of every type and level, 定点帮扶 of each poverty county, a team with a 第一书记
    and 2+ members in every village that needs one, replacements with reasons, one 疑点 explained."""
    from assistance.codes import UnitType
    from assistance.models import AidUnit, UnitAssignment
    from fupin.demo import assistance_teams, load_demo, monitoring, province, story
    from villages.models import County

    settings.VAR_DIR = tmp_path
    # The chapters up to this one (the later ones pair helpers and record visits: their own tests).
    monkeypatch.setattr(
        province, "CHAPTERS", [story.tell_story, monitoring.tell_monitoring, assistance_teams.tell_teams]
    )
    told = load_demo(households=1200, seed=5)
    assert set(AidUnit.objects.values_list("unit_type", flat=True)) == set(UnitType.values)
    assert set(AidUnit.objects.values_list("level", flat=True)) >= {"0", "1", "2", "3"}
    for county in County.objects.filter(is_poverty_county=True):
        assigned = UnitAssignment.objects.filter(region=county.region, end_date__isnull=True)
        assert {"0", "1"} <= set(assigned.values_list("unit__level", flat=True))
        assert assigned.filter(unit__unit_type=UnitType.EAST_WEST_PARTNER).exists()
    missing = list(teams.villages_without_team(Region.objects.all()))
    assert told["villages_without_team"] == len(missing) == 1
    gap = missing[0]
    assert gap.is_poor and not TeamMember.objects.filter(team__village=gap, end_date__isnull=True).exists()
    poor = Village.objects.filter(is_poor_village=True).exclude(region=gap).values_list("region_id", flat=True)
    for code in poor:
        team = VillageTeam.objects.get(village_id=code, end_date__isnull=True)
        now = team.members.filter(end_date__isnull=True)
        assert now.filter(role=TeamRole.FIRST_SECRETARY).count() == 1 and now.count() >= 3
    replaced = TeamMember.objects.filter(successor__isnull=False)
    assert replaced.exists() and not replaced.filter(end_reason="").exists()
    assert told["replaced"] == replaced.count()


# --- pages, API and the roster import ---------------------------------------------------------------


def test_pages_show_the_team_with_masked_phones_and_the_gap(client, county, clerk, outsider, village, team):
    secretary = member(county, team)
    client.force_login(county)
    response = client.post(
        reverse("assistance:member_replace", args=[secretary.pk]),
        {"name": "李新", "unit": "省财政厅", "phone": "13800001111", "start_date": "2025-06-01", "reason": "调回"},
    )
    assert response.status_code == 302
    client.force_login(clerk)
    page = client.get(reverse("assistance:team_detail", args=[team.pk])).content.decode()
    assert "139****5678" in page and "138****1111" in page
    assert "13912345678" not in page and "13800001111" not in page
    assert "调回" in page and "李新（2025-06-01到岗）" in page
    assert 'id="team-gap"' not in page
    listing = client.get(reverse("assistance:teams"), {"township": village.parent.code, "in_post": "1"})
    assert "李新" in listing.content.decode()
    assert client.post(reverse("assistance:member_add", args=[team.pk]), {"name": "王"}).status_code == 403
    client.force_login(outsider)
    assert client.get(reverse("assistance:team_detail", args=[team.pk])).status_code == 404
    # The successor leaves too: the poor village has no team in post; the page and the list say so.
    successor = TeamMember.objects.get(name="李新")
    teams.end_member(user=county, member_id=successor.pk, end_date=TODAY - timedelta(days=1), reason="召回")
    client.force_login(clerk)
    assert 'id="team-gap"' in client.get(reverse("assistance:team_detail", args=[team.pk])).content.decode()
    missing = client.get(reverse("assistance:missing_teams")).content.decode()
    assert village.code in missing and 'id="count-missing">1<' in missing


def test_page_refusals_are_keyed_and_not_500(client, county, village, team):
    client.force_login(county)
    response = client.post(
        reverse("assistance:team_create"), {"village_code": village.code, "start_date": "２０２５-13-01"}
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "已有在岗的驻村工作队" in errors["village_code"][0]
    assert errors["start_date"] == ["日期不存在，请检查年月日。"]
    response = client.post(
        reverse("assistance:member_add", args=[team.pk]),
        {"name": "王", "unit": "厅", "role": "3", "phone": "abc", "start_date": "2024-01-01"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["phone"] == [teams.PHONE_REFUSAL]
    assert "到岗日期不能早于" in response.context["form"].errors["start_date"][0]


def test_api_lists_in_scope_and_masks_phones(county, clerk, outsider, team):
    member(county, team)
    api = APIClient()
    api.force_authenticate(clerk)
    rows = api.get("/api/v1/team-members/").json()["results"]
    assert [row["phone"] for row in rows] == ["139****5678"]
    detail = api.get(f"/api/v1/village-teams/{team.pk}/").json()
    assert detail["members"][0]["phone"] == "139****5678"
    assert "13912345678" not in str(api.get("/api/v1/village-teams/").json())
    api.force_authenticate(outsider)
    assert api.get("/api/v1/village-teams/").json()["results"] == []
    assert api.get("/api/v1/team-members/").json()["results"] == []
    assert api.get(f"/api/v1/village-teams/{team.pk}/").status_code == 404
    api.force_authenticate(county)
    again = api.post("/api/v1/village-teams/", {"village": team.village_id, "start_date": "2025-01-01"})
    assert again.status_code == 400 and "village" in again.json()
    added = api.post(
        f"/api/v1/village-teams/{team.pk}/members/",
        {"name": "王", "unit": "厅", "role": "3", "phone": "13700002222", "start_date": "2024-05-01"},
    )
    assert added.status_code == 201 and added.json()["phone"] == "137****2222"


def roster(rows: list[list], headers=("村代码", "姓名", "工作单位", "职务", "联系电话", "到岗日期", "派出单位")):
    book = Workbook()
    book.active.append(list(headers))
    for row in rows:
        book.active.append(row)
    handle = io.BytesIO()
    book.save(handle)
    return SimpleUploadedFile("花名册.xlsx", handle.getvalue())


def test_roster_import_is_all_or_nothing(county, village):
    other = region("622926101202", "白杨村")
    rows = [
        [village.code, "马书记", "省财政厅", "第一书记", "13912345678", date(2024, 3, 1), ""],
        [village.code, "王队员", "县农业局", "队员", "", "2024-03-05", ""],
        [other.code, "李队员", "县农业局", "组长", "12", "2024-13-01", "不存在的单位"],
        ["622921101201", "赵队员", "县农业局", "队员", "", "2024-03-01", ""],
    ]
    with pytest.raises(team_imports.RosterRefused) as refused:
        team_imports.import_roster(user=county, uploaded=roster(rows))
    problems = {problem["row"]: problem["reason"] for problem in refused.value.rows}
    assert set(problems) == {4, 5}
    assert "职务：" in problems[4] and "联系电话：" in problems[4] and "到岗日期：" in problems[4]
    assert "派出单位：未找到帮扶单位“不存在的单位”" in problems[4]
    assert problems[5] == "村代码：未找到该村，或不在您的管辖范围内。"
    assert not VillageTeam.objects.exists() and not TeamMember.objects.exists()

    done = team_imports.import_roster(user=county, uploaded=roster(rows[:2]))
    assert done == {"members": 2, "teams": 1}
    team = VillageTeam.objects.get(village=village)
    assert team.start_date == START
    assert sorted(team.members.values_list("name", "role")) == [("王队员", "3"), ("马书记", "1")]
    with pytest.raises(team_imports.RosterRefused) as twice:  # importing the same file again adds no one
        team_imports.import_roster(user=county, uploaded=roster(rows[:2]))
    assert [problem["row"] for problem in twice.value.rows] == [2, 3]
    assert TeamMember.objects.count() == 2


def test_roster_upload_is_guarded(client, county, clerk):
    with pytest.raises(ValidationError) as refused:
        team_imports.import_roster(user=county, uploaded=SimpleUploadedFile("花名册.xlsx", b"name,phone\n"))
    assert "file" in refused.value.message_dict
    with pytest.raises(ValidationError) as headers:
        team_imports.import_roster(user=county, uploaded=roster([["x"]], headers=("姓名",)))
    assert "缺少" in headers.value.message_dict["file"][0]
    with pytest.raises(PermissionDenied):
        team_imports.import_roster(user=clerk, uploaded=roster([]))
    client.force_login(county)
    response = client.post(
        reverse("assistance:roster_import"), {"file": roster([["622926101201", "马", "厅", "书记", "", "x", ""]])}
    )
    assert response.status_code == 400 and 'id="row-errors"' in response.content.decode()


def test_the_village_page_shows_its_team_and_the_gap(client, county, clerk, village, team):
    client.force_login(clerk)
    page = client.get(reverse("regions:detail", args=[village.code])).content.decode()
    assert 'id="region-team-gap"' in page and "暂无在岗队员" in page
    member(county, team)
    page = client.get(reverse("regions:detail", args=[village.code])).content.decode()
    assert 'id="region-team-gap"' not in page
    assert "马书记（第一书记，省财政厅，139****5678）" in page
    township_page = client.get(reverse("regions:detail", args=[village.parent.code])).content.decode()
    assert '<h2 class="h6 text-muted">驻村工作队</h2>' not in township_page


def test_roster_export_masks_phones_unless_full(county, clerk, outsider, team):
    from assistance import team_exports
    from fupin.exports import reports

    secretary = member(county, team)
    teams.replace_member(
        user=county, member_id=secretary.pk, name="李新", unit="省财政厅", start_date="2025-06-01", reason="调回"
    )
    assert reports()["village_teams"].build is team_exports.team_roster
    sheet = team_exports.team_roster(clerk, "622926101")
    rows = list(sheet.rows)
    assert [row[7] for row in rows] == ["马书记", "李新"]
    assert rows[0][10] == "139****5678" and rows[0][13] == "调回" and rows[0][14] == "李新"
    assert next(iter(team_exports.team_roster(clerk, "622926101", full=True).rows))[10] == "13912345678"
    assert list(team_exports.team_roster(outsider, "622926101").rows) == []
    assert team_exports.roster_count(clerk, "622926101") == 2


def test_roster_export_runs_through_the_registry(county, team):
    from openpyxl import load_workbook

    from fupin.exports import request_export, run_export

    member(county, team)
    job = run_export(request_export(user=county, report="village_teams", region_code=county.region_id).pk)
    assert job.status == "DONE"
    sheet = load_workbook(job.file_path())["驻村工作队花名册"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(row for row in values if row and row[0] == "县")
    data = values[values.index(header) + 1]
    assert data[3] == team.village_id and data[7] == "马书记" and data[10] == "139****5678"
