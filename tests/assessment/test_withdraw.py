"""撤回: the submitter closes a draft or a sent-back application for good, with a reason on record."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from assessment import services
from assessment.models import Application
from households.codes import AdjustmentKind, HouseholdStatus, Relation
from households.models import AdjustmentRecord, Member
from households.services import register_household

from ..conftest import login
from ..factories import approved_application, household_with_members
from .conftest import GUARANTEES_MET

URL = "/api/v1/applications/"
REASON = "农户外出务工，收入证明一时无法补齐，先撤回"


def withdraw_over_api(api_client, user, application_id, **body):
    api_client.logout()
    login(api_client, user)
    return api_client.post(f"{URL}{application_id}/withdraw/", body, format="json")


def exit_application(people, household):
    """A household exit of the clerk, in review (村内公示 running)."""
    return services.draft_and_submit(
        user=people["clerk"],
        kind="HOUSEHOLD_EXIT",
        year=2019,
        household_id=household.pk,
        figures={**GUARANTEES_MET, "consent": True},
        reason="民主评议通过，农户认可",
    )


def returned_exit(people, household):
    """The clerk's household exit, sent back by the township reviewer (退回修改)."""
    application = exit_application(people, household)
    return services.send_back_application(user=people["clerk2"], application_id=application.pk, comment="缺农户签字")


