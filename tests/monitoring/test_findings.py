"""修改风险和核实情况 of an open record (docs/domain.md §12.10): rules, stale edits, history, page and API."""

from datetime import date
from decimal import Decimal

import pghistory.models
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from core.codes import Role
from core.errors import StaleEdit
from monitoring.codes import MonitoringStatus, RiskType
from monitoring.measures import add_measure
from monitoring.models import MonitoringObject
from monitoring.services import StaleRecord, apply_decision, start_identification, update_findings
from tests.conftest import login
from tests.factories import UserFactory

from .conftest import visit

pytestmark = pytest.mark.django_db
TODAY = date(2024, 3, 10)


@pytest.fixture
def record(clerk, exited):
    """识别中, 因病 and 因务工就业不稳, (30000 − 8000) / 4 = 5500 per person."""
    return start_identification(user=clerk, household_id=exited.pk, today=TODAY, **visit())


def findings(record, **overrides):
    return {
        "monitoring_object_id": record.pk,
        "expected_updated_at": record.updated_at,
        "risk_types": list(record.risk_types),
        "housing_unsafe": record.housing_unsafe,
        "child_out_of_school": record.child_out_of_school,
        "without_medical_insurance": record.without_medical_insurance,
        "water_unsafe": record.water_unsafe,
        "no_labour_capacity": record.no_labour_capacity,
        "note": record.note,
        **overrides,
    }


def test_the_findings_change_and_the_judged_figures_stay(clerk, record):
    updated = update_findings(
        user=clerk,
        **findings(
            record,
            risk_types=[RiskType.ILLNESS, RiskType.UNSAFE_HOUSING],
            housing_unsafe=True,
            no_labour_capacity=True,
            note="复核发现房屋为C级危房",
        ),
        reason="入户复核",
    )
    updated.refresh_from_db()
    assert updated.risk_types == ["01", "09"] and updated.housing_unsafe and updated.no_labour_capacity
    assert updated.note == "复核发现房屋为C级危房"
    assert (updated.income_12_months, updated.compliant_costs, updated.income_per_person) == (
        Decimal("30000.00"),
        Decimal("8000.00"),
        Decimal("5500.00"),
    )
    assert (updated.line_year, updated.line_amount, updated.category) == (2024, Decimal("7100.00"), "1")
    last = (
        pghistory.models.Events.objects.filter(pgh_model="monitoring.MonitoringObjectEvent", pgh_obj_id=record.pk)
        .order_by("pgh_id")
        .last()
    )
    assert last.pgh_context["reason"] == "修改风险和核实情况：入户复核"
    assert last.pgh_data["risk_types"] == ["01", "09"]


def test_a_risk_with_measures_cannot_be_removed(clerk, record):
    for _ in range(2):
        add_measure(
            user=clerk,
            monitoring_object_id=record.pk,
            category="02",
            risk_type=RiskType.UNSTABLE_WORK,
            description="就业推荐",
            started_on=date(2024, 3, 5),
            today=TODAY,
        )
    with pytest.raises(ValidationError) as refused:
        update_findings(user=clerk, **findings(record, risk_types=[RiskType.ILLNESS]))
    assert refused.value.message_dict["risk_types"] == ["风险“因务工就业不稳”（2项）已有帮扶措施，不能删除。"]
    # The risk without a measure may go.
    assert update_findings(user=clerk, **findings(record, risk_types=[RiskType.UNSTABLE_WORK])).risk_types == ["06"]


def test_the_risk_rules_of_identification_hold(clerk, record):
    with pytest.raises(ValidationError) as refused:
        update_findings(user=clerk, **findings(record, risk_types=[]))
    assert "至少" in refused.value.message_dict["risk_types"][0]
    six = ["01", "02", "03", "04", "05", "06"]
    with pytest.raises(ValidationError) as refused:
        update_findings(user=clerk, **findings(record, risk_types=six))
    assert refused.value.message_dict["risk_types"] == ["风险类型最多选5项。"]
    with pytest.raises(ValidationError) as refused:
        update_findings(user=clerk, **findings(record, note="说明\u202e"))
    assert "note" in refused.value.message_dict


