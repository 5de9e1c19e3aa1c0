"""Registry history (issue 12): 拟识别 entry, 历史数据导入, effective years, poor years from the log, the year lock."""

from datetime import date

import pghistory.models
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from openpyxl import Workbook

from assessment.models import IncidenceRate
from assessment.statistics import recompute_incidence_rates
from core.codes import Role
from households import services
from households.codes import AdjustmentKind, HouseholdStatus, MemberChangeReason, Relation
from households.imports import import_file, run_import
from households.models import AdjustmentRecord, HistoricalLoad, Household, HouseholdYearLock, ImportJob
from households.poverty import exited_in_year_sql, poor_at_end_of_year_sql
from households.resources import HOUSEHOLD_COLUMNS, HOUSEHOLD_SHEET, MEMBER_COLUMNS, MEMBER_SHEET
from households.signals import figures_changed
from tests.conftest import login
from tests.factories import UserFactory, approved_application, make_id_number, write_collection_file
from villages.models import Region, Village, VillagePopulation

from .conftest import household_data, identify, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(village):
    return UserFactory(role=Role.COUNTY_REVIEWER, region=Region.objects.get(code="622926000000"))


def registered(clerk, village, **data):
    return services.register_household(
        user=clerk,
        village_code=village.code,
        data=household_data(**data),
        members=[
            member(name="马成"),
            member(Relation.SPOUSE, name="何秀英", id_number=make_id_number(male=False)),
        ],
    )


def approve(user, household, kind: str, application_kind: str, year: int, on: date | None = None):
    """What the workflow's final approval does: the registry change, effective in the application's year."""
    return services.change_status(
        user=user,
        household_id=household.pk,
        kind=kind,
        reason=f"{application_kind} {year} 县审定",
        effective_year=year,
        effective_date=on,
        application=approved_application(household, application_kind, year),
    )


def poor_in(household, year: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {poor_at_end_of_year_sql('%(year)s')} FROM households_household WHERE id = %(id)s",  # noqa: S608
            {"year": year, "id": household.pk},
        )
        return bool(cursor.fetchone()[0])


def exited_in(household, year: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {exited_in_year_sql('%(year)s')} FROM households_household WHERE id = %(id)s",  # noqa: S608
            {"year": year, "id": household.pk},
        )
        return bool(cursor.fetchone()[0])


def poor_years(household, years=range(2014, 2023)) -> list[int]:
    return [year for year in years if poor_in(household, year)]


# --- every household enters as 拟识别 --------------------------------------------------------


def test_a_clerk_cannot_register_a_poor_household_directly_by_the_form(client, clerk, village):
    from tests.households.test_form_ui import form_post

    login(client, clerk)
    post = form_post(village.code, [{"name": "马成", "id_number": make_id_number(), "relation": "01"}])
    post.update({"status": "POOR", "candidate": "", "exit_year": "2015", "identified_year": "2014"})
    client.post(reverse("households:create"), post)
    household = Household.objects.get()
    assert household.status == HouseholdStatus.CANDIDATE and household.exit_year is None
    assert poor_years(household) == []  # the typed 识别年度 places it into no year
    assert not household.adjustments.exists()


def test_a_clerk_cannot_register_a_poor_household_directly_by_the_import(clerk, village, tmp_path):
    rows = [
        {
            "户编号": "6229261012018003",
            "所在村代码": village.code,
            "贫困户属性": "一般贫困户",
            "主要致贫原因": "因病",
            "识别年度": 2014,
        }
    ]
    members = [{"户编号": "6229261012018003", "姓名": "马成", "证件号码": make_id_number(), "与户主关系": "户主"}]
    result = import_file(clerk, write_collection_file(tmp_path / "a.xlsx", rows, members), commit=True)
    assert result.committed, result.errors
    household = Household.objects.get()
    assert household.status == HouseholdStatus.CANDIDATE
    assert poor_years(household) == []


def test_the_identification_year_is_the_approved_applications_year(clerk, village, county):
    household = registered(clerk, village, identified_year=2014)
    approve(county, household, AdjustmentKind.NEW, "IDENTIFICATION", 2017, on=date(2018, 2, 1))
    household.refresh_from_db()
    assert household.status == HouseholdStatus.POOR and household.identified_year == 2017
    assert AdjustmentRecord.objects.get(household=household).effective_year == 2017
    assert poor_years(household) == list(range(2017, 2023))