@pytest.mark.django_db
def test_the_applicant_withdraws_a_returned_exit_over_the_api_and_may_apply_again(api_client, people, poor_household):
    application = returned_exit(people, poor_household)
    steps_before = list(application.steps.values_list("round", "index", "status"))

    response = withdraw_over_api(api_client, people["clerk"], application.pk, reason=REASON, confirm=True)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "WITHDRAWN"
    assert (body["withdrawn_by"], body["withdraw_reason"]) == (people["clerk"].username, REASON)
    assert body["withdrawn_at"] and body["decided_at"] == body["withdrawn_at"]
    assert body["available_actions"] == []
    assert (body["awaiting_role"], body["awaiting_since"]) == ("", None)
    # The steps keep the round as the reviewer left it: 退回修改 with its comment, the rest ended.
    assert list(application.steps.values_list("round", "index", "status")) == steps_before
    assert [step["comment"] for step in body["steps"] if step["status"] == "RETURNED"] == ["缺农户签字"]
    # An exit leaves the household as it was; the application leaves the applicant's queue.
    poor_household.refresh_from_db()
    assert poor_household.status == HouseholdStatus.POOR
    assert not AdjustmentRecord.objects.filter(household=poor_household).exclude(to_status="").exists()
    assert not services.available_actions(people["clerk"], Application.objects.get(pk=application.pk))

    # The target is free: a new exit of the same household may be drafted and submitted.
    response = api_client.post(
        URL,
        {
            "kind": "HOUSEHOLD_EXIT",
            "year": 2019,
            "household": poor_household.pk,
            "figures": {**GUARANTEES_MET, "consent": True},
            "reason": "已补农户签字",
            "submit": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "IN_REVIEW"
    assert Application.objects.filter(household=poor_household, kind="HOUSEHOLD_EXIT").count() == 2


@pytest.mark.django_db
def test_the_page_withdraws_a_returned_exit_after_confirmation_and_shows_it_in_the_timeline(
    client, people, poor_household
):
    application = returned_exit(people, poor_household)
    detail = reverse("assessment:detail", args=[application.pk])
    withdraw = reverse("assessment:action", args=[application.pk, "withdraw"])
    login(client, people["clerk"])
    page = client.get(detail).content.decode()
    assert f'action="{withdraw}"' in page and "撤回申请" in page
    assert 'id="withdrawal"' not in page

    response = client.post(withdraw, {"reason": REASON})
    assert response.status_code == 400
    assert "此操作办结后不可撤回，请勾选确认后再提交。" in response.content.decode()
    assert REASON in response.content.decode()  # what was typed is shown again
    assert Application.objects.get(pk=application.pk).status == "RETURNED"

    response = client.post(withdraw, {"reason": REASON, "confirm": "1"})
    assert response.status_code == 302
    page = client.get(detail).content.decode()
    assert "已撤回申请（已办结）" in page
    assert 'id="withdrawal"' in page and f"撤回理由：{REASON}" in page
    assert "data-application-status>已撤回</span>" in page
    # Final: neither the withdrawal nor the resubmission is offered any more.
    assert f'action="{withdraw}"' not in page
    assert reverse("assessment:action", args=[application.pk, "resubmit"]) not in page


@pytest.mark.django_db
def test_withdrawing_a_draft_identification_removes_the_candidate_so_the_person_registers_again(
    api_client, people, tree
):
    clerk = people["clerk"]
    candidate = household_with_members(tree["village_a"], size=2, status=HouseholdStatus.CANDIDATE)
    head_number = candidate.members.get(relation=Relation.HEAD).id_number
    login(api_client, clerk)
    response = api_client.post(
        URL,
        {"kind": "IDENTIFICATION", "year": 2019, "household": candidate.pk, "figures": GUARANTEES_MET},
        format="json",
    )
    assert response.status_code == 201, response.json()
    draft = response.json()
    assert draft["status"] == "DRAFT" and sorted(draft["available_actions"]) == ["submit", "withdraw"]

    response = withdraw_over_api(api_client, clerk, draft["id"], reason="误将他户登记为拟识别户", confirm=True)

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "WITHDRAWN"
    candidate.refresh_from_db()
    assert candidate.status == HouseholdStatus.REMOVED
    removal = AdjustmentRecord.objects.get(household=candidate, kind=AdjustmentKind.REMOVED)
    assert (removal.from_status, removal.to_status) == (HouseholdStatus.CANDIDATE, HouseholdStatus.REMOVED)
    assert "已由申请人撤回：误将他户登记为拟识别户" in removal.reason
    assert removal.effective_year == 2019
    assert not Member.objects.filter(household=candidate, is_active=True).exists()

    # The person may be registered again, and the new household identified.
    again = register_household(
        user=clerk,
        village_code=tree["village_a"].code,
        data={"attribute": "1", "main_cause": "1", "identified_year": 2019},
        members=[{"name": "马新", "relation": Relation.HEAD, "id_number": head_number}],
    )
    assert again.status == HouseholdStatus.CANDIDATE
    assert again.members.get().id_number == head_number
    application = services.draft_application(
        user=clerk, kind="IDENTIFICATION", year=2019, household_id=again.pk, figures=GUARANTEES_MET
    )
    assert application.status == "DRAFT"


@pytest.mark.django_db
def test_a_withdrawn_returned_identification_shows_its_reason_in_the_timeline(client, people, tree):
    candidate = household_with_members(tree["village_a"], size=2, status=HouseholdStatus.CANDIDATE)
    application = services.draft_and_submit(
        user=people["clerk"], kind="IDENTIFICATION", year=2019, household_id=candidate.pk, figures=GUARANTEES_MET
    )
    services.send_back_application(user=people["clerk2"], application_id=application.pk, comment="评议记录缺签字")
    services.withdraw_application(user=people["clerk"], application_id=application.pk, reason="该户已迁出本村")
    candidate.refresh_from_db()
    assert candidate.status == HouseholdStatus.REMOVED
    login(client, people["county"])
    page = client.get(reverse("assessment:detail", args=[application.pk])).content.decode()
    timeline = page[page.index('id="timeline"') : page.index("</ol>", page.index('id="timeline"'))]
    assert "评议记录缺签字" in timeline  # the step that sent it back
    assert "撤回理由：该户已迁出本村" in timeline  # then the withdrawal, last


@pytest.mark.django_db
def test_refusals_each_say_why_in_chinese_and_change_nothing(api_client, people, poor_household, tree):
    returned = returned_exit(people, poor_household)
    in_review = exit_application(people, household_with_members(tree["village_a"], size=3))
    approved = approved_application(household_with_members(tree["village_a"], size=3))
    valid = {"reason": REASON, "confirm": True}
    cases = [
        (people["clerk2"], returned, valid, "status", "只有申请人可以撤回该申请。"),
        (
            people["clerk"],
            in_review,
            valid,
            "status",
            "该申请审核中，不能撤回；须由审核人员退回修改后，申请人方可撤回。",
        ),
        (people["county"], approved, valid, "status", "该申请已办结（已批准），不能撤回。"),
        (people["clerk"], returned, {"reason": "  ", "confirm": True}, "reason", "请填写情况说明。"),
        (people["clerk"], returned, {"reason": REASON}, "confirm", "此操作办结后不可撤回，请勾选确认后再提交。"),
    ]
    for user, application, body, field, message in cases:
        before = Application.objects.filter(pk=application.pk).values("status", "withdrawn_at", "decided_at").get()
        response = withdraw_over_api(api_client, user, application.pk, **body)
        assert response.status_code == 400, (message, response.json())
        assert response.json()[field] == [message]
        after = Application.objects.filter(pk=application.pk).values("status", "withdrawn_at", "decided_at").get()
        assert after == before, message
    response = withdraw_over_api(api_client, people["clerk"], returned.pk, confirm=True)
    assert response.status_code == 400 and list(response.json()) == ["reason"]


@pytest.mark.django_db
def test_the_engine_refuses_the_same_moves_with_the_same_messages(people, poor_household):
    returned = returned_exit(people, poor_household)
    with pytest.raises(ValidationError) as error:
        services.withdraw_application(user=people["clerk2"], application_id=returned.pk, reason=REASON)
    assert error.value.message_dict == {"status": ["只有申请人可以撤回该申请。"]}
    with pytest.raises(ValidationError) as error:
        services.withdraw_application(user=people["clerk"], application_id=returned.pk, reason="")
    assert error.value.message_dict == {"reason": ["请填写情况说明。"]}
    services.withdraw_application(user=people["clerk"], application_id=returned.pk, reason=REASON)
    # Withdrawn is final: no second withdrawal, no resubmission.
    with pytest.raises(ValidationError) as error:
        services.withdraw_application(user=people["clerk"], application_id=returned.pk, reason=REASON)
    assert error.value.message_dict == {"status": ["该申请已办结（已撤回），不能撤回。"]}
    with pytest.raises(ValidationError):
        services.resubmit_application(user=people["clerk"], application_id=returned.pk)


@pytest.mark.django_db
def test_available_actions_list_withdraw_exactly_when_the_applicant_may(people, poor_household):
    clerk, clerk2, county = people["clerk"], people["clerk2"], people["county"]
    draft = services.draft_application(
        user=clerk,
        kind="HOUSEHOLD_EXIT",
        year=2019,
        household_id=poor_household.pk,
        figures={**GUARANTEES_MET, "consent": True},
    )
    everyone = [clerk, clerk2, county, people["city"], people["province"]]

    def who_may_withdraw():
        application = Application.objects.get(pk=draft.pk)
        return [user for user in everyone if "withdraw" in services.available_actions(user, application)]

    assert who_may_withdraw() == [clerk]  # a draft
    services.submit_application(user=clerk, application_id=draft.pk)
    assert who_may_withdraw() == []  # in review: the reviewer holds it
    services.send_back_application(user=clerk2, application_id=draft.pk, comment="缺农户签字")
    assert who_may_withdraw() == [clerk]  # sent back to the applicant
    assert services.available_actions(clerk, Application.objects.get(pk=draft.pk)) == {"resubmit", "withdraw"}
    services.withdraw_application(user=clerk, application_id=draft.pk, reason=REASON)
    assert who_may_withdraw() == []  # withdrawn: final
    approved = approved_application(household_with_members(poor_household.village, size=3))
    assert not any("withdraw" in services.available_actions(user, approved) for user in everyone)


@pytest.mark.django_db
def test_another_townships_application_is_not_found(client, api_client, people, poor_household):
    application = returned_exit(people, poor_household)
    outsider = people["clerk_b"]
    response = withdraw_over_api(api_client, outsider, application.pk, reason=REASON, confirm=True)
    assert response.status_code == 404
    login(client, outsider)
    response = client.post(
        reverse("assessment:action", args=[application.pk, "withdraw"]), {"reason": REASON, "confirm": "1"}
    )
    assert response.status_code == 404
    with pytest.raises(ValidationError) as error:
        services.withdraw_application(user=outsider, application_id=application.pk, reason=REASON)
    assert error.value.message_dict == {"application": ["未找到该申请，或不在您的管辖范围内。"]}
    assert Application.objects.get(pk=application.pk).status == "RETURNED"


@pytest.mark.django_db
def test_the_database_keeps_every_withdrawal_on_record(people, poor_household):
    """No withdrawal without its time and reason, and no withdrawal record on an application still open."""
    application = returned_exit(people, poor_household)
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=application.pk).update(status="WITHDRAWN")
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=application.pk).update(status="WITHDRAWN", withdrawn_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=application.pk).update(withdrawn_at=timezone.now(), withdraw_reason=REASON)
    assert Application.objects.get(pk=application.pk).status == "RETURNED"
