"""Role × operation: every API operation and every HTML POST, with every role (docs/architecture.md).

The expected outcome of each case comes from `core.permissions.POLICY` (an operation's action)
or from the step rule of a procedure (a project's ADVANCE_ROLES, an application's step table as
`assessment.services.available_actions` applies it), never from what the code under test answers:

- allowed, in scope: success (2xx, or 3xx without an error message on an HTML page);
- not allowed, in scope: 403 (a step rule's refusal may also be the engine's 400);
- out of scope (a clerk of another county, the object named in the URL): 404, never 403;
- never a 500.

Every operation of the API schema and every POST URL of the HTML site must be classified in
the tables below: a new endpoint that is not fails `test_every_operation_is_classified`. Each
case runs in a savepoint rolled back afterwards, against one world built once per test.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from assessment import services as assessment_services
from assessment import views as assessment_views
from assessment.codes import ApplicationAction, ApplicationKind
from assistance.models import AidUnit, TeamMember, UnitAssignment, VillageTeam, Visit
from core.codes import Role
from core.models import ExportJob, Notification
from core.permissions import Action, allows
from funds.models import Allocation, Disbursement, FundSource
from fupin.accounts import Account, sign_accounts
from households.income import INCOME_ITEMS
from households.models import AdjustmentRecord, AidMeasure, Helper, HelperAssignment, ImportJob, IncomeRecord
from monitoring.models import AssistanceMeasure, DepartmentList, MonitoringLead, MonitoringLine, MonitoringObject
from monitoring.services import apply_decision, start_identification
from projects import views as project_views
from projects.codes import ADVANCE_ROLES, ProjectStatus
from projects.models import Beneficiary, Notice, NoticeObjection, Project, ProjectEvent
from projects.services import next_status
from tests.factories import TEST_PASSWORD, UserFactory, household_with_members, make_id_number, region
from villages.models import County, Region, Village

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
APPLICATION_YEAR = 2019  # a year with a poverty line in the default policy parameters
GUARANTEES = {key: True for key in ("food", "clothing", "education", "medical", "housing", "water")}
# A clerk's 入户核实 of an exited household (monitoring.services.start_identification).
VISIT = {
    "discovered_on": TODAY,
    "category": "1",
    "risk_types": ["01"],
    "income_12_months": "12000.00",
    "consent_signed_on": TODAY,
}
# A clerk's new visit of a 监测中 record (assessment.monitoring_workflows.request_risk_elimination).
ELIMINATION_VISIT = {
    "visited_on": TODAY.isoformat(),
    "income_12_months": "40000.00",
    "compliant_costs": "0",
    "months_above_range": 6,
    **dict.fromkeys(["rigid_costs_solved", "housing_safe", "education_secured", "medical_insured", "water_safe"], True),
    "new_risk": False,
    "mode": "1",
}
# The roles walked, by name; "outsider" is a township clerk of another county (every object is out of its scope).
ROLES = ("clerk", "county", "city", "province", "admin", "outsider")


# --- the world: one object of each kind, in the scope of the first five roles ------------------


class World:
    """Regions, one user per role, and one object of each kind in a village of 622926."""

    def __init__(self):
        province = region("620000000000", "甘肃省")
        city = region("622900000000", "临夏州")
        self.county = region("622926000000", "东乡族自治县")
        self.township = region("622926101000", "锁南镇")
        self.village = region("622926101201", "红柳村")
        Village.objects.update_or_create(region=self.village, defaults={"is_poor_village": True})
        County.objects.update_or_create(region=self.county, defaults={"is_poverty_county": True})
        other_township = region("622921101000", "甲镇")
        region("622921101201", "甲村")
        self.users = {
            "clerk": UserFactory(role=Role.TOWNSHIP_CLERK, region=self.township),
            "county": UserFactory(role=Role.COUNTY_REVIEWER, region=self.county),
            "city": UserFactory(role=Role.CITY_REVIEWER, region=city),
            "province": UserFactory(role=Role.PROVINCE_STAFF, region=province),
            "admin": UserFactory(role=Role.ADMIN, region=None, is_staff=True, is_superuser=True),
            "outsider": UserFactory(role=Role.TOWNSHIP_CLERK, region=other_township),
        }
        # A second clerk of the township declares and submits, so the first may review (never one's own).
        self.declarer = UserFactory(role=Role.TOWNSHIP_CLERK, region=self.township)
        full_id = Permission.objects.get(codename="view_full_id")
        for user in [*self.users.values(), self.declarer]:
            user.user_permissions.add(full_id)
        self.household = household_with_members(self.village)
        self.member = self.household.members.exclude(relation="01").first()
        self.candidate = household_with_members(self.village, status="CANDIDATE")
        self.helper = Helper.objects.create(name="干部", unit="镇政府", level="4", region=self.township)
        # 结对帮扶: a second helper, and an open pairing of the first to move or end (assistance/pairing.py).
        self.helper2 = Helper.objects.create(name="村干部", unit="红柳村村委会", level="5", region=self.township)
        self.pairing = HelperAssignment.objects.create(
            helper=self.helper, household=household_with_members(self.village), start_date=TODAY - timedelta(days=30)
        )
        self.aid_measure = AidMeasure.objects.create(
            household=self.household, category="01", year=2019, description="养殖"
        )
        self.adjustment = AdjustmentRecord.objects.create(
            household=self.household,
            kind="NEW",
            year=2019,
            effective_year=2019,
            effective_date=date(2019, 1, 1),
            reason="新识别",
        )
        self._monitoring()
        self._village_teams()
        self._projects()
        self._funds()
        self._visit()
        self._applications()
        self.imports = {name: self._import_job(user) for name, user in self.users.items()}
        self.historical_imports = {
            name: self._import_job(user, mode=ImportJob.Mode.HISTORICAL) for name, user in self.users.items()
        }
        self.exports = {
            name: ExportJob.objects.create(user=user, report="households") for name, user in self.users.items()
        }
        self.notifications = {
            name: Notification.objects.create(recipient=user, kind="REVIEW", title="消息", url="/")
            for name, user in self.users.items()
        }

    def _monitoring(self):
        """An exited household to start an identification for, and one already in 识别中."""
        self.exited = household_with_members(self.village, status="EXITED")
        self.monitoring_object = start_identification(
            user=self.users["clerk"], household_id=household_with_members(self.village, status="EXITED").pk, **VISIT
        )
        # A record the county has decided (监测中), for 风险消除; found 200 days ago, so that the visit's
        # 6 months above the range fit in the record's age (assessment/elimination.py).
        self.monitored = start_identification(
            user=self.users["clerk"],
            household_id=household_with_members(self.village, status="EXITED").pk,
            **{**VISIT, "discovered_on": TODAY - timedelta(days=200)},
        )
        apply_decision(monitoring_object_id=self.monitored.pk, to_status="MONITORED", on=TODAY, reason="纳入监测")
        self.monitoring_measure = AssistanceMeasure.objects.create(
            monitoring_object=self.monitoring_object,
            category="07",
            risk_type="01",
            description="医疗救助",
            started_on=TODAY,
        )
        self.monitoring_line, _ = MonitoringLine.objects.get_or_create(
            province_id="620000000000", year=2024, defaults={"amount": "7100", "source": "测试"}
        )
        # A self-report waiting in the township's queue, and a matched department list of the county.
        self.lead = MonitoringLead.objects.create(
            way="1", village=self.village, reporter_name="马小红", reporter_phone="13912345678", description="住院"
        )
        self.department_list = DepartmentList.objects.create(
            user=self.users["county"], county=self.county, department="YB", risk_type="01", status="DONE"
        )

    def _village_teams(self):
        """A unit of the county assigned to the village, its team there with a 第一书记; a village without a team."""
        start = date(2024, 1, 1)
        self.aid_unit = AidUnit.objects.create(name="县农业农村局", unit_type="1", level="3", region=self.county)
        self.unit_assignment = UnitAssignment.objects.create(unit=self.aid_unit, region=self.village, start_date=start)
        self.village_team = VillageTeam.objects.create(village=self.village, unit=self.aid_unit, start_date=start)
        self.team_member = TeamMember.objects.create(
            team=self.village_team, name="马书记", unit="县农业农村局", role="1", start_date=start
        )
        self.teamless_village = region("622926101202", "白杨村")

    def _projects(self):
        self.project = Project.objects.create(
            county=self.county,
            region=self.village,
            name="村道硬化",
            category="02",
            year=TODAY.year,
            budget="100000.00",
            implementing_unit="镇政府",
            performance_target="硬化5公里",
            created_by=self.declarer,
        )
        self.project.villages.set([self.village])
        ProjectEvent.objects.create(project=self.project, to_status="DECLARED", user=self.declarer, comment="申报")
        self.beneficiary = Beneficiary.objects.create(
            project=self.project, household=self.household, planned_amount="1000.00"
        )
        self.approved_project = Project.objects.create(
            county=self.county,
            region=self.village,
            name="产业项目",
            category="01",
            year=2019,
            budget="5000.00",
            implementing_unit="镇政府",
            performance_target="增收",
            status=ProjectStatus.APPROVED,
            created_by=self.declarer,
        )
        self.approved_project.villages.set([self.village])
        # The notice (and its open objection) is the approved project's: an open objection would hold the other.
        self.notice = Notice.objects.create(
            project=self.approved_project,
            region=self.village,
            title="项目公示",
            content="村道硬化",
            place="村公示栏",
            start_date=TODAY,
            end_date=TODAY + timedelta(days=9),
            created_by=self.declarer,
        )
        self.notice_objection = NoticeObjection.objects.create(
            notice=self.notice, content="异议", received_on=TODAY, recorded_by=self.declarer
        )

    def _visit(self):
        """A visit of the household recorded by the clerk, with a scan in the private store (assistance/visits.py)."""
        name = f"{'0' * 31}1.png"
        Path(settings.PRIVATE_ATTACHMENT_DIR, name).write_bytes(b"\x89PNG\r\n\x1a\n")
        self.visit = Visit.objects.create(
            household=self.household,
            visited_on=TODAY,
            findings="入户走访",
            attachment=name,
            attachment_name="照片.png",
            attachment_type="image/png",
            recorded_by=self.users["clerk"],
        )

    def _funds(self):
        county_user = self.users["county"]
        self.source = FundSource.objects.create(
            county=self.county,
            year=2019,
            level="1",
            document_no="财农〔2019〕1号",
            purpose="产业",
            amount="10000.00",
            received_on=date(2019, 3, 1),
            created_by=county_user,
        )
        entry = {"source": self.source, "project": self.approved_project, "created_by": county_user}
        self.allocation = Allocation.objects.create(amount="600.00", allocated_on=date(2019, 4, 1), **entry)
        self.paid_allocation = Allocation.objects.create(amount="800.00", allocated_on=date(2019, 4, 1), **entry)
        self.disbursement = Disbursement.objects.create(
            allocation=self.paid_allocation,
            amount="200.00",
            paid_on=date(2019, 5, 1),
            voucher_no="记-1",
            created_by=county_user,
        )

    def _applications(self):
        """A draft of the clerk, one in review at the clerk's step, one in 公示 with an objection,
        one sent back to the clerk, one approved (year locked), one approved and reopened."""
        services, year = assessment_services, APPLICATION_YEAR

        def household_app(user, kind="CLOSURE", **extra):
            target = household_with_members(self.village)
            return services.draft_application(
                user=user, kind=kind, year=year, household_id=target.pk, reason="全户死亡，附死亡证明", **extra
            )

        self.draft = household_app(self.users["clerk"])
        review = household_app(self.declarer)
        self.in_review = services.submit_application(user=self.declarer, application_id=review.pk)
        publicity = services.draft_application(
            user=self.declarer,
            kind=ApplicationKind.IDENTIFICATION,
            year=year,
            household_id=household_with_members(self.village, status="CANDIDATE").pk,
            figures={key: False for key in GUARANTEES},
            reason="民主评议通过",
        )
        self.in_publicity = services.submit_application(user=self.declarer, application_id=publicity.pk)
        self.objection = services.file_objection(
            user=self.declarer, application_id=self.in_publicity.pk, content="收入不实"
        )
        sent_back = services.submit_application(
            user=self.users["clerk"], application_id=household_app(self.users["clerk"]).pk
        )
        self.sent_back = services.send_back_application(
            user=self.declarer, application_id=sent_back.pk, comment="补充证明"
        )
        from tests.factories import approved_application

        exiting = household_with_members(self.village)
        IncomeRecord.objects.create(household=exiting, year=year, household_size=3, wage_income="60000.00")
        exit_draft = services.draft_application(
            user=self.declarer,
            kind=ApplicationKind.HOUSEHOLD_EXIT,
            year=year,
            household_id=exiting.pk,
            figures={**GUARANTEES, "consent": True},
            reason="民主评议通过，农户认可",
        )
        # Submitted long ago: its 村内公示 is over, the township's review waits (批量审核 is for household exits).
        self.exit_in_review = services.submit_application(
            user=self.declarer, application_id=exit_draft.pk, today=TODAY - timedelta(days=60)
        )
        self.approved = approved_application(household_with_members(self.village), kind="HOUSEHOLD_EXIT", year=year)
        self.reopened = approved_application(household_with_members(self.village), kind="HOUSEHOLD_EXIT", year=year)
        services.reopen_application(user=self.users["county"], application_id=self.reopened.pk, reason="更正收入")

    def _import_job(self, user, mode=ImportJob.Mode.REGULAR):
        return ImportJob.objects.create(
            user=user, original_name="采集表.xlsx", stored_name="none.xlsx", mode=mode, status=ImportJob.Status.PREVIEW
        )


# --- how an operation is judged ----------------------------------------------------------------


@dataclass
class Case:
    """One way to call an operation: its rule, the object in its URL, its body."""

    rule: str | Callable  # an Action, READ, or a step rule: (world, user) -> bool
    obj: Callable | None = None  # (world, user) -> the id (or code) in the URL; None: a collection
    data: Callable = lambda world, user: {}
    headers: dict = field(default_factory=dict)
    procedure: bool = False  # allowed roles are still refused: only an application changes this
    label: str = ""
    visible: Callable | None = None  # (world, user) -> whether what it names is in scope; default: not the outsider's


READ = "read"


def expected(case: Case, world: World, name: str) -> set[str]:
    """The outcomes a role may get: {"ok"}, {"403"}, {"404"}, or a refusal that is not a success."""
    user = world.users[name]
    visibility = case.visible or VISIBILITY.get(case.rule) if isinstance(case.rule, str) else case.visible
    visible = visibility(world, user) if visibility else name != "outsider"
    if not visible:
        if case.obj is not None:
            return {"404"}
        # The body names objects of another scope: refused, whoever may take the action elsewhere.
        return (
            {"400", "404"}
            if case.rule == READ or callable(case.rule) or allows(user, case.rule)
            else {"400", "403", "404"}
        )
    if case.rule == READ:
        allowed = True
    elif callable(case.rule):
        allowed = case.rule(world, user)
        if not allowed:
            return {"403", "400"}  # the step rule's refusal: the engine's 400 or the policy's 403
    else:
        allowed = allows(user, case.rule)
    if allowed and case.procedure:
        return {"400"}
    return {"ok"} if allowed else {"403"}


def step_rule(obj_attr: str, action: str) -> Callable:
    """An application's step rule: the engine's answer for this user now (assessment.services)."""

    def rule(world, user):
        application = getattr(world, obj_attr)
        application.refresh_from_db()
        return action in assessment_services.available_actions(user, application)

    return rule


def advance_rule(world, user) -> bool:
    """A project's step rule: a declaring role, the step's ADVANCE_ROLES, never the declarer's own review."""
    target = next_status(Project.objects.get(pk=world.project.pk))
    return allows(user, Action.DECLARE_PROJECT) and user.role in ADVANCE_ROLES[target]


