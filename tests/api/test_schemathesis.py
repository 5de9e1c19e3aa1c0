"""The API answers as its OpenAPI schema says: every operation, three roles, generated input.

Schemathesis generates requests from the schema drf-spectacular builds and sends them through
the WSGI application with a role's token. Each response must not be a server error, and its
status code, content type and body must be ones the schema documents. Each request runs in a
savepoint that is rolled back, so every example meets the same small seeded dataset.

Generated input seldom gets past the services' rules, so besides the generated cases each
operation with a path id is also sent the id of a real object, and most writes also a valid
body (VALID_BODIES): their success answers are checked against the schema too.

The run is bounded (EXAMPLES per operation and role, derandomised) so it stays a test, not a
fuzzing campaign; set SCHEMATHESIS_EXAMPLES to run more.
"""

import json
import os
from collections import Counter
from datetime import date
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.authtoken.models import Token
from schemathesis.core.failures import FailureGroup

from assessment import services
from assessment.models import Application
from assistance.models import AidUnit, TeamMember, UnitAssignment, VillageTeam, Visit
from core.codes import Role
from core.models import ExportJob, Notification
from funds.models import Allocation
from households.models import ImportJob, IncomeRecord
from tests.factories import TEST_PASSWORD, UserFactory, household_with_members, make_id_number, populate, region
from villages.models import County

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "5"))
ROLES = {
    "township_clerk": (Role.TOWNSHIP_CLERK, "622926101000"),
    "county_reviewer": (Role.COUNTY_REVIEWER, "622926000000"),
    "province_staff": (Role.PROVINCE_STAFF, "620000000000"),
}
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance")
VILLAGE, TOWNSHIP, COUNTY = "622926101201", "622926101000", "622926000000"
GUARANTEES_MET = {key: True for key in ("food", "clothing", "education", "medical", "housing", "water")}


@pytest.fixture
def dataset(db):
    """A county with two townships: households with members, an application, a project, a fund."""
    region("620000000000", "甘肃省")
    region("622900000000", "临夏回族自治州")
    County.objects.create(region=region(COUNTY, "东乡族自治县"), is_poverty_county=True, is_west=True)
    township, village = region(TOWNSHIP, "锁南镇"), region(VILLAGE, "红柳村")
    household = populate(village, township)
    neighbour = household_with_members(village, size=4)
    household_with_members(region("622926102201", "河滩村"), size=2)
    users = {name: UserFactory(role=role, region=region(code)) for name, (role, code) in ROLES.items()}
    jobs = {}
    for name, user in users.items():
        jobs[name] = {
            "imports": ImportJob.objects.create(user=user, original_name="采集表.xlsx").pk,
            "exports": ExportJob.objects.create(user=user, report="households", params={"region": COUNTY}).pk,
            "notifications": Notification.objects.create(recipient=user, kind="REVIEW", title="消息", url="/").pk,
        }
    # populate() leaves a bare application row; the API needs one the engine made, in its 村内公示.
    Application.objects.all().delete()
    IncomeRecord.objects.filter(household=household).update(wage_income=15000)
    application = services.draft_application(
        user=users["township_clerk"],
        kind="HOUSEHOLD_EXIT",
        year=2019,
        household_id=household.pk,
        figures={**GUARANTEES_MET, "consent": True},
        reason="民主评议通过",
    )
    services.submit_application(user=users["township_clerk"], application_id=application.pk)
    beneficiary = household.project_benefits.get()
    project = beneficiary.project
    notice = project.notices.get()
    allocation = Allocation.objects.get(aid_measure__household=household)
    ids = {
        "households": household.pk,
        "aid-measures": household.aid_measures.get().pk,
        "helpers": household.helper_assignments.get().helper_id,
        "adjustments": household.adjustments.get().pk,
        "applications": application.pk,
        "projects": project.pk,
        "notices": notice.pk,
        "fund-sources": allocation.source_id,
        "allocations": allocation.pk,
        "disbursements": allocation.disbursements.get().pk,
        "regions": village.code,
        "aid-units": AidUnit.objects.get(region=township).pk,
        "unit-assignments": UnitAssignment.objects.get(region=village).pk,
        "village-teams": VillageTeam.objects.get(village=village).pk,
        "team-members": TeamMember.objects.get(team__village=village).pk,
        "visits": visit_with_scan(household, users["township_clerk"]).pk,
    }
    others = {
        "household_version": household.version,
        "neighbour": neighbour.pk,
        "neighbour_member": neighbour.members.order_by("id").last().pk,
        "beneficiary": beneficiary.pk,
        "notice_objection": notice.objections.get().pk,
    }
    return users, ids, jobs, others