# --- effective years and the status of any year from the log -------------------------------


def test_an_exit_for_2019_approved_in_2020_counts_in_2019(clerk, village, county):
    household = identify(registered(clerk, village), clerk, year=2016)
    adjustment = approve(county, household, AdjustmentKind.EXITED, "HOUSEHOLD_EXIT", 2019, on=date(2020, 3, 10))
    assert (adjustment.effective_year, adjustment.year, adjustment.effective_date) == (2019, 2020, date(2020, 3, 10))
    household.refresh_from_db()
    assert household.exit_year == 2019
    assert poor_in(household, 2018) and not poor_in(household, 2019)
    assert exited_in(household, 2019) and not exited_in(household, 2020)
    # The incidence reads the same definition: 2018 counts the household, 2019 does not.
    Village.objects.create(region=village)
    VillagePopulation.objects.create(village_id=village.code, year=2016, rural_population=200)
    for year in (2018, 2019):
        recompute_incidence_rates(year)
    figures = dict(IncidenceRate.objects.filter(region_id=village.code).values_list("year", "poor_population"))
    assert figures == {2018: 2, 2019: 0}


def test_a_return_in_2019_leaves_2017_unchanged(clerk, village, county):
    household = identify(registered(clerk, village), clerk, year=2015)
    approve(county, household, AdjustmentKind.EXITED, "HOUSEHOLD_EXIT", 2016)
    assert poor_years(household) == [2015]
    approve(county, household, AdjustmentKind.RETURNED, "RETURN", 2019)
    household.refresh_from_db()
    assert household.status == HouseholdStatus.POOR
    assert not poor_in(household, 2017) and not poor_in(household, 2018)
    assert poor_years(household) == [2015, *range(2019, 2023)]
    assert exited_in(household, 2016)  # the earlier exit still counts in its year


def test_a_removal_in_2020_leaves_2018_unchanged_people_included(clerk, village, county):
    household = identify(registered(clerk, village), clerk, year=2016)
    Village.objects.create(region=village)
    VillagePopulation.objects.create(village_id=village.code, year=2016, rural_population=200)
    recompute_incidence_rates(2018)
    before = IncidenceRate.objects.get(region_id=village.code, year=2018)
    assert (before.poor_households, before.poor_population) == (1, 2)
    approve(county, household, AdjustmentKind.REMOVED, "REMOVAL", 2020)
    household.refresh_from_db()
    assert household.status == HouseholdStatus.REMOVED and household.member_count == 0
    assert poor_years(household) == [2016, 2017, 2018, 2019]
    recompute_incidence_rates(2018)
    recompute_incidence_rates(2020)
    after = IncidenceRate.objects.get(region_id=village.code, year=2018)
    assert (after.poor_households, after.poor_population, after.rate) == (1, 2, before.rate)
    assert IncidenceRate.objects.get(region_id=village.code, year=2020).poor_households == 0


def test_a_household_older_than_its_log_keeps_its_years_at_its_first_change(village, county):
    from tests.factories import household_with_members

    household = household_with_members(village, size=2)  # 未脱贫 since 2015, written without a log
    assert poor_years(household) == list(range(2015, 2023))
    approve(county, household, AdjustmentKind.EXITED, "HOUSEHOLD_EXIT", 2019)
    assert poor_years(household) == [2015, 2016, 2017, 2018]
    kinds = list(household.adjustments.order_by("effective_year", "id").values_list("kind", "effective_year"))
    assert kinds == [(AdjustmentKind.NEW, 2015), (AdjustmentKind.EXITED, 2019)]


def test_status_changes_and_member_changes_announce_the_years_they_move(
    clerk, village, county, django_capture_on_commit_callbacks
):
    heard = []

    def receiver(sender, village_code, years, **kwargs):
        heard.append((village_code, years))

    figures_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            household = registered(clerk, village)
        assert heard[-1][0] == village.code
        with django_capture_on_commit_callbacks(execute=True):
            identify(household, clerk, year=2019)
        assert heard[-1] == (village.code, list(range(2019, date.today().year + 1)))
        spouse = household.members.get(relation=Relation.SPOUSE)
        with django_capture_on_commit_callbacks(execute=True):
            services.remove_member(
                user=clerk, member_id=spouse.pk, member_reason=MemberChangeReason.DEATH, reason="去世"
            )
        assert heard[-1] == (village.code, [date.today().year])
    finally:
        figures_changed.disconnect(receiver)