def own(kind: str) -> Callable:
    """The user's own job (imports, exports: each user sees only theirs); the outsider names the clerk's."""

    def obj(world, user):
        jobs = getattr(world, kind)
        name = next(name for name, candidate in world.users.items() if candidate == user)
        return jobs["clerk" if name == "outsider" else name].pk

    return obj


def ledger_visible(world, user) -> bool:
    """The county's ledger is the county's: a township clerk's scope holds none of it (docs/domain.md §11.4)."""
    return FundSource.objects.visible_to(user).filter(pk=world.source.pk).exists()


def county_visible(world, user) -> bool:
    return Region.objects.visible_to(user).filter(code=world.county.code).exists()


def own_region(user) -> str:
    """An export names the user's own region (the admin's: the province)."""
    return user.region_id or "620000000000"


def anyone(world, user) -> bool:
    """An upload names no region: the rows are checked against the scope later."""
    return True


# Objects whose scope is not the village's: the county's ledger and its assessment figures.
VISIBILITY = {
    Action.WRITE_LEDGER: ledger_visible,
    Action.RECORD_ASSESSMENT_DATA: county_visible,
}


def ident(attr: str) -> Callable:
    return lambda world, user: getattr(world, attr).pk


def record_version(world) -> str:
    """The record's updated_at as a reader has it (an edit sends it back: monitoring.services.update_findings)."""
    return MonitoringObject.objects.get(pk=world.monitoring_object.pk).updated_at.isoformat()


