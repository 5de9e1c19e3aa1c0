"""干部排查: start_identification opens a 识别中 record (docs/domain.md §12.5, §12.6); its refusals and history."""

from datetime import date
from decimal import Decimal

import pghistory.models
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from households.codes import HouseholdStatus
from households.models import Household
from monitoring.codes import EliminationMode, MonitoringStatus, RiskType
from monitoring.models import MonitoringObject
from monitoring.services import apply_decision, start_identification
from tests.factories import household_with_members

from .conftest import visit

pytestmark = pytest.mark.django_db
TODAY = date(2024, 3, 10)


def start(user, household, **overrides):
    return start_identification(user=user, household_id=household.pk, today=TODAY, **visit(**overrides))


def test_a_clerk_opens_an_identification_with_the_figures_it_was_judged_on(clerk, exited):
    record = start(clerk, exited, housing_unsafe=True, no_labour_capacity=True)
    record.refresh_from_db()
    assert record.status == MonitoringStatus.IDENTIFYING and record.created_by == clerk
    assert record.category == "1" and record.risk_types == [RiskType.ILLNESS, RiskType.UNSTABLE_WORK]
    # (30000 − 8000) / 4 members = 5500.00, against Gansu's 2024 line 7100 (seeded, unverified).
    assert (record.member_count, record.income_per_person) == (4, Decimal("5500.00"))
    assert (record.line_year, record.line_amount, record.line_verified) == (2024, Decimal("7100.00"), False)
    assert record.consent_signed and record.consent_signed_on == date(2024, 3, 2)
    assert record.housing_unsafe and record.no_labour_capacity and not record.water_unsafe
    exited.refresh_from_db()
    assert exited.monitoring_category == "1" and exited.version == 2  # set in the same transaction


def test_an_ordinary_household_enters_as_marginal_and_either_as_sudden_hardship(clerk, exited, ordinary):
    assert start(clerk, ordinary, category="2").category == "2"
    assert start(clerk, exited, category="3").category == "3"


def test_a_household_outside_the_scope_is_not_found(outsider, exited):
    with pytest.raises(Http404):
        start(outsider, exited)
    assert not MonitoringObject.objects.exists()


def test_a_county_reviewer_may_not_start_one(county_user, exited):
    with pytest.raises(PermissionDenied) as refused:
        start(county_user, exited)
    assert "乡镇" in str(refused.value)


def test_one_open_record_per_household(clerk, exited):
    start(clerk, exited)
    with pytest.raises(ValidationError) as refused:
        start(clerk, exited, category="3")
    assert "已有识别中或监测中" in refused.value.message_dict["household"][0]


def test_the_database_holds_one_open_record_too(clerk, exited):
    first = start(clerk, exited)
    second = MonitoringObject(**{f.attname: getattr(first, f.attname) for f in MonitoringObject._meta.concrete_fields})
    second.pk = None
    with pytest.raises(IntegrityError, match="monitoring_one_open_record"), transaction.atomic():
        second.save()
    # A closed record stays as history; a new episode may then open.
    MonitoringObject.objects.filter(pk=first.pk).update(
        status=MonitoringStatus.NOT_INCLUDED, closed_on=first.discovered_on
    )
    second.save()


def test_more_than_five_risks_are_refused(clerk, exited):
    six = [RiskType.ILLNESS, RiskType.DISABILITY, RiskType.EDUCATION, RiskType.ACCIDENT, RiskType.DISASTER, "99"]
    with pytest.raises(ValidationError) as refused:
        start(clerk, exited, risk_types=six)
    assert refused.value.message_dict["risk_types"] == ["风险类型最多选5项。"]
    with pytest.raises(ValidationError) as refused:
        start(clerk, exited, risk_types=[])
    assert "至少" in refused.value.message_dict["risk_types"][0]
    assert start(clerk, exited, risk_types=six[:5]).risk_types == six[:5]