def visit_with_scan(household, recorder) -> Visit:
    """A 帮扶日志 entry whose scan is in the private store (assistance/visits.py, core/attachments.py)."""
    name = f"{'0' * 31}1.png"
    Path(settings.PRIVATE_ATTACHMENT_DIR, name).write_bytes(b"\x89PNG\r\n\x1a\n")
    return Visit.objects.create(
        household=household,
        visited_on=date(2019, 3, 1),
        findings="入户走访",
        attachment=name,
        attachment_name="照片.png",
        attachment_type="image/png",
        recorded_by=recorder,
    )


def valid_bodies(ids: dict, others: dict, username: str) -> dict:
    """A request each write accepts from some role (the others answer 403 or 400)."""
    today = timezone.localdate().isoformat()
    member = {"name": "马成", "relation": "01", "id_number": make_id_number(birth=date(1970, 1, 2)), "ethnicity": "26"}
    return {
        "POST /api/v1/auth/token/": {"username": username, "password": TEST_PASSWORD},
        "POST /api/v1/households/": {
            "village": VILLAGE,
            "attribute": "1",
            "main_cause": "1",
            "identified_year": 2016,
            "members": [member],
        },
        "PATCH /api/v1/households/{id}/": {"group_name": "二组", "version": others["household_version"]},
        "PUT /api/v1/households/{id}/": {"group_name": "二组", "version": others["household_version"]},
        "POST /api/v1/households/search/": {"id_number": make_id_number()},
        "POST /api/v1/households/{id}/incomes/": {"year": 2020, "wage_income": "12000.00"},
        "POST /api/v1/aid-measures/": {
            "household": ids["households"],
            "category": "01",
            "year": 2019,
            "description": "养殖",
            "amount": "100.00",
        },
        "POST /api/v1/visits/": {"household": others["neighbour"], "visited_on": today, "findings": "入户走访"},
        "POST /api/v1/helpers/": {"name": "李四", "unit": "县扶贫办", "level": "3", "region": TOWNSHIP},
        "POST /api/v1/helpers/{id}/assign/": {"household": others["neighbour"], "start_date": "2019-02-01"},
        "POST /api/v1/adjustments/": {
            "kind": "MEMBER_DECREASE",
            "member": others["neighbour_member"],
            "member_reason": "DEATH",
            "reason": "病故",
            "effective_date": "2019-06-01",
        },
        "POST /api/v1/applications/": {
            "kind": "HOUSEHOLD_EXIT",
            "year": 2019,
            "household": others["neighbour"],
            "figures": {**GUARANTEES_MET, "consent": True},
            "reason": "民主评议通过",
        },
        "POST /api/v1/applications/{id}/objections/": {"content": "该户有车辆"},
        "POST /api/v1/applications/{id}/send-back/": {"comment": "请补充签字"},
        "POST /api/v1/projects/": {
            "name": "饮水工程",
            "category": "01",
            "year": 2019,
            "budget": "50000.00",
            "implementing_unit": "水务局",
            "villages": [VILLAGE],
        },
        "PATCH /api/v1/projects/{id}/": {"name": "村道硬化（二期）"},
        "POST /api/v1/projects/{id}/advance/": {"comment": "同意"},
        "POST /api/v1/projects/{id}/beneficiaries/": {"household": others["neighbour"], "planned_amount": "500.00"},
        "POST /api/v1/projects/{id}/remove-beneficiary/": {"beneficiary": others["beneficiary"]},
        "POST /api/v1/notices/": {
            "project": ids["projects"],
            "region": VILLAGE,
            "title": "项目公示",
            "content": "饮水工程",
            "place": "村委会",
            "start_date": today,
        },
        "POST /api/v1/notices/{id}/objections/": {"content": "受益户有误", "received_on": "2019-03-05"},
        "POST /api/v1/notices/{id}/resolve-objection/": {"objection": others["notice_objection"], "outcome": "已核实"},
        "POST /api/v1/fund-sources/": {
            "county": COUNTY,
            "level": "1",
            "year": 2019,
            "document_no": "财农〔2019〕9号",
            "purpose": "产业",
            "amount": "500.00",
            "received_on": "2019-03-01",
        },
        "POST /api/v1/allocations/": {
            "source": ids["fund-sources"],
            "aid_measure": ids["aid-measures"],
            "amount": "100.00",
            "allocated_on": "2019-04-02",
        },
        "POST /api/v1/disbursements/": {
            "allocation": ids["allocations"],
            "amount": "50.00",
            "paid_on": "2019-05-02",
            "voucher_no": "记-2",
        },
        "POST /api/v1/disbursements/{id}/reverse/": {"reason": "错录", "on": "2019-06-01"},
        "POST /api/v1/sample-surveys/": {
            "county": COUNTY,
            "year": 2019,
            "quarter": 1,
            "sampled_exited_population": 10,
            "wrong_exit_population": 0,
            "sampled_unregistered_population": 10,
            "omitted_population": 0,
            "surveyed_households": 5,
            "approving_households": 5,
        },
        "POST /api/v1/exports/": {"report": "households", "region": VILLAGE},
        "POST /api/v1/notifications/read/": {},
        "POST /api/v1/aid-units/": {"name": "县农业农村局", "unit_type": "1", "level": "3"},
        "POST /api/v1/village-teams/": {"village": "622926102201", "start_date": today},
        "POST /api/v1/village-teams/{id}/members/": {
            "name": "王队员",
            "unit": "县农业农村局",
            "role": "3",
            "start_date": today,
        },
        "POST /api/v1/team-members/{id}/replace/": {
            "name": "李书记",
            "unit": "省财政厅",
            "start_date": today,
            "reason": "调回",
        },
    }