def monitoring_payload(world, user):
    return {"household": world.exited.pk, **{key: str(value) for key, value in VISIT.items() if key != "risk_types"}}


def pairing_upload(world):
    """A one-row 结对名单 pairing the world's household (assistance/pairing_imports.py)."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["帮扶责任人姓名", "工作单位", "隶属关系", "联系电话", "户编号", "结对日期"])
    book.active.append(["李明", "县农业农村局", "县直", "", world.household.household_no, TODAY.isoformat()])
    handle = io.BytesIO()
    book.save(handle)
    return SimpleUploadedFile("结对名单.xlsx", handle.getvalue())


def account_sheet(world):
    """A one-row 批量创建账号 sheet: a clerk for the world's township (fupin/accounts.py)."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["乡镇代码", "用户名", "姓名", "角色"])
    book.active.append([world.township.code, "matrix_new_clerk", "新录入员", "乡镇录入员"])
    handle = io.BytesIO()
    book.save(handle)
    return SimpleUploadedFile("账号.xlsx", handle.getvalue())


def account_plan(world, user):
    """A checked 批量创建账号 preview signed for `user`, as its confirmation sends it back."""
    account = Account(2, "matrix_new_clerk", "新录入员", Role.TOWNSHIP_CLERK, world.township.code, world.township.name)
    return sign_accounts(user, [account])