def test_a_stale_edit_is_refused(clerk, county_user, record):
    first = findings(record, water_unsafe=True)
    update_findings(user=county_user, **findings(record, housing_unsafe=True))
    with pytest.raises(StaleRecord) as stale:
        update_findings(user=clerk, **first)
    assert isinstance(stale.value, StaleEdit) and "监测记录已被他人修改" in stale.value.message
    record.refresh_from_db()
    assert record.housing_unsafe and not record.water_unsafe


def test_a_closed_record_is_not_edited(clerk, record):
    apply_decision(monitoring_object_id=record.pk, to_status=MonitoringStatus.NOT_INCLUDED, on=TODAY, reason="未纳入")
    record.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        update_findings(user=clerk, **findings(record, water_unsafe=True))
    assert "未纳入" in refused.value.message_dict["status"][0]


def test_scope_first_then_role(outsider, record, village):
    with pytest.raises(Http404):
        update_findings(user=outsider, **findings(record))
    city = UserFactory(role=Role.CITY_REVIEWER, region=village.parent.parent)
    with pytest.raises(PermissionDenied):
        update_findings(user=city, **findings(record))


def test_the_page_edits_and_keeps_what_was_typed_on_a_refusal(client, clerk, record):
    login(client, clerk)
    page = client.get(reverse("monitoring:detail", args=[record.pk])).content.decode()
    assert 'id="findings-form"' in page
    url = reverse("monitoring:findings", args=[record.pk])
    posted = {
        "findings-updated_at": record.updated_at.isoformat(),
        "findings-risk_types": ["01", "02", "03", "04", "05", "07"],
        "findings-water_unsafe": "on",
        "findings-note": "饮水管道冬季冻裂",
    }
    refused = client.post(url, posted)
    page = refused.content.decode()
    assert refused.status_code == 400 and "风险类型最多选5项" in page and "饮水管道冬季冻裂" in page
    assert MonitoringObject.objects.get().water_unsafe is False
    posted["findings-risk_types"] = ["01", "11"]
    done = client.post(url, posted)
    assert done.status_code == 302
    record.refresh_from_db()
    assert record.risk_types == ["01", "11"] and record.water_unsafe and record.note == "饮水管道冬季冻裂"
    stale = client.post(url, {**posted, "findings-note": "再次修改"})  # the old updated_at
    page = stale.content.decode()
    assert stale.status_code == 400 and "监测记录已被他人修改" in page and "再次修改" in page
    record.refresh_from_db()
    assert record.note == "饮水管道冬季冻裂"


def test_the_api_patches_the_findings(api_client, clerk, outsider, record):
    api_client.force_authenticate(clerk)
    url = f"/api/v1/monitoring-objects/{record.pk}/"
    read = api_client.get(url).data
    patched = api_client.patch(
        url, {"updated_at": read["updated_at"], "without_medical_insurance": True, "reason": "医保核查"}, format="json"
    )
    assert patched.status_code == 200, patched.content
    assert patched.data["without_medical_insurance"] is True and patched.data["risk_types"] == ["01", "06"]
    assert patched.data["income_per_person"] == "5500.00"
    stale = api_client.patch(url, {"updated_at": read["updated_at"], "water_unsafe": True}, format="json")
    assert stale.status_code == 412 and "监测记录已被他人修改" in stale.data["detail"]
    assert api_client.patch(url, {"water_unsafe": True}, format="json").status_code == 400  # no updated_at
    refused = api_client.patch(url, {"updated_at": patched.data["updated_at"], "risk_types": []}, format="json")
    assert refused.status_code == 400 and "至少" in str(refused.data["risk_types"])
    api_client.force_authenticate(outsider)
    assert api_client.patch(url, {"updated_at": patched.data["updated_at"]}, format="json").status_code == 404