def test_a_corrected_cause_is_announced_and_a_corrected_group_is_not(
    clerk, village, django_capture_on_commit_callbacks
):
    """The statistics count households by 致贫原因, 属性 and 识别标准 (assessment/breakdowns.py): a correction
    of one of them moves those figures from the identification year on; a 村民小组 moves none."""
    household = registered(clerk, village)
    identify(household, clerk, year=2019)
    heard = []

    def receiver(sender, village_code, years, **kwargs):
        heard.append((village_code, years))

    figures_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.update_household(
                user=clerk, household_id=household.pk, expected_version=household.version, data={"group_name": "第九组"}
            )
        assert heard == []
        household.refresh_from_db()
        cause = "2" if household.main_cause != "2" else "3"
        with django_capture_on_commit_callbacks(execute=True):
            services.update_household(
                user=clerk, household_id=household.pk, expected_version=household.version, data={"main_cause": cause}
            )
        assert heard == [(village.code, list(range(2019, date.today().year + 1)))]
    finally:
        figures_changed.disconnect(receiver)


# --- the year lock covers all of a year's household data -----------------------------------


@pytest.fixture
def locked(clerk, village, county):
    """A 未脱贫 household whose current year is locked by the county's approval."""
    household = identify(registered(clerk, village), clerk, year=2016)
    services.lock_year(user=county, household_id=household.pk, year=date.today().year, reason="户退出申请 #7")
    household.refresh_from_db()
    return household


def test_a_locked_year_refuses_a_member_change_naming_the_year_and_who_locked_it(clerk, county, locked):
    year = date.today().year
    with pytest.raises(ValidationError) as error:
        services.add_member(
            user=clerk,
            household_id=locked.pk,
            member=member(Relation.GRANDSON, name="马宝", id_number=make_id_number(birth=date(2021, 1, 1))),
            member_reason=MemberChangeReason.NEWBORN,
            reason="出生",
        )
    message = error.value.message_dict["member"][0]
    assert f"{year}年度" in message and "户退出申请 #7" in message
    assert f"锁定人：{county.get_full_name() or county.username}" in message
    spouse = locked.members.get(relation=Relation.SPOUSE)
    with pytest.raises(ValidationError) as error:
        services.remove_member(user=clerk, member_id=spouse.pk, member_reason=MemberChangeReason.DEATH, reason="去世")
    assert f"{year}年度已由户退出申请 #7审定锁定" in error.value.message_dict["member"][0]
    locked.refresh_from_db()
    assert locked.member_count == 2
    # Another year stays open.
    services.remove_member(
        user=clerk,
        member_id=spouse.pk,
        member_reason=MemberChangeReason.DEATH,
        reason="去世",
        effective_date=date(year - 1, 12, 1),
    )


def test_a_locked_year_refuses_edits_measures_pairings_and_removal(clerk, county, village, locked):
    year = date.today().year
    with pytest.raises(ValidationError) as error:
        services.update_household(
            user=clerk, household_id=locked.pk, expected_version=locked.version, data={"house_safety_grade": "D"}
        )
    assert f"{year}年度已由户退出申请 #7审定锁定" in error.value.message_dict["household"][0]
    with pytest.raises(ValidationError):
        services.add_aid_measure(user=clerk, household_id=locked.pk, category="01", year=year, description="养殖")
    helper = services.create_helper(user=clerk, region_code=village.parent_id, name="李干部", unit="镇政府", level="4")
    with pytest.raises(ValidationError):
        services.assign_helper(user=clerk, helper_id=helper.pk, household_id=locked.pk, start_date=date(year, 1, 2))
    with pytest.raises(ValidationError) as error:
        approve(county, locked, AdjustmentKind.REMOVED, "REMOVAL", year)
    assert "清退须县级审核员先重新开放" in error.value.message_dict["kind"][0]
    locked.refresh_from_db()
    assert locked.status == HouseholdStatus.POOR and locked.house_safety_grade == ""