def roster_upload(world):
    """A one-row 驻村工作队花名册 for the world's village (assistance/team_imports.py)."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["村代码", "姓名", "工作单位", "职务", "联系电话", "到岗日期"])
    book.active.append([world.village.code, "赵队员", "县农业农村局", "队员", "13900001111", TODAY.isoformat()])
    handle = io.BytesIO()
    book.save(handle)
    return SimpleUploadedFile("花名册.xlsx", handle.getvalue())


def household_payload(world, user):
    return {
        "village": world.village.code,
        "attribute": "1",
        "main_cause": "1",
        "identified_year": TODAY.year,
        "members": [{"name": "马成", "relation": "01", "id_number": make_id_number(), "ethnicity": "26"}],
    }


# --- the API: every path × method of the schema -----------------------------------------------

H, P, A = ident("household"), ident("project"), ident("allocation")
API: dict[tuple[str, str], list[Case]] = {
    ("POST", "/api/v1/households/"): [Case(Action.REGISTER_HOUSEHOLD, data=household_payload)],
    ("POST", "/api/v1/monitoring-leads/{id}/close/"): [
        Case(Action.HANDLE_LEAD, ident("lead"), lambda w, u: {"reason": "核实后收入稳定"})
    ],
    ("POST", "/api/v1/department-lists/"): [
        Case(
            Action.UPLOAD_DEPARTMENT_LIST,
            data=lambda w, u: {"file": w.upload(), "department": "YB", "risk_type": "01"},
            visible=anyone,
        )
    ],
    ("PATCH", "/api/v1/monitoring-objects/{id}/"): [
        Case(
            Action.EDIT_MONITORING_FINDINGS,
            ident("monitoring_object"),
            lambda w, u: {"updated_at": record_version(w), "water_unsafe": True},
        )
    ],
    ("POST", "/api/v1/monitoring-measures/"): [
        Case(
            Action.RECORD_MONITORING_MEASURE,
            data=lambda w, u: {
                "monitoring_object": w.monitoring_object.pk,
                "category": "02",
                "risk_type": "01",
                "description": "就业推荐",
                "started_on": TODAY.isoformat(),
            },
        )
    ],
    ("POST", "/api/v1/monitoring-measures/{id}/end/"): [
        Case(
            Action.RECORD_MONITORING_MEASURE, ident("monitoring_measure"), lambda w, u: {"ended_on": TODAY.isoformat()}
        )
    ],
    ("POST", "/api/v1/applications/monitoring-identification/"): [
        Case(Action.START_MONITORING, data=lambda w, u: {**monitoring_payload(w, u), "risk_types": ["01"]})
    ],
    ("POST", "/api/v1/applications/risk-elimination/"): [
        Case(
            Action.REQUEST_RISK_ELIMINATION,
            data=lambda w, u: {"monitoring_object": w.monitored.pk, **ELIMINATION_VISIT},
        )
    ],
    ("PUT", "/api/v1/households/{id}/"): [
        Case(Action.EDIT_HOUSEHOLD, H, lambda w, u: {"group_name": "二组"}, {"HTTP_IF_MATCH": '"1"'})
    ],
    ("PATCH", "/api/v1/households/{id}/"): [
        Case(Action.EDIT_HOUSEHOLD, H, lambda w, u: {"group_name": "二组"}, {"HTTP_IF_MATCH": '"1"'})
    ],
    ("POST", "/api/v1/households/{id}/incomes/"): [
        Case(Action.RECORD_INCOME, H, lambda w, u: {"year": TODAY.year, "wage_income": "3000.00"})
    ],
    ("POST", "/api/v1/households/{id}/unmask/"): [Case(Action.UNMASK_PERSONAL_DATA, H)],
    ("POST", "/api/v1/households/search/"): [
        Case(READ, data=lambda w, u: {"id_number": w.household.members.first().id_number}, visible=anyone)
    ],
    ("POST", "/api/v1/aid-measures/"): [
        Case(
            Action.RECORD_AID_MEASURE,
            data=lambda w, u: {"household": w.household.pk, "category": "01", "year": 2019, "description": "养殖"},
        )
    ],
    ("POST", "/api/v1/helpers/"): [
        Case(
            Action.PAIR_HELPER,
            data=lambda w, u: {"name": "王", "unit": "镇政府", "level": "4", "region": w.township.code},
        )
    ],
    ("POST", "/api/v1/pairings/bulk/"): [
        Case(
            Action.PAIR_HELPER,
            data=lambda w, u: {"helper": w.helper.pk, "households": [w.household.pk], "start_date": TODAY.isoformat()},
        )
    ],
    ("POST", "/api/v1/pairings/move/"): [
        Case(
            Action.PAIR_HELPER,
            data=lambda w, u: {
                "from_helper": w.helper.pk,
                "to_helper": w.helper2.pk,
                "reason": "工作调动",
                "date": TODAY.isoformat(),
            },
        )
    ],
    ("POST", "/api/v1/pairings/{id}/end/"): [
        Case(Action.PAIR_HELPER, ident("pairing"), lambda w, u: {"end_date": TODAY.isoformat()})
    ],
    ("POST", "/api/v1/helpers/{id}/assign/"): [
        Case(
            Action.PAIR_HELPER,
            ident("helper"),
            lambda w, u: {"household": w.household.pk, "start_date": TODAY.isoformat()},
        )
    ],
    ("POST", "/api/v1/adjustments/"): [
        Case(
            Action.CHANGE_MEMBERS,
            data=lambda w, u: {
                "household": w.household.pk,
                "kind": "MEMBER_INCREASE",
                "reason": "新生儿",
                "member_reason": "NEWBORN",
                "new_member": {"name": "马小", "relation": "03", "id_number": make_id_number(), "ethnicity": "26"},
            },
            label="成员增加",
        ),
        Case(
            Action.CHANGE_MEMBERS,
            data=lambda w, u: {
                "member": w.member.pk,
                "kind": "MEMBER_DECREASE",
                "reason": "死亡",
                "member_reason": "DEATH",
            },
            label="成员减少",
        ),
        Case(
            Action.EDIT_HOUSEHOLD,
            data=lambda w, u: {"household": w.household.pk, "kind": "REMOVED", "reason": "识别不精准"},
            procedure=True,
            label="清退（只经申请）",
        ),
    ],
    ("POST", "/api/v1/imports/"): [
        Case(Action.IMPORT_COLLECTION_FORM, data=lambda w, u: {"file": w.upload()}, visible=anyone, label="采集表"),
        Case(
            Action.LOAD_HISTORICAL_RECORDS,
            data=lambda w, u: {"file": w.upload(), "historical": True},
            visible=anyone,
            label="历史数据导入",
        ),
    ],
    ("POST", "/api/v1/imports/{id}/commit/"): [
        Case(Action.IMPORT_COLLECTION_FORM, own("imports"), label="采集表"),
        Case(Action.LOAD_HISTORICAL_RECORDS, own("historical_imports"), label="历史数据导入"),
    ],
    ("POST", "/api/v1/projects/"): [
        Case(
            Action.DECLARE_PROJECT,
            data=lambda w, u: {
                "name": "饮水工程",
                "category": "02",
                "year": TODAY.year,
                "budget": "1000.00",
                "implementing_unit": "水管站",
                "villages": [w.village.code],
            },
        )
    ],
    ("PATCH", "/api/v1/projects/{id}/"): [Case(Action.DECLARE_PROJECT, P, lambda w, u: {"name": "村道硬化（修订）"})],
    ("POST", "/api/v1/projects/{id}/advance/"): [Case(advance_rule, P, lambda w, u: {"comment": "同意"})],
    ("POST", "/api/v1/projects/{id}/beneficiaries/"): [
        Case(Action.DECLARE_PROJECT, P, lambda w, u: {"household": w.candidate.pk, "planned_amount": "500.00"})
    ],
    ("POST", "/api/v1/projects/{id}/remove-beneficiary/"): [
        Case(Action.DECLARE_PROJECT, P, lambda w, u: {"beneficiary": w.beneficiary.pk})
    ],
    ("POST", "/api/v1/notices/"): [
        Case(
            Action.DECLARE_PROJECT,
            data=lambda w, u: {
                "project": w.project.pk,
                "region": w.village.code,
                "title": "公示",
                "content": "内容",
                "place": "村委会",
                "start_date": TODAY.isoformat(),
            },
        )
    ],
    ("POST", "/api/v1/notices/{id}/objections/"): [
        Case(Action.FILE_OBJECTION, ident("notice"), lambda w, u: {"content": "异议", "received_on": TODAY.isoformat()})
    ],
    ("POST", "/api/v1/notices/{id}/resolve-objection/"): [
        Case(
            Action.DECLARE_PROJECT,
            ident("notice"),
            lambda w, u: {"objection": w.notice_objection.pk, "outcome": "已核实"},
        )
    ],
    ("POST", "/api/v1/fund-sources/"): [
        Case(
            Action.WRITE_LEDGER,
            data=lambda w, u: {
                "county": w.county.code,
                "level": "1",
                "year": 2019,
                "document_no": "财农〔2019〕9号",
                "purpose": "产业",
                "amount": "100.00",
                "received_on": "2019-03-01",
            },
        )
    ],
    ("POST", "/api/v1/allocations/"): [
        Case(
            Action.WRITE_LEDGER,
            data=lambda w, u: {
                "source": w.source.pk,
                "project": w.approved_project.pk,
                "amount": "10.00",
                "allocated_on": "2019-04-02",
            },
        )
    ],
    ("POST", "/api/v1/allocations/{id}/reverse/"): [Case(Action.WRITE_LEDGER, A, lambda w, u: {"reason": "录错"})],
    ("POST", "/api/v1/disbursements/"): [
        Case(
            Action.WRITE_LEDGER,
            data=lambda w, u: {
                "allocation": w.allocation.pk,
                "amount": "10.00",
                "paid_on": "2019-05-02",
                "voucher_no": "记-9",
            },
        )
    ],
    ("POST", "/api/v1/disbursements/{id}/reverse/"): [
        Case(Action.WRITE_LEDGER, ident("disbursement"), lambda w, u: {"reason": "录错"})
    ],
    ("POST", "/api/v1/applications/"): [
        Case(
            Action.SUBMIT_HOUSEHOLD_APPLICATION,
            data=lambda w, u: {
                "kind": "IDENTIFICATION",
                "year": APPLICATION_YEAR,
                "household": w.candidate.pk,
                "figures": {key: False for key in GUARANTEES},
                "reason": "民主评议通过",
            },
            label="识别",
        ),
        Case(
            Action.SUBMIT_VILLAGE_EXIT,
            data=lambda w, u: {
                "kind": "VILLAGE_EXIT",
                "year": APPLICATION_YEAR,
                "region": w.village.code,
                "reason": "达标",
            },
            label="村退出",
        ),
        Case(
            Action.SUBMIT_COUNTY_EXIT,
            data=lambda w, u: {
                "kind": "COUNTY_EXIT",
                "year": APPLICATION_YEAR,
                "region": w.county.code,
                "reason": "达标",
            },
            label="县摘帽",
        ),
    ],
    ("POST", "/api/v1/applications/{id}/submit/"): [Case(step_rule("draft", ApplicationAction.SUBMIT), ident("draft"))],
    ("POST", "/api/v1/applications/{id}/approve/"): [
        Case(step_rule("in_review", ApplicationAction.APPROVE), ident("in_review"), lambda w, u: {"confirm": True})
    ],
    ("POST", "/api/v1/applications/{id}/reject/"): [
        Case(
            step_rule("in_review", ApplicationAction.REJECT),
            ident("in_review"),
            lambda w, u: {"comment": "不符合", "confirm": True},
        )
    ],
    ("POST", "/api/v1/applications/{id}/send-back/"): [
        Case(step_rule("in_review", ApplicationAction.SEND_BACK), ident("in_review"), lambda w, u: {"comment": "补充"})
    ],
    ("POST", "/api/v1/applications/{id}/resubmit/"): [
        Case(step_rule("sent_back", ApplicationAction.RESUBMIT), ident("sent_back"), lambda w, u: {"reason": "已补充"})
    ],
    ("POST", "/api/v1/applications/{id}/withdraw/"): [
        Case(
            step_rule("sent_back", ApplicationAction.WITHDRAW),
            ident("sent_back"),
            lambda w, u: {"reason": "材料无法补齐", "confirm": True},
            label="退回修改",
        ),
        Case(
            step_rule("draft", ApplicationAction.WITHDRAW),
            ident("draft"),
            lambda w, u: {"reason": "误建草稿", "confirm": True},
            label="草稿",
        ),
    ],
    ("POST", "/api/v1/applications/{id}/objections/"): [
        Case(
            step_rule("in_publicity", ApplicationAction.OBJECT), ident("in_publicity"), lambda w, u: {"content": "异议"}
        )
    ],
    ("POST", "/api/v1/applications/{id}/resolve-objection/"): [
        Case(
            step_rule("in_publicity", ApplicationAction.RESOLVE),
            ident("in_publicity"),
            lambda w, u: {"objection": w.objection.pk, "outcome": "经核实不成立", "upheld": False},
        )
    ],
    ("POST", "/api/v1/applications/{id}/reopen/"): [
        Case(step_rule("approved", ApplicationAction.REOPEN), ident("approved"), lambda w, u: {"reason": "更正收入"})
    ],
    ("POST", "/api/v1/applications/{id}/relock/"): [
        Case(step_rule("reopened", ApplicationAction.RELOCK), ident("reopened"), lambda w, u: {"reason": "已更正"})
    ],
    ("POST", "/api/v1/applications/batch-approve/"): [
        Case(
            step_rule("exit_in_review", ApplicationAction.APPROVE),
            data=lambda w, u: {"applications": [w.exit_in_review.pk], "confirm": True},
        )
    ],
    ("POST", "/api/v1/sample-surveys/"): [
        Case(
            Action.RECORD_ASSESSMENT_DATA,
            data=lambda w, u: {
                "county": w.county.code,
                "year": 2019,
                "quarter": 1,
                "sampled_exited_population": 10,
                "wrong_exit_population": 0,
                "sampled_unregistered_population": 10,
                "omitted_population": 0,
                "surveyed_households": 10,
                "approving_households": 10,
                "data_fraud": False,
            },
        )
    ],
    ("POST", "/api/v1/aid-units/"): [
        Case(Action.MANAGE_AID_UNIT, data=lambda w, u: {"name": "东西部协作单位", "unit_type": "6", "level": "2"})
    ],
    ("PATCH", "/api/v1/aid-units/{id}/"): [
        Case(
            Action.MANAGE_AID_UNIT,
            ident("aid_unit"),
            lambda w, u: {"name": "县农业农村局（更名）", "unit_type": "1", "level": "3"},
        )
    ],
    ("POST", "/api/v1/aid-units/{id}/assign/"): [
        Case(
            Action.MANAGE_AID_UNIT,
            ident("aid_unit"),
            lambda w, u: {"region": w.county.code, "start_date": TODAY.isoformat()},
        )
    ],
    ("POST", "/api/v1/unit-assignments/{id}/end/"): [
        Case(Action.MANAGE_AID_UNIT, ident("unit_assignment"), lambda w, u: {"end_date": TODAY.isoformat()})
    ],
    ("POST", "/api/v1/village-teams/"): [
        Case(
            Action.MANAGE_VILLAGE_TEAM,
            data=lambda w, u: {"village": w.teamless_village.code, "start_date": TODAY.isoformat()},
        )
    ],
    ("POST", "/api/v1/village-teams/{id}/members/"): [
        Case(
            Action.MANAGE_VILLAGE_TEAM,
            ident("village_team"),
            lambda w, u: {"name": "王队员", "unit": "县农业农村局", "role": "3", "start_date": TODAY.isoformat()},
        )
    ],
    ("POST", "/api/v1/village-teams/{id}/end/"): [
        Case(Action.MANAGE_VILLAGE_TEAM, ident("village_team"), lambda w, u: {"end_date": TODAY.isoformat()})
    ],
    ("POST", "/api/v1/team-members/{id}/replace/"): [
        Case(
            Action.MANAGE_VILLAGE_TEAM,
            ident("team_member"),
            lambda w, u: {
                "name": "李书记",
                "unit": "省财政厅",
                "start_date": TODAY.isoformat(),
                "reason": "调回原单位",
            },
        )
    ],
    ("POST", "/api/v1/team-members/{id}/end/"): [
        Case(
            Action.MANAGE_VILLAGE_TEAM,
            ident("team_member"),
            lambda w, u: {"end_date": TODAY.isoformat(), "reason": "召回"},
        )
    ],
    ("POST", "/api/v1/visits/"): [
        Case(
            Action.RECORD_VISIT,
            data=lambda w, u: {"household": w.household.pk, "visited_on": TODAY.isoformat(), "findings": "入户走访"},
        )
    ],
    # A visit is corrected by its recorder only (assistance/visits.py correct_visit): the world's clerk.
    ("PATCH", "/api/v1/visits/{id}/"): [
        Case(
            lambda w, u: u == w.users["clerk"],
            ident("visit"),
            lambda w, u: {"findings": "更正", "reason": "录入有误"},
        )
    ],
    # 站内消息: everyone marks their own read; another's id is ignored, never an error.
    ("POST", "/api/v1/notifications/read/"): [
        Case(READ, data=lambda w, u: {"ids": [w.notifications["clerk"].pk]}, visible=anyone)
    ],
    ("POST", "/api/v1/exports/"): [
        Case(
            Action.EXPORT,
            data=lambda w, u: {"report": "households", "region": own_region(u)},
            label="导出",
            visible=anyone,
        ),
        Case(
            Action.EXPORT_PERSONAL_DATA,
            data=lambda w, u: {"report": "members", "region": own_region(u), "full": True},
            label="完整导出",
            visible=anyone,
        ),
    ],
}
# Reads: every role in scope reads (404 outside); the objects named in their URLs.
API_READS: dict[str, Callable | None] = {
    "/api/v1/adjustments/": None,
    "/api/v1/visits/": None,
    "/api/v1/visits/{id}/": ident("visit"),
    "/api/v1/visits/{id}/attachment/": ident("visit"),
    "/api/v1/not-visited-households/": None,
    "/api/v1/aid-units/": None,
    "/api/v1/aid-units/{id}/": ident("aid_unit"),
    "/api/v1/unit-assignments/": None,
    "/api/v1/unit-assignments/{id}/": ident("unit_assignment"),
    "/api/v1/village-teams/": None,
    "/api/v1/village-teams/{id}/": ident("village_team"),
    "/api/v1/team-members/": None,
    "/api/v1/team-members/{id}/": ident("team_member"),
    "/api/v1/adjustments/{id}/": ident("adjustment"),
    "/api/v1/aid-measures/": None,
    "/api/v1/aid-measures/{id}/": ident("aid_measure"),
    "/api/v1/allocations/": None,
    "/api/v1/allocations/{id}/": A,
    "/api/v1/applications/": None,
    "/api/v1/applications/{id}/": ident("in_review"),
    "/api/v1/applications/{id}/objections/": ident("in_publicity"),
    "/api/v1/county-ratings/": None,
    "/api/v1/disbursements/": None,
    "/api/v1/disbursements/{id}/": ident("disbursement"),
    "/api/v1/exports/": None,
    "/api/v1/notifications/": None,
    "/api/v1/notifications/{id}/": own("notifications"),
    "/api/v1/exports/{id}/": own("exports"),
    "/api/v1/exports/{id}/download/": own("exports"),
    "/api/v1/fund-sources/": None,
    "/api/v1/fund-sources/{id}/": ident("source"),
    "/api/v1/helpers/": None,
    "/api/v1/helpers/{id}/": ident("helper"),
    "/api/v1/pairings/": None,
    "/api/v1/pairings/{id}/": ident("pairing"),
    "/api/v1/pairing-coverage/": None,
    "/api/v1/households/": None,
    "/api/v1/households/{id}/": H,
    "/api/v1/households/{id}/incomes/": H,
    "/api/v1/imports/": None,
    "/api/v1/imports/{id}/": own("imports"),
    "/api/v1/incidence-rates/": None,
    "/api/v1/department-lists/": None,
    "/api/v1/department-lists/{id}/": ident("department_list"),
    "/api/v1/monitoring-leads/": None,
    "/api/v1/monitoring-leads/{id}/": ident("lead"),
    "/api/v1/monitoring-lines/": None,
    "/api/v1/monitoring-lines/{id}/": ident("monitoring_line"),
    "/api/v1/monitoring-objects/": None,
    "/api/v1/monitoring-objects/{id}/": ident("monitoring_object"),
    "/api/v1/monitoring-measures/": None,
    "/api/v1/monitoring-measures/{id}/": ident("monitoring_measure"),
    "/api/v1/monitoring-statistics/": None,
    "/api/v1/notices/": None,
    "/api/v1/notices/{id}/": ident("notice"),
    "/api/v1/notices/{id}/objections/": ident("notice"),
    "/api/v1/projects/": None,
    "/api/v1/projects/{id}/": P,
    "/api/v1/projects/{id}/beneficiaries/": P,
    "/api/v1/regions/": None,
    "/api/v1/regions/{code}/": lambda w, u: w.village.code,
    "/api/v1/sample-surveys/": None,
}
# Reads of the county's ledger: a township clerk's scope holds none of it.
LEDGER_READS = {
    "/api/v1/allocations/{id}/",
    "/api/v1/disbursements/{id}/",
    "/api/v1/fund-sources/{id}/",
    "/api/v1/department-lists/{id}/",  # a department list is the county's too (monitoring/departments.py)
}
# Reads of a province's figures: every user of the province (the outsider's county is in it too).
PROVINCE_READS = {"/api/v1/monitoring-lines/{id}/"}
# Not a permission of the table: signing in (every active user, with their own password).
API_PUBLIC = {("POST", "/api/v1/auth/token/")}
# A job's file exists only once the worker wrote it: 404 until then, for its owner too.
NOT_WRITTEN_YET = {"/api/v1/exports/{id}/download/"}


def schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {(method.upper(), path) for path, operations in schema["paths"].items() for method in operations}


# --- HTML: every POST URL of the site ------------------------------------------------------------


def household_form(world, user, *, editing=False):
    data = {
        "village": world.village.code,
        "household_no": "",
        "group_name": "一组",
        "phone": "",
        "identification_standard": "1",
        "attribute": "1",
        "main_cause": "1",
        "identified_year": str(TODAY.year),
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        "members-0-name": "马成",
        "members-0-relation": "01",
        "members-0-id_number": make_id_number(),
        "members-0-ethnicity": "26",
        "members-0-health": ["01"],
        "members-0-work_months": "0",
    }
    if editing:
        members = list(world.household.members.filter(is_active=True).order_by("pk"))
        data.update({"identified_year": str(world.household.identified_year)})
        data.update(
            {"version": "1", "members-TOTAL_FORMS": str(len(members)), "members-INITIAL_FORMS": str(len(members))}
        )
        for index, member in enumerate(members):
            data.update(
                {
                    f"members-{index}-id": str(member.pk),
                    f"members-{index}-name": member.name,
                    f"members-{index}-relation": member.relation,
                    f"members-{index}-id_number": member.id_number,
                    f"members-{index}-ethnicity": "26",
                    f"members-{index}-health": ["01"],
                    f"members-{index}-work_months": "0",
                }
            )
    return data


def ledger(name: str, obj: str | None = None) -> Callable:
    """The kwargs of a ledger URL: the county, and the entry."""
    return lambda w, u: {"code": w.county.code, **({"pk": getattr(w, obj).pk} if obj else {})}


LEDGER_URLS = {"funds:source_new", "funds:allocation_new", "funds:disbursement_new"}  # the ledger of ?year=


@dataclass
class Page:
    """An HTML POST: how to build its URL kwargs (None: no object in the URL), and its case."""

    kwargs: Callable | None
    case: Case
    scoped: bool = True  # the URL names an object (or a region) of the world; False: only a kind


def pk(attr: str) -> Callable:
    return lambda w, u: {"pk": getattr(w, attr).pk}


def own_pk(kind: str) -> Callable:
    return lambda w, u: {"pk": own(kind)(w, u)}


INCOME_FORM = {
    "income-year": str(TODAY.year - 1),
    **{f"income-{item}": "0" for item in INCOME_ITEMS},
}
LEDGER_SOURCE = {
    "level": "1",
    "year": "2019",
    "document_no": "财农〔2019〕9号",
    "purpose": "产业",
    "amount": "100.00",
    "received_on": "2019-03-01",
}
# URL name (and the action of a shared action URL) → the POST, or READ when the page only reads.
HTML: dict[str, list[Page] | str] = {
    "home": READ,
    "exports": [
        Page(
            None,
            Case(
                Action.EXPORT, data=lambda w, u: {"report": "households", "region_code": own_region(u)}, visible=anyone
            ),
        ),
    ],
    "export_download": READ,
    # 站内消息: each user's own (another's notice is a 404); 全部标为已读 marks only one's own.
    "notifications": READ,
    # 操作手册: every signed-in user reads it (tests/fupin/test_manual.py checks each role's links).
    "help": READ,
    "notification_open": READ,
    "notifications_read_all": [Page(None, Case(READ, visible=anyone))],
    # 用户管理 (fupin/accounts.py): the world's second clerk is the account acted on.
    "users:list": READ,
    "users:detail": READ,
    "users:import_template": READ,
    "users:passwords": READ,
    "users:import": [
        Page(None, Case(Action.MANAGE_USERS, data=lambda w, u: {"file": account_sheet(w)}, visible=anyone))
    ],
    "users:import_confirm": [
        Page(None, Case(Action.MANAGE_USERS, data=lambda w, u: {"plan": account_plan(w, u)}, visible=anyone))
    ],
    "users:reset_password": [Page(pk("declarer"), Case(Action.MANAGE_USERS))],
    "users:set_active": [Page(pk("declarer"), Case(Action.MANAGE_USERS, data=lambda w, u: {"active": "0"}))],
    # Every user's own 修改密码 (Django's view, tests/fupin/test_user_management.py): like logout, not
    # walked here, since a changed password hash logs the client out of every later case.
    "users:password": "own",
    "users:password_changed": READ,
    "login": "public",
    "logout": "public",
    "regions:detail": READ,
    "households:list": READ,
    "households:create": [Page(None, Case(Action.REGISTER_HOUSEHOLD, data=household_form))],
    "households:member_row": READ,
    "households:id_check": READ,  # a POST that checks a typed number and stores nothing (issue 16)
    "households:import": [
        Page(None, Case(Action.IMPORT_COLLECTION_FORM, data=lambda w, u: {"file": w.upload()}, visible=anyone)),
        Page(
            None,
            Case(
                Action.LOAD_HISTORICAL_RECORDS,
                data=lambda w, u: {"file": w.upload(), "mode": ImportJob.Mode.HISTORICAL},
                visible=anyone,
                label="历史数据导入",
            ),
        ),
    ],
    "households:import_template": READ,
    "households:import_detail": READ,
    "households:import_commit": [
        Page(own_pk("imports"), Case(Action.IMPORT_COLLECTION_FORM)),
        Page(own_pk("historical_imports"), Case(Action.LOAD_HISTORICAL_RECORDS, label="历史数据导入")),
    ],
    "households:import_errors": READ,
    "households:detail": READ,
    "households:handbook": READ,  # the printed 扶贫手册
    "assistance:visits": READ,
    "assistance:not_visited": READ,
    "assistance:visit_detail": READ,
    "assistance:visit_attachment": READ,
    "assistance:visit_new": [
        Page(pk("household"), Case(Action.RECORD_VISIT, data=lambda w, u: {"visited_on": TODAY, "findings": "走访"}))
    ],
    # A visit is corrected by its recorder only (assistance/visits.py correct_visit): the world's clerk.
    "assistance:visit_edit": [
        Page(
            pk("visit"),
            Case(
                lambda w, u: u == w.users["clerk"],
                data=lambda w, u: {"visited_on": TODAY, "findings": "更正", "reason": "录入有误"},
            ),
        )
    ],
    "monitoring:list": READ,
    "monitoring:detail": READ,
    "monitoring:add_measure": [
        Page(
            pk("monitoring_object"),
            Case(
                Action.RECORD_MONITORING_MEASURE,
                data=lambda w, u: {
                    "measure-category": "02",
                    "measure-risk_type": "01",
                    "measure-description": "就业推荐",
                    "measure-started_on": TODAY.isoformat(),
                },
            ),
        )
    ],
    "monitoring:end_measure": [
        Page(
            pk("monitoring_object"),
            Case(
                Action.RECORD_MONITORING_MEASURE,
                data=lambda w, u: {"end-measure": str(w.monitoring_measure.pk), "end-ended_on": TODAY.isoformat()},
            ),
        )
    ],
    "monitoring:findings": [
        Page(
            pk("monitoring_object"),
            Case(
                Action.EDIT_MONITORING_FINDINGS,
                data=lambda w, u: {"findings-updated_at": record_version(w), "findings-risk_types": ["01"]},
            ),
        )
    ],
    "monitoring:dashboard": READ,
    "monitoring:dashboard_export": READ,  # a GET of the EXPORT action (tests/monitoring/test_exports.py)
    "households:edit": [
        Page(pk("household"), Case(Action.EDIT_HOUSEHOLD, data=lambda w, u: household_form(w, u, editing=True)))
    ],
    "households:adjust": [
        Page(
            pk("household"),
            Case(Action.EDIT_HOUSEHOLD, data=lambda w, u: {"kind": "REMOVED", "reason": "识别不精准"}, procedure=True),
        )
    ],
    "households:unmask": [Page(pk("household"), Case(Action.UNMASK_PERSONAL_DATA))],
    "households:income": [Page(pk("household"), Case(Action.RECORD_INCOME, data=lambda w, u: INCOME_FORM))],
    "households:aid_measure": [
        Page(
            pk("household"),
            Case(
                Action.RECORD_AID_MEASURE,
                data=lambda w, u: {
                    "measure-category": "01",
                    "measure-year": "2019",
                    "measure-amount": "0",
                    "measure-description": "养殖",
                },
            ),
        )
    ],
    "assistance:pairing": READ,
    "assistance:coverage": READ,
    "assistance:helpers": READ,
    "assistance:helper_detail": READ,
    "assistance:pairing_village": [
        Page(
            lambda w, u: {"code": w.village.code},
            Case(
                Action.PAIR_HELPER,
                data=lambda w, u: {
                    "helper": w.helper.pk,
                    "start_date": TODAY.isoformat(),
                    "households": w.household.pk,
                },
            ),
        )
    ],
    "assistance:helper_move": [
        Page(
            pk("helper"),
            Case(
                Action.PAIR_HELPER,
                data=lambda w, u: {
                    "to_helper": w.helper2.pk,
                    "reason": "工作调动",
                    "date": TODAY.isoformat(),
                    "move_all": "on",
                },
            ),
        )
    ],
    "assistance:pairing_import": [Page(None, Case(Action.PAIR_HELPER, data=lambda w, u: {"file": pairing_upload(w)}))],
    "households:assign_helper": [
        Page(
            pk("household"),
            Case(
                Action.PAIR_HELPER,
                data=lambda w, u: {"helper-helper": str(w.helper.pk), "helper-start_date": TODAY.isoformat()},
            ),
        )
    ],
    "households:member_add": [
        Page(
            pk("household"),
            Case(
                Action.CHANGE_MEMBERS,
                data=lambda w, u: {
                    "add-name": "马小",
                    "add-relation": "03",
                    "add-id_number": make_id_number(),
                    "add-ethnicity": "26",
                    "add-health": ["01"],
                    "add-work_months": "0",
                    "add-member_reason": "NEWBORN",
                    "add-reason": "新生儿",
                },
            ),
        )
    ],
    "households:member_remove": [
        Page(
            pk("household"),
            Case(
                Action.CHANGE_MEMBERS,
                data=lambda w, u: {
                    "remove-member": str(w.member.pk),
                    "remove-member_reason": "DEATH",
                    "remove-reason": "死亡",
                },
            ),
        )
    ],
    "assessment:queue": READ,
    "assessment:batch_approve": [
        Page(
            None,
            Case(
                step_rule("exit_in_review", ApplicationAction.APPROVE),
                data=lambda w, u: {"applications": [str(w.exit_in_review.pk)], "confirm": "on"},
            ),
        )
    ],
    "assessment:new IDENTIFICATION": [
        Page(
            lambda w, u: {"kind": "IDENTIFICATION"},
            Case(
                Action.SUBMIT_HOUSEHOLD_APPLICATION,
                data=lambda w, u: {
                    "household": str(w.candidate.pk),
                    "year": str(APPLICATION_YEAR),
                    "reason": "评议通过",
                },
            ),
            scoped=False,
        )
    ],
    "assessment:monitoring_identify": [
        Page(
            None,
            Case(
                Action.START_MONITORING,
                data=lambda w, u: {
                    "household": str(w.exited.pk),
                    **{key: str(value) for key, value in VISIT.items() if key != "risk_types"},
                    "risk_types": ["01"],
                },
            ),
        )
    ],
    "assessment:risk_eliminate": [
        Page(
            pk("monitored"),
            Case(
                Action.REQUEST_RISK_ELIMINATION,
                data=lambda w, u: {
                    **{
                        key: ("1" if value else "0") if isinstance(value, bool) else str(value)
                        for key, value in ELIMINATION_VISIT.items()
                    },
                    "no_labour_capacity": "0",
                },
            ),
        )
    ],
    "assessment:detail": READ,
    "assessment:print_application": READ,  # the printed 审批表
    "assessment:print_publicity": READ,  # a village's printed 公示 list
    "assessment:dashboard": READ,
    "assessment:dashboard_region": READ,
    "assessment:statistics": READ,  # 统计分析 (tests/assessment/test_breakdowns.py)
    "assessment:statistics_export": READ,  # a GET of the EXPORT action (tests/assessment/test_breakdowns.py)
    "assessment:county_figures": [
        Page(
            lambda w, u: {"code": w.county.code},
            Case(
                Action.RECORD_ASSESSMENT_DATA,
                data=lambda w, u: {"plan": "1", "year": "2019", "planned_exit_population": "10"},
            ),
        )
    ],
    "funds:index": READ,
    "funds:county": READ,
    "funds:source_new": [
        Page(
            ledger("source"),
            Case(
                Action.WRITE_LEDGER, data=lambda w, u: {f"source-{key}": value for key, value in LEDGER_SOURCE.items()}
            ),
        )
    ],
    "funds:allocation_new": [
        Page(
            ledger("allocation"),
            Case(
                Action.WRITE_LEDGER,
                data=lambda w, u: {
                    "allocation-source": str(w.source.pk),
                    "allocation-project": str(w.approved_project.pk),
                    "allocation-amount": "10.00",
                    "allocation-allocated_on": "2019-04-02",
                },
            ),
        )
    ],
    "funds:allocation_reverse": [
        Page(ledger("reverse", "allocation"), Case(Action.WRITE_LEDGER, data=lambda w, u: {"reason": "录错"}))
    ],
    "funds:disbursement_new": [
        Page(
            ledger("disbursement"),
            Case(
                Action.WRITE_LEDGER,
                data=lambda w, u: {
                    "disbursement-allocation": str(w.allocation.pk),
                    "disbursement-amount": "10.00",
                    "disbursement-paid_on": "2019-05-02",
                    "disbursement-voucher_no": "记-9",
                },
            ),
        )
    ],
    "funds:disbursement_reverse": [
        Page(ledger("reverse", "disbursement"), Case(Action.WRITE_LEDGER, data=lambda w, u: {"reason": "录错"}))
    ],
    "projects:list": READ,
    "projects:new": [
        Page(
            None,
            Case(
                Action.DECLARE_PROJECT,
                data=lambda w, u: {
                    "name": "饮水工程",
                    "category": "02",
                    "year": str(TODAY.year),
                    "budget": "1000.00",
                    "implementing_unit": "水管站",
                    "content": "",
                    "performance_target": "",
                    "poverty_link": "",
                    "villages": [w.village.code],
                },
            ),
        )
    ],
    "projects:detail": READ,
    "projects:edit": [
        Page(
            pk("project"),
            Case(
                Action.DECLARE_PROJECT,
                data=lambda w, u: {
                    "name": "村道硬化（修订）",
                    "category": "02",
                    "year": str(TODAY.year),
                    "budget": "100000.00",
                    "implementing_unit": "镇政府",
                    "performance_target": "硬化5公里",
                    "villages": [w.village.code],
                },
            ),
        )
    ],
    "public:village_notices": "public",
    # 农户自主申报: anyone, without login (monitoring/leads.py bounds it).
    "report:index": "public",
    "report:village": "public",
    "monitoring:leads": READ,
    "monitoring:lead_detail": READ,
    "monitoring:lead_close": [Page(pk("lead"), Case(Action.HANDLE_LEAD, data=lambda w, u: {"reason": "已核实"}))],
    "monitoring:lead_phone": [Page(pk("lead"), Case(Action.HANDLE_LEAD))],
    "monitoring:department_lists": [
        Page(
            None,
            Case(
                Action.UPLOAD_DEPARTMENT_LIST,
                data=lambda w, u: {"file": w.upload(), "department": "YB", "risk_type": "01"},
                visible=anyone,
            ),
        )
    ],
    "monitoring:department_list_detail": READ,
    "monitoring:department_list_report": READ,
    # 帮扶单位, 定点帮扶 and 驻村工作队 (assistance/team_views.py).
    "assistance:units": READ,
    "assistance:unit_detail": READ,
    "assistance:unit_create": [
        Page(
            None,
            Case(
                Action.MANAGE_AID_UNIT,
                data=lambda w, u: {
                    "name": "东西部协作单位",
                    "unit_type": "6",
                    "level": "2",
                    "region_code": u.region_id or "",
                },
            ),
        )
    ],
    "assistance:unit_edit": [
        Page(
            pk("aid_unit"),
            Case(
                Action.MANAGE_AID_UNIT,
                data=lambda w, u: {"name": "县农业农村局（更名）", "unit_type": "1", "level": "3"},
            ),
        )
    ],
    "assistance:unit_assign": [
        Page(
            pk("aid_unit"),
            Case(
                Action.MANAGE_AID_UNIT,
                data=lambda w, u: {"region_code": w.county.code, "start_date": TODAY.isoformat()},
            ),
        )
    ],
    "assistance:assignment_end": [
        Page(
            pk("unit_assignment"),
            Case(Action.MANAGE_AID_UNIT, data=lambda w, u: {"end_date": TODAY.isoformat()}),
        )
    ],
    "assistance:teams": READ,
    "assistance:missing_teams": READ,
    "assistance:team_detail": READ,
    "assistance:team_create": [
        Page(
            None,
            Case(
                Action.MANAGE_VILLAGE_TEAM,
                data=lambda w, u: {"village_code": w.teamless_village.code, "start_date": TODAY.isoformat()},
            ),
        )
    ],
    "assistance:team_end": [
        Page(pk("village_team"), Case(Action.MANAGE_VILLAGE_TEAM, data=lambda w, u: {"end_date": TODAY.isoformat()}))
    ],
    "assistance:member_add": [
        Page(
            pk("village_team"),
            Case(
                Action.MANAGE_VILLAGE_TEAM,
                data=lambda w, u: {
                    "name": "王队员",
                    "unit": "县农业农村局",
                    "role": "3",
                    "start_date": TODAY.isoformat(),
                },
            ),
        )
    ],
    "assistance:member_replace": [
        Page(
            pk("team_member"),
            Case(
                Action.MANAGE_VILLAGE_TEAM,
                data=lambda w, u: {
                    "name": "李书记",
                    "unit": "省财政厅",
                    "start_date": TODAY.isoformat(),
                    "reason": "调回原单位",
                },
            ),
        )
    ],
    "assistance:member_end": [
        Page(
            pk("team_member"),
            Case(Action.MANAGE_VILLAGE_TEAM, data=lambda w, u: {"end_date": TODAY.isoformat(), "reason": "召回"}),
        )
    ],
    "assistance:roster_import": [
        Page(None, Case(Action.MANAGE_VILLAGE_TEAM, data=lambda w, u: {"file": roster_upload(w)}, visible=anyone))
    ],
    # Check names and ok/failed only, no data: docker-compose and the load balancer call it unauthenticated.
    "health": "public",
}
# The shared action URLs, one entry per action their views offer (a new action must be added here).
PROJECT_ACTIONS: dict[str, tuple[str, Case]] = {
    "advance": ("project", Case(advance_rule, data=lambda w, u: {"comment": "同意"})),
    "add-beneficiary": (
        "project",
        Case(Action.DECLARE_PROJECT, data=lambda w, u: {"household": str(w.candidate.pk), "planned_amount": "500.00"}),
    ),
    "remove-beneficiary": (
        "project",
        Case(Action.DECLARE_PROJECT, data=lambda w, u: {"beneficiary": str(w.beneficiary.pk)}),
    ),
    "notice": (
        "project",
        Case(
            Action.DECLARE_PROJECT,
            data=lambda w, u: {
                "kind": "PUBLICITY",
                "region": w.village.code,
                "title": "公示",
                "place": "村委会",
                "content": "内容",
                "start_date": TODAY.isoformat(),
            },
        ),
    ),
    "objection": (
        "approved_project",
        Case(
            Action.FILE_OBJECTION,
            data=lambda w, u: {"notice": str(w.notice.pk), "content": "异议", "received_on": TODAY.isoformat()},
        ),
    ),
    "resolve": (
        "approved_project",
        Case(Action.DECLARE_PROJECT, data=lambda w, u: {"objection": str(w.notice_objection.pk), "outcome": "已核实"}),
    ),
}
APPLICATION_ACTIONS: dict[str, tuple[str, Callable]] = {
    ApplicationAction.APPROVE: ("in_review", lambda w, u: {"comment": "同意", "confirm": "on"}),
    ApplicationAction.REJECT: ("in_review", lambda w, u: {"comment": "不符合", "confirm": "on"}),
    ApplicationAction.SEND_BACK: ("in_review", lambda w, u: {"comment": "补充"}),
    ApplicationAction.RESUBMIT: ("sent_back", lambda w, u: {"reason": "已补充"}),
    ApplicationAction.OBJECT: ("in_publicity", lambda w, u: {"content": "异议"}),
    ApplicationAction.RESOLVE: (
        "in_publicity",
        lambda w, u: {"objection": str(w.objection.pk), "outcome": "经核实不成立", "upheld": "0"},
    ),
    ApplicationAction.REOPEN: ("approved", lambda w, u: {"reason": "更正收入"}),
    ApplicationAction.RELOCK: ("reopened", lambda w, u: {"reason": "已更正"}),
    ApplicationAction.WITHDRAW: ("sent_back", lambda w, u: {"reason": "材料无法补齐", "confirm": "1"}),
}


def site_url_names() -> set[str]:
    """Every named URL of the site outside the API, the admin and the static files."""

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin" or str(pattern.pattern).startswith("api/"):
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name and not str(pattern.pattern).startswith("api/"):
                yield f"{namespace}{pattern.name}"

    return {name for name in walk(get_resolver().url_patterns) if name not in SKIPPED_URL_NAMES}


# The schema and the API browser are the API's own pages; the admin site is Django's.
SKIPPED_URL_NAMES = {"schema", "swagger-ui", "redoc"}


def html_pages() -> list[tuple[str, str, Page]]:
    """(label, URL name, page) for every POST of the site."""
    pages = []
    for name, entries in HTML.items():
        if isinstance(entries, str):
            continue
        for page in entries:
            label = f"{name} [{page.case.label}]" if page.case.label else name
            pages.append((label, name.split(" ")[0], page))
    for action, (attr, case) in PROJECT_ACTIONS.items():
        page = Page(lambda w, u, a=action, attr=attr: {"pk": getattr(w, attr).pk, "action": a}, case)
        pages.append((f"projects:action {action}", "projects:action", page))
    for action, (attr, data) in APPLICATION_ACTIONS.items():
        page = Page(
            lambda w, u, a=action, attr=attr: {"pk": getattr(w, attr).pk, "action": a},
            Case(step_rule(attr, action), data=data),
        )
        pages.append((f"assessment:action {action}", "assessment:action", page))
    return pages


# --- running a case ------------------------------------------------------------------------------


def outcome(response) -> str:
    """ "ok", or the status; an HTML page that redirects with an error message was refused ("400")."""
    status = response.status_code
    if status in (403, 404, 500):
        return str(status)
    if status >= 400:
        return "400"
    errors = [m for m in get_messages(response.wsgi_request) if m.level >= message_levels.ERROR]
    context = response.context or {}
    shown = [key for key in ("error_summary", "errors", "action_errors") if context.get(key)]
    return "400" if errors or shown else "ok"  # a page shown again with its errors refused the post


def why(response) -> str:
    """A refusal's reason, for the failure report."""
    try:
        return str(response.json())[:300]
    except (ValueError, TypeError, AttributeError):
        pass
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    context = response.context or {}
    form = context.get("form") or context.get("failed_form")
    errors = dict(form.errors) if form is not None and hasattr(form, "errors") else {}
    return f"{messages} {errors} {context.get('errors', '')} {context.get('action_errors', '')}"[:300]


