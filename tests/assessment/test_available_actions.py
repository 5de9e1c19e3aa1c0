"""Who may act on an application: the page's buttons, the API's available_actions and the engine agree.

At every step of a household exit, for every role, each move is tried against the engine (and
rolled back); the page must offer exactly the moves it accepts and the API must list them.
"""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from assessment import services
from assessment.models import Application

from ..conftest import login
from .conftest import GUARANTEES_MET, elapse_publicity

# The moves of the page; "submit" exists only over the API (the page drafts and submits at once).
PAGE_ACTIONS = {"approve", "send_back", "reject", "resubmit", "object", "resolve", "reopen", "relock", "withdraw"}


class Accepted(Exception):
    """Raised inside the savepoint so that a move the engine accepted is undone."""


def engine_accepts(move) -> bool:
    try:
        with transaction.atomic():
            move()
            raise Accepted
    except Accepted:
        return True
    except (ValidationError, PermissionDenied):
        return False


def engine_actions(user, application: Application) -> set[str]:
    """Every move tried with valid input (a reason, an objection's outcome)."""
    pk = application.pk
    moves = {
        "submit": lambda: services.submit_application(user=user, application_id=pk),
        "resubmit": lambda: services.resubmit_application(user=user, application_id=pk),
        "approve": lambda: services.approve_step(user=user, application_id=pk, comment="同意"),
        "send_back": lambda: services.send_back_application(user=user, application_id=pk, comment="收入证明缺失"),
        "reject": lambda: services.reject_application(user=user, application_id=pk, comment="材料不全"),
        "object": lambda: services.file_objection(user=user, application_id=pk, content="该户有车辆"),
        "reopen": lambda: services.reopen_application(user=user, application_id=pk, reason="审计发现收入漏记"),
        "relock": lambda: services.relock_application(user=user, application_id=pk, reason="收入已更正"),
        "withdraw": lambda: services.withdraw_application(user=user, application_id=pk, reason="材料无法补齐"),
    }
    accepted = {action for action, move in moves.items() if engine_accepts(move)}
    open_objections = application.objections.filter(resolved_at__isnull=True)
    if any(
        engine_accepts(
            lambda objection=objection: services.resolve_objection(
                user=user, objection_id=objection.pk, outcome="经核实不属实", upheld=False
            )
        )
        for objection in open_objections
    ):
        accepted.add("resolve")
    return accepted


def page_actions(page: str, application: Application) -> set[str]:
    """The moves the detail page offers: an enabled 同意, and the forms posting to each action."""
    shown = {
        action
        for action in PAGE_ACTIONS - {"approve"}
        if f'"{reverse("assessment:action", args=[application.pk, action])}"' in page
    }
    if re.search(r'<button class="btn btn-primary" type="submit">同意</button>', page):
        shown.add("approve")
    return shown


def assert_everyone_agrees(client, api_client, people, application, expected: dict[str, set[str]]):
    application = Application.objects.get(pk=application.pk)
    for role, user in people.items():
        client.force_login(user)
        page = client.get(reverse("assessment:detail", args=[application.pk]))
        login(api_client, user)
        api = api_client.get(f"/api/v1/applications/{application.pk}/")
        if role in ("clerk_b", "other_county", "other_city"):
            assert (page.status_code, api.status_code) == (404, 404), role
            continue
        engine = engine_actions(user, application)
        assert set(api.json()["available_actions"]) == engine, role
        assert page_actions(page.content.decode(), application) == engine & PAGE_ACTIONS, role
        assert services.available_actions(user, application) == engine, role
        assert engine == expected.get(role, set()), role


