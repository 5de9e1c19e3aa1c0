"""The monitoring API and pages: scoped (404 outside), Chinese refusals; the household's category read-only."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from core.codes import Role
from monitoring.models import MonitoringObject
from monitoring.services import start_identification
from tests.conftest import login
from tests.factories import UserFactory, make_id_number, region

from .conftest import visit

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def body(household, **overrides):
    data = visit(discovered_on=today(), consent_signed_on=today(), **overrides)
    return {
        "household": household.pk,
        **{key: str(value) if not isinstance(value, list) else value for key, value in data.items()},
    }


@pytest.fixture
def record(clerk, exited):
    return start_identification(
        user=clerk, household_id=exited.pk, **visit(discovered_on=today(), consent_signed_on=today())
    )


START = "/api/v1/applications/monitoring-identification/"


def test_a_clerk_starts_an_identification_through_the_api(api_client, clerk, exited):
    api_client.force_authenticate(clerk)
    response = api_client.post(START, body(exited), format="json")
    assert response.status_code == 201, response.content
    assert response.data["kind"] == "MONITORING_IDENTIFICATION" and response.data["status"] == "IN_REVIEW"
    record = api_client.get(f"/api/v1/monitoring-objects/{response.data['monitoring_object']}/")
    assert record.data["status"] == "IDENTIFYING" and record.data["income_per_person"] == "5500.00"
    assert record.data["within_range"] is True and record.data["line_verified"] is False
    again = api_client.post(START, body(exited), format="json")
    assert again.status_code == 400 and "已有识别中或监测中" in str(again.data)


def test_a_record_opens_only_with_its_identification(api_client, clerk, exited):
    """No record without its procedure: the records' endpoint opens none (405), nothing is written."""
    api_client.force_authenticate(clerk)
    assert api_client.post("/api/v1/monitoring-objects/", body(exited), format="json").status_code == 405
    assert not MonitoringObject.objects.exists()


def test_the_api_refusals(api_client, clerk, county_user, outsider, exited):
    api_client.force_authenticate(clerk)
    no_consent = body(exited)
    del no_consent["consent_signed_on"]
    response = api_client.post(START, no_consent, format="json")
    assert response.status_code == 400 and "承诺授权书" in str(response.data)
    api_client.force_authenticate(county_user)
    assert api_client.post(START, body(exited), format="json").status_code == 403
    api_client.force_authenticate(outsider)
    assert api_client.post(START, body(exited), format="json").status_code == 404
    assert not MonitoringObject.objects.exists()


def test_reads_are_scoped_and_filtered(api_client, clerk, county_user, outsider, record):
    for user in (clerk, county_user):
        api_client.force_authenticate(user)
        listed = api_client.get("/api/v1/monitoring-objects/").data["results"]
        assert [row["id"] for row in listed] == [record.pk]
        assert api_client.get(f"/api/v1/monitoring-objects/{record.pk}/").status_code == 200
    for query, found in [
        ("status=IDENTIFYING", True),
        ("status=MONITORED", False),
        ("category=1", True),
        ("category=2", False),
        ("risk_type=01", True),
        ("risk_type=07", False),
        ("region=622926101", True),
        ("region=622921", False),
    ]:
        rows = api_client.get(f"/api/v1/monitoring-objects/?{query}").data["results"]
        assert bool(rows) is found, query
    assert api_client.get("/api/v1/monitoring-objects/?risk_type=zzzzzz").status_code == 400
    assert api_client.get("/api/v1/monitoring-objects/?region=62x").status_code == 400
    api_client.force_authenticate(outsider)
    assert api_client.get("/api/v1/monitoring-objects/").data["results"] == []
    assert api_client.get(f"/api/v1/monitoring-objects/{record.pk}/").status_code == 404


def test_monitoring_lines_are_the_users_province(api_client, clerk, outsider):
    api_client.force_authenticate(clerk)
    rows = api_client.get("/api/v1/monitoring-lines/?year=2024").data["results"]
    assert [(row["province"], row["year"], row["amount"], row["is_verified"]) for row in rows] == [
        ("620000000000", 2024, "7100.00", False)
    ]
    assert api_client.get("/api/v1/monitoring-lines/?year=99999").status_code == 400
    line_id = rows[0]["id"]
    api_client.force_authenticate(outsider)  # another Gansu county: the same province's lines
    assert api_client.get(f"/api/v1/monitoring-lines/{line_id}/").status_code == 200
    yunnan = UserFactory(role=Role.PROVINCE_STAFF, region=region("530000000000", "云南省"))
    api_client.force_authenticate(yunnan)
    assert api_client.get("/api/v1/monitoring-lines/").data["results"] == []
    assert api_client.get(f"/api/v1/monitoring-lines/{line_id}/").status_code == 404


def test_the_household_category_is_not_writable_on_the_household_api(api_client, clerk, exited, record):
    api_client.force_authenticate(clerk)
    exited.refresh_from_db()
    response = api_client.patch(
        f"/api/v1/households/{exited.pk}/",
        {"monitoring_category": "3", "group_name": "二组"},
        format="json",
        HTTP_IF_MATCH=f'"{exited.version}"',
    )
    assert response.status_code == 200, response.content
    assert response.data["monitoring_category"] == "1" and response.data["group_name"] == "二组"
    exited.refresh_from_db()
    assert exited.monitoring_category == "1"


def test_an_ordinary_household_registers_through_the_api(api_client, clerk, village):
    api_client.force_authenticate(clerk)
    member = {"name": "王强", "relation": "01", "id_number": make_id_number(), "ethnicity": "01"}
    response = api_client.post(
        "/api/v1/households/", {"village": village.code, "ordinary": True, "members": [member]}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.data["status"] == "ORDINARY" and response.data["identified_year"] is None
    refused = api_client.post(
        "/api/v1/households/",
        {"village": village.code, "ordinary": True, "attribute": "1", "members": [member]},
        format="json",
    )
    assert refused.status_code == 400 and "一般农户" in str(refused.data)


def test_the_township_page_lists_and_counts_its_records(client, clerk, outsider, record):
    login(client, clerk)
    page = client.get(reverse("monitoring:list")).content.decode()
    assert record.household.household_no in page and "识别中" in page and "脱贫不稳定户" in page
    assert client.get(reverse("monitoring:list") + "?risk_type=bogus").status_code == 200
    filtered = client.get(reverse("monitoring:list") + "?status=MONITORED").content.decode()
    assert record.household.household_no not in filtered.split("<tbody>")[-1]
    detail = client.get(reverse("monitoring:detail", args=[record.pk])).content.decode()
    assert "5500.00" in detail and "未核实" in detail and "因务工就业不稳" in detail
    household_page = client.get(reverse("households:detail", args=[record.household_id])).content.decode()
    assert "防返贫监测记录（1）" in household_page
    client.logout()
    login(client, outsider)
    assert record.household.household_no not in client.get(reverse("monitoring:list")).content.decode()
    assert client.get(reverse("monitoring:detail", args=[record.pk])).status_code == 404


def test_pages_need_a_login(client, record):
    assert client.get(reverse("monitoring:list")).status_code == 302
    assert client.get(reverse("monitoring:detail", args=[record.pk])).status_code == 302


def test_discovery_date_is_today_or_earlier(api_client, clerk, exited):
    api_client.force_authenticate(clerk)
    late = body(exited)
    late["discovered_on"] = late["consent_signed_on"] = str(date(today().year + 1, 1, 1))
    assert api_client.post(START, late, format="json").status_code == 400