def run(request, *args, **kwargs) -> str:
    """One request in a savepoint that is rolled back, so no case sees another's writes."""
    try:
        with transaction.atomic():
            try:
                response = request(*args, **kwargs)
                got = outcome(response)
                return got if got in ("ok", "403", "404") else f"{got} {why(response)}"
            finally:
                transaction.set_rollback(True)
    except Exception as error:
        return f"500 ({type(error).__name__}: {error})"


@pytest.fixture
def world(tmp_path):
    built = World()
    sheet = tmp_path / "采集表.xlsx"
    from tests.factories import write_collection_file

    write_collection_file(sheet, [], [])

    def upload():
        handle = sheet.open("rb")
        return handle

    built.upload = upload
    return built


def judge(failures: list, label: str, name: str, got: str, want: set[str]) -> None:
    if got.split(" ")[0] not in want:
        failures.append(f"{label} as {name}: got {got}, expected {' or '.join(sorted(want))}")


# --- the tests -----------------------------------------------------------------------------------


def test_every_operation_is_classified():
    """A new endpoint must be put in a table (its action, or READ); otherwise this fails."""
    operations = schema_operations()
    classified = set(API) | {("GET", path) for path in API_READS} | API_PUBLIC
    unclassified = sorted(operations - classified)
    assert not unclassified, f"unclassified operation(s): {unclassified}"
    assert not classified - operations, f"classified but gone: {sorted(classified - operations)}"
    names = {name.split(" ")[0] for name in HTML} | {"projects:action", "assessment:action"}
    assert not site_url_names() - names, f"unclassified URL(s): {sorted(site_url_names() - names)}"
    assert set(PROJECT_ACTIONS) == set(project_views.ACTIONS), "unclassified project action(s)"
    assert set(APPLICATION_ACTIONS) == set(assessment_views.ACTIONS), "unclassified application action(s)"