@pytest.fixture
def wsgi_app():
    """The real WSGI handler, minus its connection recycling (as Django's test client does):
    the test's transaction must survive each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def api_schema() -> dict:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


def aimed_at(operation, ids: dict) -> dict:
    """The path parameter of a real object of the dataset, when the operation has one."""
    resource = operation.path.removeprefix("/api/v1/").split("/")[0]
    names = [parameter.name for parameter in operation.path_parameters]
    return {"path_parameters": {names[0]: ids[resource]}} if names and resource in ids else {}


def run_operation(operation, ids: dict, bodies: dict, token: str, failures: list, calls: list) -> None:
    """EXAMPLES generated cases; half as many aimed at a real object, and as many invalid ones
    (against the schema) where there is a body or a query; then the valid request if there is one."""
    drive(operation.as_strategy(), EXAMPLES, token, failures, calls)
    known = aimed_at(operation, ids)
    if known:
        drive(operation.as_strategy(**known), max(1, EXAMPLES // 2), token, failures, calls)
    if len(operation.body) or len(operation.query):
        negative = operation.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE, **known)
        drive(negative, max(1, EXAMPLES // 2), token, failures, calls)
    if operation.label in bodies:
        body = bodies[operation.label]
        headers = {"If-Match": str(body["version"])} if "version" in body else None
        valid = operation.as_strategy(**known, body=body, headers=headers, media_type="application/json")
        drive(valid, 1, token, failures, calls)


def drive(strategy, examples: int, token: str, failures: list, calls: list) -> None:
    headers = {"Authorization": f"Token {token}"}
    checks = [getattr(schemathesis.checks, name) for name in CHECKS]

    @hypothesis.given(case=strategy)
    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    def exercise(case):
        response = None
        try:
            with transaction.atomic():
                response = case.call(headers=headers)
                transaction.set_rollback(True)
            calls.append((case.operation.label, response.status_code))
            case.validate_response(response, checks=checks)
        except (Exception, FailureGroup) as exc:  # collected, then reported together
            status = response.status_code if response is not None else "no response"
            failures.append(f"{case.operation.label} [{status}]: {describe(exc)}")

    exercise()


def describe(exc) -> str:
    if not isinstance(exc, FailureGroup):
        return f"{type(exc).__name__}: {str(exc)[:1500]}"
    return "; ".join(summary(failure.message) for failure in exc.exceptions)


def summary(message: str) -> str:
    """A violation in one line: what, where in the schema, the value."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    where = [line for line in lines if line.startswith("Schema at")]
    value = lines[lines.index("Value:") + 1] if "Value:" in lines[:-1] else ""
    return " ".join([lines[0], *where, value])[:600] if lines else ""


def test_every_operation_answers_as_the_schema_says(dataset, wsgi_app):
    users, ids, jobs, others = dataset
    schema = schemathesis.openapi.from_dict(api_schema())
    schema.app = wsgi_app
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: list[str] = []
    calls: list[tuple[str, int]] = []
    for name, user in users.items():
        token = Token.objects.create(user=user).key
        bodies = valid_bodies(ids, others, user.username)
        for operation in operations:
            run_operation(operation, {**ids, **jobs[name]}, bodies, token, failures, calls)
    answered = {label for label, _ in calls}
    succeeded = {label for label, code in calls if code < 300}
    print(f"{len(operations)} operations, {len(calls)} calls, {len(failures)} failures; by status:")
    print(sorted(Counter(code for _, code in calls).items()))
    print("never 2xx:", sorted(answered - succeeded))
    report = "\n\n".join(failures)
    assert not failures, f"{len(failures)} of {len(calls)} calls failed:\n\n{report}"
    assert answered == {operation.label for operation in operations}