def test_reopening_and_relocking_keep_who_when_and_why(clerk, county, locked):
    year = date.today().year
    assert services.unlock_year(user=county, household_id=locked.pk, year=year, reason="审计发现收入漏记") is True
    services.update_household(
        user=clerk, household_id=locked.pk, expected_version=locked.version, data={"house_safety_grade": "C"}
    )
    services.lock_year(user=county, household_id=locked.pk, year=year, reason="户退出申请 #8")
    events = pghistory.models.Events.objects.filter(pgh_model="households.HouseholdYearLockEvent").order_by(
        "pgh_created_at", "pgh_id"
    )
    trail = [(event.pgh_label, event.pgh_data["reason"], (event.pgh_context or {}).get("reason")) for event in events]
    assert [label for label, _, _ in trail] == ["insert", "delete", "insert"]
    assert trail[1][2] == f"重新开放{year}年度：审计发现收入漏记"
    assert trail[2][1] == "户退出申请 #8"
    assert all((event.pgh_context or {}).get("user") == county.pk for event in events)
    assert HouseholdYearLock.objects.get(household=locked).locked_by == county


# --- 历史数据导入 ----------------------------------------------------------------------------


def historical_file(path, rows: list[dict], members: list[dict]):
    """A 采集表 with the 户状态 and 脱贫年度 columns a historical load reads."""
    extra = {"户状态", "脱贫年度"}
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, columns, data in ((HOUSEHOLD_SHEET, HOUSEHOLD_COLUMNS, rows), (MEMBER_SHEET, MEMBER_COLUMNS, members)):
        headers = [column.header for column in columns if not column.export_only or column.header in extra]
        sheet = workbook.create_sheet(title)
        sheet.append(headers)
        for row in data:
            sheet.append([row.get(header) for header in headers])
    workbook.save(path)
    return path


def historical_rows(village_code: str):
    base = {"所在村代码": village_code, "贫困户属性": "一般贫困户", "主要致贫原因": "因病"}
    rows = [
        {**base, "户编号": "6229261012018001", "识别年度": 2014, "户状态": "已脱贫", "脱贫年度": 2017},
        {**base, "户编号": "6229261012018002", "识别年度": 2015, "户状态": "未脱贫"},
    ]
    members = [
        {"户编号": "6229261012018001", "姓名": "马成", "证件号码": make_id_number(), "与户主关系": "户主"},
        {"户编号": "6229261012018001", "姓名": "何秀英", "证件号码": make_id_number(male=False), "与户主关系": "配偶"},
        {"户编号": "6229261012018002", "姓名": "马强", "证件号码": make_id_number(), "与户主关系": "户主"},
    ]
    return rows, members


def test_a_historical_load_keeps_status_and_original_years_and_is_recorded(county, village, tmp_path):
    path = historical_file(tmp_path / "history.xlsx", *historical_rows(village.code))
    preview = import_file(county, path, commit=False, historical=True)
    assert preview.errors == [] and not Household.objects.exists()
    result = import_file(county, path, commit=True, historical=True)
    assert result.committed and result.households_new == 2
    exited = Household.objects.get(household_no="6229261012018001")
    poor = Household.objects.get(household_no="6229261012018002")
    assert (exited.status, exited.identified_year, exited.exit_year) == (HouseholdStatus.EXITED, 2014, 2017)
    assert (poor.status, poor.identified_year, poor.exit_year) == (HouseholdStatus.POOR, 2015, None)
    assert poor_years(exited) == [2014, 2015, 2016] and exited_in(exited, 2017)
    assert poor_years(poor) == list(range(2015, 2023))
    log = list(exited.adjustments.order_by("effective_year").values_list("kind", "effective_year", "created_by"))
    assert log == [(AdjustmentKind.NEW, 2014, county.pk), (AdjustmentKind.EXITED, 2017, county.pk)]
    load = HistoricalLoad.objects.get()
    assert (load.loaded_by, load.household_count, load.member_count) == (county, 2, 3)
    assert load.original_name == "history.xlsx" and load.region_id == "622926000000"
    # Loading the same records again is refused: the first load is the only one.
    again = import_file(county, path, commit=True, historical=True)
    assert not again.committed and {error.reason for error in again.errors} == {
        "该户已在系统中：历史数据导入只导入尚未登记的户。"
    }
    assert HistoricalLoad.objects.count() == 1