@pytest.mark.parametrize(
    ("status", "category"),
    [
        (HouseholdStatus.ORDINARY, "1"),  # 脱贫不稳定户 needs an exited household
        (HouseholdStatus.POOR, "1"),
        (HouseholdStatus.EXITED, "2"),  # 边缘易致贫户 needs an ordinary one
        (HouseholdStatus.CANDIDATE, "2"),
        (HouseholdStatus.POOR, "3"),  # 突发严重困难户: exited or ordinary
    ],
)
def test_the_category_must_fit_the_household(clerk, village, status, category):
    household = household_with_members(village, status=status)
    with pytest.raises(ValidationError) as refused:
        start(clerk, household, category=category)
    assert HouseholdStatus(status).label in refused.value.message_dict["category"][0]


def test_the_consent_is_required(clerk, exited):
    with pytest.raises(ValidationError) as refused:
        start(clerk, exited, consent_signed_on=None)
    assert "承诺授权书" in refused.value.message_dict["consent_signed_on"][0]
    with pytest.raises(ValidationError) as refused:
        start(clerk, exited, consent_signed_on=date(2024, 2, 1))  # before the discovery
    assert "consent_signed_on" in refused.value.message_dict


def test_a_future_discovery_is_refused(clerk, exited):
    with pytest.raises(ValidationError) as refused:
        start(clerk, exited, discovered_on=date(2024, 4, 1), consent_signed_on=date(2024, 4, 1))
    assert "discovered_on" in refused.value.message_dict


def test_history_is_kept_with_the_reason(clerk, exited):
    record = start(clerk, exited)
    apply_decision(monitoring_object_id=record.pk, to_status=MonitoringStatus.MONITORED, on=TODAY, reason="县级审定")
    events = pghistory.models.Events.objects.filter(pgh_model="monitoring.MonitoringObjectEvent").order_by("pgh_id")
    assert [event.pgh_data["status"] for event in events] == ["IDENTIFYING", "MONITORED"]
    reasons = [(event.pgh_context or {}).get("reason") for event in events]
    assert reasons == ["干部排查：入户核实，发起监测识别", "县级审定"]
    household_events = pghistory.models.Events.objects.filter(
        pgh_model="households.HouseholdEvent", pgh_obj_id=exited.pk
    ).order_by("pgh_id")
    assert household_events.last().pgh_data["monitoring_category"] == "1"


def test_decisions_move_the_status_and_the_household_category(clerk, exited):
    record = start(clerk, exited)
    with pytest.raises(ValidationError):
        apply_decision(monitoring_object_id=record.pk, to_status=MonitoringStatus.ELIMINATED, on=TODAY, reason="x")
    record = apply_decision(
        monitoring_object_id=record.pk, to_status=MonitoringStatus.MONITORED, on=TODAY, reason="审定"
    )
    assert record.identified_on == TODAY
    with pytest.raises(ValidationError) as refused:
        apply_decision(monitoring_object_id=record.pk, to_status=MonitoringStatus.ELIMINATED, on=TODAY, reason="消除")
    assert "elimination_mode" in refused.value.message_dict
    record = apply_decision(
        monitoring_object_id=record.pk,
        to_status=MonitoringStatus.ELIMINATED,
        on=TODAY,
        elimination_mode=EliminationMode.AFTER_ASSISTANCE,
        reason="风险消除",
    )
    assert (record.status, record.eliminated_on) == (MonitoringStatus.ELIMINATED, TODAY)
    assert Household.objects.get(pk=exited.pk).monitoring_category == ""


def test_a_household_without_labour_capacity_is_never_eliminated(clerk, exited):
    record = start(clerk, exited, no_labour_capacity=True)
    apply_decision(monitoring_object_id=record.pk, to_status=MonitoringStatus.MONITORED, on=TODAY, reason="审定")
    with pytest.raises(ValidationError) as refused:
        apply_decision(
            monitoring_object_id=record.pk,
            to_status=MonitoringStatus.ELIMINATED,
            on=TODAY,
            elimination_mode=EliminationMode.NATURAL,
            reason="风险消除",
        )
    assert "无劳动能力" in refused.value.message_dict["status"][0]