@pytest.mark.django_db
def test_buttons_and_the_api_offer_exactly_what_the_engine_accepts_at_every_step(
    client, api_client, people, poor_household
):
    clerk, clerk2, county = people["clerk"], people["clerk2"], people["county"]
    application = services.draft_application(
        user=clerk,
        kind="HOUSEHOLD_EXIT",
        year=2019,
        household_id=poor_household.pk,
        figures={**GUARANTEES_MET, "consent": True},
        reason="民主评议通过",
    )
    assert_everyone_agrees(client, api_client, people, application, {"clerk": {"submit", "withdraw"}})

    services.submit_application(user=clerk, application_id=application.pk)
    # 村内公示 runs: anyone in scope may object; the township reviewer may only send it back or refuse yet.
    everyone_objects = {role: {"object"} for role in ("clerk", "clerk2", "county", "city", "province")}
    stops = {"send_back", "reject"}
    assert_everyone_agrees(client, api_client, people, application, {**everyone_objects, "clerk2": {"object", *stops}})

    objection = services.file_objection(user=clerk2, application_id=application.pk, content="该户有车辆")
    # Neither whoever recorded an objection as township clerk nor the applicant resolves it.
    resolvers = {role: {"object", "resolve"} for role in ("county", "city", "province")}
    expected = {**resolvers, "clerk": {"object"}, "clerk2": {"object", *stops}}
    assert_everyone_agrees(client, api_client, people, application, expected)

    elapse_publicity(application.pk)
    # The 公示 is over, but its objection blocks the approval until resolved.
    resolvers = {role: {"resolve"} for role in ("county", "city", "province")}
    assert_everyone_agrees(client, api_client, people, application, {**resolvers, "clerk2": stops})

    services.resolve_objection(user=county, objection_id=objection.pk, outcome="车辆为亲属所有", upheld=False)
    assert_everyone_agrees(client, api_client, people, application, {"clerk2": {"approve", *stops}})

    services.approve_step(user=clerk2, application_id=application.pk, comment="乡镇核实无误")
    assert_everyone_agrees(client, api_client, people, application, {"county": {"approve", *stops}})

    services.approve_step(user=county, application_id=application.pk, comment="同意退出")
    assert_everyone_agrees(client, api_client, people, application, {"county": {"reopen"}})

    services.reopen_application(user=county, application_id=application.pk, reason="审计发现收入漏记")
    assert_everyone_agrees(client, api_client, people, application, {"county": {"relock"}})

    services.relock_application(user=county, application_id=application.pk, reason="收入已更正")
    assert_everyone_agrees(client, api_client, people, application, {"county": {"reopen"}})


@pytest.mark.django_db
def test_a_move_without_its_button_is_refused_with_the_engines_reason(client, people, poor_household):
    application = services.draft_and_submit(
        user=people["clerk"],
        kind="HOUSEHOLD_EXIT",
        year=2019,
        household_id=poor_household.pk,
        figures={**GUARANTEES_MET, "consent": True},
    )
    login(client, people["clerk2"])
    page = client.get(reverse("assessment:detail", args=[application.pk])).content.decode()
    assert '<button class="btn btn-primary" type="submit" disabled>同意</button>' in page
    assert "公示期满" in page
    response = client.post(reverse("assessment:action", args=[application.pk, "approve"]), {})
    assert response.status_code == 400
    assert "公示期满后方可办理“乡镇审核”" in response.content.decode()


@pytest.mark.django_db
def test_a_sent_back_application_offers_only_its_resubmission_to_the_applicant(
    client, api_client, people, poor_household
):
    clerk, clerk2 = people["clerk"], people["clerk2"]
    application = services.draft_and_submit(
        user=clerk,
        kind="HOUSEHOLD_EXIT",
        year=2019,
        household_id=poor_household.pk,
        figures={**GUARANTEES_MET, "consent": True},
    )
    services.send_back_application(user=clerk2, application_id=application.pk, comment="缺农户签字材料")
    assert_everyone_agrees(client, api_client, people, application, {"clerk": {"resubmit", "withdraw"}})

    services.resubmit_application(user=clerk, application_id=application.pk, reason="已补签字")
    # A new round: its 公示 runs again, as in the first round.
    everyone_objects = {role: {"object"} for role in ("clerk", "clerk2", "county", "city", "province")}
    expected = {**everyone_objects, "clerk2": {"object", "send_back", "reject"}}
    assert_everyone_agrees(client, api_client, people, application, expected)
