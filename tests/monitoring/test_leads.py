"""The township's queue of leads: scope, roles, the masked phone and its audited reveal, the household
search, take_lead (for the identification workflow) and close_lead (docs/domain.md §12.11)."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from core.codes import Role
from core.models import AccessAudit
from monitoring import leads
from monitoring.codes import Department, DiscoveryWay, LeadStatus
from monitoring.models import MonitoringLead
from monitoring.services import start_identification
from tests.conftest import login
from tests.factories import UserFactory, household_with_members, region

from .conftest import visit

PHONE = "13912345678"


def self_report(village, **fields) -> MonitoringLead:
    return MonitoringLead.objects.create(
        way=DiscoveryWay.SELF_REPORT,
        village=village,
        reporter_name="马小红",
        reporter_phone=PHONE,
        description="父亲住院，花费较大。",
        **fields,
    )


def alert(household, **fields) -> MonitoringLead:
    return MonitoringLead.objects.create(
        way=DiscoveryWay.DEPARTMENT_ALERT,
        village_id=household.village_id,
        household=household,
        member=household.members.first(),
        department=Department.MEDICAL_INSURANCE,
        risk_type="01",
        **fields,
    )


def test_take_lead_links_the_record_and_refuses_a_second_time(village, clerk, exited):
    lead = self_report(village)
    record = start_identification(user=clerk, household_id=exited.pk, **visit(way=DiscoveryWay.SELF_REPORT))
    taken = leads.take_lead(user=clerk, lead_id=lead.pk, monitoring_object=record)
    assert (taken.status, taken.monitoring_object_id, taken.household_id) == (
        LeadStatus.IDENTIFYING,
        record.pk,
        exited.pk,
    )
    assert taken.handled_by == clerk and taken.handled_at is not None
    assert lead.events.last().pgh_context.metadata["reason"] == "农户自主申报：核实后发起识别"
    with pytest.raises(ValidationError) as error:
        leads.take_lead(user=clerk, lead_id=lead.pk, monitoring_object=record)
    assert "lead" in error.value.message_dict


def test_take_lead_refuses_another_village_or_another_household(village, other_village, clerk, exited):
    record = start_identification(user=clerk, household_id=exited.pk, **visit())
    elsewhere = self_report(other_village)
    with pytest.raises(Http404):  # the other township's lead is not in the clerk's scope
        leads.take_lead(user=clerk, lead_id=elsewhere.pk, monitoring_object=record)
    sibling = household_with_members(village, status="EXITED")
    foreign_alert = alert(sibling)
    with pytest.raises(ValidationError) as error:
        leads.take_lead(user=clerk, lead_id=foreign_alert.pk, monitoring_object=record)
    assert "另一户" in error.value.message_dict["household"][0]
    neighbour = region("622926101202", "邻村")
    with pytest.raises(ValidationError) as error:
        leads.take_lead(user=clerk, lead_id=self_report(neighbour).pk, monitoring_object=record)
    assert "不在该线索所在的村" in error.value.message_dict["household"][0]
    assert MonitoringLead.objects.filter(status=LeadStatus.NEW).count() == 3


def test_only_the_township_clerk_handles_leads(village, clerk, county_user, exited):
    lead = self_report(village)
    record = start_identification(user=clerk, household_id=exited.pk, **visit())
    for user in (county_user, UserFactory(role=Role.PROVINCE_STAFF, region=village.parent.parent.parent)):
        with pytest.raises(PermissionDenied):
            leads.take_lead(user=user, lead_id=lead.pk, monitoring_object=record)
        with pytest.raises(PermissionDenied):
            leads.close_lead(user=user, lead_id=lead.pk, reason="已核实")
        with pytest.raises(PermissionDenied):
            leads.reveal_phone(user=user, lead_id=lead.pk)


def test_close_lead_keeps_the_reason_and_closes_once(village, clerk):
    lead = self_report(village)
    with pytest.raises(ValidationError) as error:
        leads.close_lead(user=clerk, lead_id=lead.pk, reason="  ")
    assert "reason" in error.value.message_dict
    closed = leads.close_lead(user=clerk, lead_id=lead.pk, reason="入户核实：已享受低保，收入高于监测范围。")
    assert closed.status == LeadStatus.CLOSED and closed.handled_by == clerk
    with pytest.raises(ValidationError):
        leads.close_lead(user=clerk, lead_id=lead.pk, reason="再次")


def test_lead_pages_close_and_scope(client, village, clerk, outsider, county_user):
    lead = self_report(village)
    login(client, county_user)
    assert "核实后不纳入" not in client.get(f"/monitoring/leads/{lead.pk}/").content.decode().split("</dl>")[1]
    assert client.post(f"/monitoring/leads/{lead.pk}/close/", {"reason": "x"}).status_code == 403
    login(client, outsider)
    assert client.post(f"/monitoring/leads/{lead.pk}/close/", {"reason": "x"}).status_code == 404
    login(client, clerk)
    empty = client.post(f"/monitoring/leads/{lead.pk}/close/", {"reason": ""})
    assert empty.status_code == 400 and 'data-error-for="reason"' in empty.content.decode()
    done = client.post(f"/monitoring/leads/{lead.pk}/close/", {"reason": "经核实，家庭收入稳定。"}, follow=True)
    assert "核实后不纳入" in done.content.decode() and "经核实，家庭收入稳定。" in done.content.decode()
    assert "核实后不纳入" in client.get("/monitoring/leads/?status=CLOSED").content.decode()
    assert "马小红" not in client.get("/monitoring/leads/?status=NEW").content.decode()
    assert client.get("/monitoring/leads/?status=bogus&way=9").status_code == 200


def test_the_phone_is_masked_and_its_reveal_is_recorded(client, village, clerk, county_user):
    lead = self_report(village)
    login(client, clerk)
    page = client.get(f"/monitoring/leads/{lead.pk}/").content.decode()
    assert PHONE not in page and "139****5678" in page and "查看完整电话" in page
    assert client.get(f"/monitoring/leads/{lead.pk}/phone/").status_code == 405
    shown = client.post(f"/monitoring/leads/{lead.pk}/phone/")
    assert PHONE in shown.content.decode() and shown["Cache-Control"] == "no-store"
    audit = AccessAudit.objects.get(object_type="monitoring_lead", object_id=str(lead.pk))
    assert audit.user == clerk and audit.action == AccessAudit.Action.UNMASK
    assert "完整电话查看记录" in client.get(f"/monitoring/leads/{lead.pk}/").content.decode()
    login(client, county_user)
    page = client.get(f"/monitoring/leads/{lead.pk}/").content.decode()
    assert PHONE not in page and "查看完整电话" not in page
    assert client.post(f"/monitoring/leads/{lead.pk}/phone/").status_code == 403
    assert AccessAudit.objects.count() == 1


def test_the_clerk_finds_the_household_within_the_lead_s_village(client, village, other_village, clerk, exited):
    lead = self_report(village)
    household_with_members(other_village, status="EXITED")  # same head name 张三, another township
    login(client, clerk)
    page = client.get(f"/monitoring/leads/{lead.pk}/?q=张").content.decode()
    assert exited.household_no in page and page.count('<tr><td class="font-monospace">') == 1
    assert f"/assessment/monitoring/identify/?lead={lead.pk}&amp;household={exited.pk}" in page  # the workflow's form
    assert "本村没有找到匹配的农户" in client.get(f"/monitoring/leads/{lead.pk}/?q=李").content.decode()
    found = leads.lead_for_household(user=clerk, lead_id=lead.pk, household_id=exited.pk)
    assert found == (lead, exited)


def test_leads_api_is_scoped_and_closes(api_client, village, clerk, outsider, county_user):
    lead = self_report(village)
    api_client.force_authenticate(outsider)
    assert api_client.get("/api/v1/monitoring-leads/").json()["results"] == []
    assert api_client.get(f"/api/v1/monitoring-leads/{lead.pk}/").status_code == 404
    assert api_client.post(f"/api/v1/monitoring-leads/{lead.pk}/close/", {"reason": "x"}).status_code == 404
    api_client.force_authenticate(county_user)
    body = api_client.get(f"/api/v1/monitoring-leads/{lead.pk}/").json()
    assert body["reporter_phone"] == "139****5678" and body["reference"] == leads.reference_of(lead)
    assert api_client.post(f"/api/v1/monitoring-leads/{lead.pk}/close/", {"reason": "x"}).status_code == 403
    api_client.force_authenticate(clerk)
    assert [row["id"] for row in api_client.get("/api/v1/monitoring-leads/?status=NEW&way=1").json()["results"]] == [
        lead.pk
    ]
    assert api_client.get("/api/v1/monitoring-leads/?way=3").json()["results"] == []
    refused = api_client.post(f"/api/v1/monitoring-leads/{lead.pk}/close/", {"reason": ""}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()
    closed = api_client.post(f"/api/v1/monitoring-leads/{lead.pk}/close/", {"reason": "已核实"}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == LeadStatus.CLOSED


def test_the_queue_pages_fifty_at_a_time_keeping_the_filters(client, village, clerk):
    MonitoringLead.objects.bulk_create(
        [
            MonitoringLead(
                way=DiscoveryWay.SELF_REPORT,
                village=village,
                reporter_name=f"申报人{index:03d}",
                reporter_phone=PHONE,
                description="父亲住院，花费较大。",
            )
            for index in range(120)
        ]
    )
    self_report(village, status=LeadStatus.CLOSED, closed_reason="已核实")  # filtered out below
    login(client, clerk)
    first = client.get("/monitoring/leads/?status=NEW&way=1").content.decode()
    assert len(re.findall(r'href="/monitoring/leads/\d+/"', first)) == 50 and "共 120 条" in first
    assert "第1页，共3页" in first and "上一页" not in first
    assert 'href="?status=NEW&amp;way=1&amp;page=2">下一页' in first
    last = client.get("/monitoring/leads/?status=NEW&way=1&page=3").content.decode()
    assert len(re.findall(r'href="/monitoring/leads/\d+/"', last)) == 20 and "下一页" not in last
    assert 'href="?status=NEW&amp;way=1&amp;page=2">上一页' in last
    # A page out of range or not a number: the last or the first page, never an error.
    assert "第3页，共3页" in client.get("/monitoring/leads/?status=NEW&way=1&page=99").content.decode()
    assert "第1页，共3页" in client.get("/monitoring/leads/?status=NEW&way=1&page=x").content.decode()
    assert "共 121 条" in client.get("/monitoring/leads/").content.decode()


def test_a_lead_of_a_household_already_monitored_links_its_record_and_offers_no_identification(
    client, village, clerk, exited
):
    record = start_identification(user=clerk, household_id=exited.pk, **visit())
    lead = alert(exited)
    free = alert(household_with_members(village, size=2))
    flag = f"该户已在监测中（记录#{record.pk}）"
    login(client, clerk)
    queue = client.get("/monitoring/leads/").content.decode()
    assert queue.count(flag) == 1 and f'href="/monitoring/{record.pk}/"' in queue
    page = client.get(f"/monitoring/leads/{lead.pk}/").content.decode()
    assert flag in page and f'href="/monitoring/{record.pk}/"' in page
    assert "发起识别</a>" not in page and "核实后不纳入" in page  # closing it stays possible
    other = client.get(f"/monitoring/leads/{free.pk}/").content.decode()
    assert "该户已在监测中" not in other and "发起识别</a>" in other
    # A self-report: the found household that is monitored is flagged instead of offered.
    report_lead = self_report(village)
    found = client.get(f"/monitoring/leads/{report_lead.pk}/?q={exited.head_name}").content.decode()
    assert flag in found and f"household={exited.pk}" not in found
    # Once the record is closed, the lead is an ordinary one again.
    record.status, record.closed_on = "NOT_INCLUDED", record.discovered_on
    record.save()
    assert flag not in client.get(f"/monitoring/leads/{lead.pk}/").content.decode()
    assert flag not in client.get("/monitoring/leads/").content.decode()