def test_every_api_operation_with_every_role(world):
    clients = {}
    for name, user in world.users.items():
        clients[name] = APIClient()
        clients[name].force_authenticate(user)
    failures, successes = [], {}
    for (method, path), cases in API.items():
        for case in cases:
            label = f"{method} {path}" + (f" [{case.label}]" if case.label else "")
            for name, user in world.users.items():
                url = path
                if case.obj is not None:
                    url = re.sub(r"\{\w+\}", str(case.obj(world, user)), path)
                want = expected(case, world, name)
                body = case.data(world, user)
                fmt = "multipart" if "file" in body else "json"
                got = run(getattr(clients[name], method.lower()), url, body, format=fmt, **case.headers)
                judge(failures, label, name, got, want)
                successes.setdefault(label, set()).add(got == "ok")
    for path, obj in API_READS.items():
        for name, user in world.users.items():
            url = re.sub(r"\{\w+\}", str(obj(world, user)), path) if obj else path
            visible = ledger_visible(world, user) if path in LEDGER_READS else name != "outsider"
            visible = visible or path in PROVINCE_READS
            want = {"404"} if obj and not visible else {"ok"}
            if path in NOT_WRITTEN_YET:
                want = {"404"}
            got = run(clients[name].get, url)
            judge(failures, f"GET {path}", name, got, want)
    never = sorted(label for label, results in successes.items() if True not in results and "清退" not in label)
    assert not (failures or never), "\n".join(
        [*failures, *(f"no role succeeded (the world is wrong): {label}" for label in never)]
    )