def test_a_historical_record_must_say_its_status(county, village, tmp_path):
    rows, members = historical_rows(village.code)
    rows[0]["户状态"], rows[1]["脱贫年度"] = "", 2018
    result = import_file(county, historical_file(tmp_path / "h.xlsx", rows, members), commit=True, historical=True)
    assert {error.column for error in result.errors} == {"户状态", "脱贫年度"}
    assert not Household.objects.exists() and not HistoricalLoad.objects.exists()


def test_only_county_and_province_load_history(clerk, village, tmp_path):
    path = historical_file(tmp_path / "history.xlsx", *historical_rows(village.code))
    with pytest.raises(PermissionDenied):
        services.register_households(user=clerk, entries=[], historical=True)
    from households.imports import start_import

    with pytest.raises(PermissionDenied):
        start_import(user=clerk, uploaded=SimpleUploadedFile("h.xlsx", path.read_bytes()), historical=True)
    assert not ImportJob.objects.exists()


def test_the_import_page_offers_the_historical_load_to_the_county_only(client, clerk, county, village, tmp_path):
    login(client, clerk)
    page = client.get(reverse("households:import")).content.decode()
    assert "历史数据导入记录" in page and 'id="historical-load"' not in page
    client.logout()
    login(client, county)
    page = client.get(reverse("households:import")).content.decode()
    assert 'id="historical-load"' in page
    path = historical_file(tmp_path / "history.xlsx", *historical_rows(village.code))
    response = client.post(
        reverse("households:import"), {"mode": "HISTORICAL", "file": SimpleUploadedFile("历史.xlsx", path.read_bytes())}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.mode == ImportJob.Mode.HISTORICAL
    run_import(job.pk, True)  # what the worker does once confirmed
    assert Household.objects.get(household_no="6229261012018001").status == HouseholdStatus.EXITED
    page = client.get(reverse("households:import")).content.decode()
    assert "历史.xlsx" in page and HistoricalLoad.objects.get().import_job == job


def test_the_demo_province_is_one_historical_load(db):
    from fupin.demo import load_demo

    written = load_demo(households=200, seed=3)
    load = HistoricalLoad.objects.get()
    # The demo's 一般农户 are on record for monitoring only, not loaded as poverty records.
    poverty_records = written["households"] - written["ordinary_households"]
    assert load.household_count == poverty_records and load.loaded_by.username == "demo_province"
    exited = Household.objects.filter(status=HouseholdStatus.EXITED).first()
    assert exited.adjustments.filter(kind=AdjustmentKind.EXITED, effective_year=exited.exit_year).exists()
    assert poor_in(exited, exited.exit_year - 1) and not poor_in(exited, exited.exit_year)


def test_the_api_flag_starts_a_historical_load_for_the_county_only(api_client, clerk, county, village, tmp_path):
    path = historical_file(tmp_path / "history.xlsx", *historical_rows(village.code))
    api_client.force_authenticate(clerk)
    refused = api_client.post(
        "/api/v1/imports/", {"file": SimpleUploadedFile("h.xlsx", path.read_bytes()), "historical": "true"}
    )
    assert refused.status_code == 403 and not ImportJob.objects.exists()
    api_client.force_authenticate(county)
    started = api_client.post(
        "/api/v1/imports/", {"file": SimpleUploadedFile("h.xlsx", path.read_bytes()), "historical": "true"}
    )
    assert started.status_code == 202 and started.json()["mode"] == "HISTORICAL"


def test_a_change_taking_effect_before_the_last_one_is_refused(clerk, village, county):
    household = identify(registered(clerk, village), clerk, year=2015)
    approve(county, household, AdjustmentKind.EXITED, "HOUSEHOLD_EXIT", 2018)
    with pytest.raises(ValidationError) as error:
        approve(county, household, AdjustmentKind.RETURNED, "RETURN", 2017)
    assert error.value.message_dict["kind"] == ["生效年度（2017）不能早于该户上一次状态变更的年度（2018）。"]
    assert poor_years(household) == [2015, 2016, 2017]
