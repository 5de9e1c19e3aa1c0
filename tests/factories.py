"""Factories for tests: explicit regions, users and households with valid ID numbers."""

import itertools
from datetime import date

import factory

from core.codes import Role
from core.models import User
from core.regions import ancestor_codes, county_of, level_of
from fupin.demo import id_check_char
from households.codes import HouseholdAttribute, HouseholdStatus, PovertyCause, Relation
from households.models import Household, Member
from villages.models import Region

TEST_PASSWORD = "correct-horse-battery"
_sequence = itertools.count(1)


def make_id_number(county: str = "622926", birth: date = date(1980, 5, 17), male: bool = True) -> str:
    """A valid 18-digit number, unique within a test session."""
    serial = next(_sequence) % 500
    first17 = f"{county}{birth:%Y%m%d}{2 * serial + (1 if male else 0):03d}"
    return first17 + id_check_char(first17)


def region(code: str, name: str | None = None) -> Region:
    """The region with `code` and all its ancestors, created as needed."""
    ancestors = ancestor_codes(code)
    parent = region(ancestors[-1]) if ancestors else None
    obj, _ = Region.objects.get_or_create(
        code=code, defaults={"name": name or f"{code}名", "level": level_of(code), "parent": parent}
    )
    return obj


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.TOWNSHIP_CLERK
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    household_no = factory.Sequence(lambda n: f"H{n:010d}")
    head_name = "张三"
    attribute = HouseholdAttribute.GENERAL
    main_cause = PovertyCause.ILLNESS
    identified_year = 2015
    status = HouseholdStatus.POOR


def household_with_members(village: Region, size: int = 3, status: str = HouseholdStatus.POOR) -> Household:
    """A household in `village` with a head and `size - 1` children; member_count kept in step."""
    household = HouseholdFactory(village=village, status=status, member_count=size)
    for index in range(size):
        member = Member(
            household=household,
            name=f"成员{index}",
            relation=Relation.HEAD if index == 0 else Relation.SON,
        )
        member.set_id_number(make_id_number())
        member.save()
    return household


def populate(village: Region, township: Region) -> Household:
    """One of everything a township holds: household, members, income, year lock, adjustment, measure, helper, visit."""
    from django.utils import timezone

    from assistance.models import Visit
    from households.models import (
        AdjustmentRecord,
        AidMeasure,
        Helper,
        HelperAssignment,
        HouseholdYearLock,
        IncomeRecord,
    )

    household = household_with_members(village)
    IncomeRecord.objects.create(household=household, year=2019, household_size=3)
    HouseholdYearLock.objects.create(household=household, year=2018, reason="户退出申请 #1", locked_at=timezone.now())
    AdjustmentRecord.objects.create(
        household=household, kind="NEW", year=2019, effective_date=date(2019, 1, 1), reason="新识别"
    )
    AidMeasure.objects.create(household=household, category="01", year=2019, description="养殖")
    helper = Helper.objects.create(name="干部", unit="镇政府", level="4", region=township)
    HelperAssignment.objects.create(helper=helper, household=household, start_date=date(2019, 1, 1))
    Visit.objects.create(household=household, helper=helper, visited_on=date(2024, 3, 1), findings="入户走访")
    populate_assessment(household, village)
    populate_projects(household, village)
    populate_funds(household, village)
    populate_monitoring(village)
    populate_village_teams(village, township)
    return household


def populate_village_teams(village: Region, township: Region) -> None:
    """A 帮扶单位 of the township assigned to the village, and the village's team with a 第一书记."""
    from assistance.models import AidUnit, TeamMember, UnitAssignment, VillageTeam

    unit = AidUnit.objects.create(name=f"{township.name}帮扶单位", unit_type="1", level="4", region=township)
    UnitAssignment.objects.create(unit=unit, region=village, start_date=date(2020, 1, 1))
    team = VillageTeam.objects.create(village=village, unit=unit, start_date=date(2020, 1, 1))
    TeamMember.objects.create(team=team, name="第一书记", unit=unit.name, role="1", start_date=date(2020, 1, 1))