def test_every_html_post_with_every_role(world):
    clients = {}
    for name, user in world.users.items():
        clients[name] = Client()
        clients[name].force_login(user)
    failures, successes = [], {}
    for label, url_name, page in html_pages():
        for name, user in world.users.items():
            case = page.case
            if page.kwargs is not None and page.scoped:
                case = replace(case, obj=page.kwargs)
            url = reverse(url_name, kwargs=page.kwargs(world, user) if page.kwargs else None)
            if url_name in LEDGER_URLS:
                url += "?year=2019"  # the world's ledger year: its forms offer that year's entries
            want = expected(case, world, name)
            clients[name].cookies.pop("messages", None)  # only this request's messages judge it
            got = run(clients[name].post, url, case.data(world, user))
            judge(failures, f"POST {label}", name, got, want)
            successes.setdefault(label, set()).add(got == "ok")
    never = sorted(
        label for label, results in successes.items() if True not in results and label != "households:adjust"
    )
    assert not (failures or never), "\n".join(
        [*failures, *(f"no role succeeded (the world is wrong): {label}" for label in never)]
    )


def test_sign_in_is_every_active_user_s(world):
    """The one API operation outside the table: a token for one's own password."""
    client = APIClient()
    for name, user in world.users.items():
        response = client.post("/api/v1/auth/token/", {"username": user.username, "password": TEST_PASSWORD})
        assert response.status_code == 200, name