def populate_monitoring(village: Region) -> None:
    """An exited household of the village in 识别中 with a measure; a self-report; a list of the county."""
    from monitoring.models import AssistanceMeasure, DepartmentList, MonitoringLead, MonitoringObject

    record = MonitoringObject.objects.create(
        household=household_with_members(village, status=HouseholdStatus.EXITED),
        category="1",
        risk_types=["01"],
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
    AssistanceMeasure.objects.create(
        monitoring_object=record, category="07", risk_type="01", description="医疗救助", started_on=date(2024, 3, 5)
    )
    MonitoringLead.objects.create(way="1", village=village, reporter_name="申报人", description="因病住院")
    county = region(county_of(village.code))
    uploader = UserFactory(role=Role.COUNTY_REVIEWER, region=county)
    DepartmentList.objects.create(
        user=uploader, county=county, department="YB", risk_type="01", original_name="名单.xlsx", status="DONE"
    )


def populate_projects(household: Household, village: Region) -> None:
    """A project of the village with its move, a beneficiary, a notice and an objection to it."""
    from projects.models import Beneficiary, Notice, NoticeObjection, Project, ProjectEvent

    user = UserFactory(role=Role.TOWNSHIP_CLERK, region=village.parent)
    project = Project.objects.create(
        county=region(county_of(village.code)),
        region=village,
        name="村道硬化",
        category="02",
        year=2019,
        budget="100000.00",
        implementing_unit="镇政府",
        created_by=user,
    )
    project.villages.set([village])
    ProjectEvent.objects.create(project=project, to_status="DECLARED", user=user, comment="申报")
    Beneficiary.objects.create(project=project, household=household, planned_amount="1000.00")
    notice = Notice.objects.create(
        project=project,
        region=village,
        title="项目公示",
        content="村道硬化",
        place="村公示栏",
        start_date=date(2019, 3, 1),
        end_date=date(2019, 3, 10),
        created_by=user,
    )
    NoticeObjection.objects.create(notice=notice, content="异议", received_on=date(2019, 3, 2), recorded_by=user)


def populate_funds(household: Household, village: Region) -> None:
    """The county's ledger: one source, one allocation to the household's aid measure, one disbursement."""
    from funds.models import Allocation, Disbursement, FundSource

    county = region(county_of(village.code))
    user = UserFactory(role=Role.COUNTY_REVIEWER, region=county)
    source, _ = FundSource.objects.get_or_create(
        county=county,
        year=2019,
        document_no="财农〔2019〕1号",
        defaults=dict(level="1", purpose="产业", amount="1000.00", received_on=date(2019, 3, 1), created_by=user),
    )
    allocation = source.allocations.first() or Allocation.objects.create(
        source=source,
        aid_measure=household.aid_measures.first(),
        amount="600.00",
        allocated_on=date(2019, 4, 1),
        created_by=user,
    )
    if not allocation.disbursements.exists():
        Disbursement.objects.create(
            allocation=allocation, amount="200.00", paid_on=date(2019, 5, 1), voucher_no="记-1", created_by=user
        )


def populate_assessment(household: Household, village: Region) -> None:
    """An application in 公示 with its steps and an objection; incidence and ratings of the county."""
    from django.utils import timezone

    from assessment.models import (
        Application,
        ApplicationStep,
        CountyRating,
        IncidenceRate,
        Objection,
        RatingScheme,
        ReductionPlan,
        SampleSurvey,
    )

    application = Application.objects.create(
        kind="HOUSEHOLD_EXIT", region=village, household=household, year=2019, status="IN_REVIEW", current_step=1
    )
    step = ApplicationStep.objects.create(
        application=application, index=1, code="VILLAGE_NOTICE", name="村内公示", kind="publicity", status="OPEN"
    )
    Objection.objects.create(application=application, step=step, content="异议")
    now = timezone.now()
    IncidenceRate.objects.create(
        region=village, year=2019, poor_households=1, poor_population=3, rural_population=900, computed_at=now
    )
    county = region(county_of(village.code))
    ReductionPlan.objects.get_or_create(county=county, year=2019, defaults={"planned_exit_population": 10})
    SampleSurvey.objects.get_or_create(
        county=county,
        year=2019,
        quarter=4,
        defaults=dict(
            sampled_exited_population=1,
            wrong_exit_population=0,
            sampled_unregistered_population=1,
            omitted_population=0,
            surveyed_households=1,
            approving_households=1,
        ),
    )
    CountyRating.objects.get_or_create(
        county=county,
        year=2019,
        period="YEAR",
        defaults=dict(scheme=RatingScheme.objects.first(), indicator_values=[], score=0, grade="D", computed_at=now),
    )


def approved_application(household: Household, kind: str = "HOUSEHOLD_EXIT", year: int = 2019):
    """The approved application the engine hands to change_status when it applies 脱贫/返贫/新识别."""
    from assessment.models import Application

    return Application.objects.create(
        kind=kind, region=household.village, household=household, year=year, status="APPROVED"
    )


def write_collection_file(path, household_rows: list[dict], member_rows: list[dict]):
    """A 采集表 as a clerk fills it: both sheets, the importable official headers, rows keyed by header."""
    from openpyxl import Workbook

    from households.resources import HOUSEHOLD_COLUMNS, HOUSEHOLD_SHEET, MEMBER_COLUMNS, MEMBER_SHEET

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, columns, rows in (
        (HOUSEHOLD_SHEET, HOUSEHOLD_COLUMNS, household_rows),
        (MEMBER_SHEET, MEMBER_COLUMNS, member_rows),
    ):
        headers = [column.header for column in columns if not column.export_only]
        sheet = workbook.create_sheet(title)
        sheet.append(headers)
        for row in rows:
            sheet.append([row.get(header) for header in headers])
    workbook.save(path)
    return path
