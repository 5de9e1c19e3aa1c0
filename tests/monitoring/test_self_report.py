"""农户自主申报: the public page per village, its challenge and limits, and the lead it leaves in the
township's queue (docs/domain.md §12.11)."""

import re
import time
from datetime import timedelta

import pytest
from django.core import signing
from django.core.cache import caches
from django.test import Client
from django.utils import timezone

from monitoring import leads
from monitoring.codes import DiscoveryWay, LeadStatus
from monitoring.models import MonitoringLead
from tests.conftest import login

PHONE = "13912345678"


def challenge_of(page: str) -> tuple[str, str]:
    """(token, answer) of the challenge a page shows, solved as a person would."""
    token = re.search(r'name="challenge" value="([^"]+)"', page).group(1)
    left, right = re.search(r"(\d+) 加 (\d+) 等于几", page).groups()
    return token, str(int(left) + int(right))


def report(client, village, address="10.0.0.1", **overrides):
    """GET the village's page, answer its challenge, POST a report; the response."""
    page = client.get(f"/report/{village.code}/").content.decode()
    token, answer = challenge_of(page)
    data = {
        "name": "马小红",
        "phone": PHONE,
        "description": "父亲脑梗住院，医药费自付三万多元，家里没有了收入。",
        "risk_type": "01",
        "challenge": token,
        "challenge_answer": answer,
        **overrides,
    }
    return client.post(f"/report/{village.code}/", data, REMOTE_ADDR=address)


def test_self_report_reaches_the_township_queue_and_nowhere_else(client, village, clerk, outsider, county_user):
    response = report(client, village)
    page = response.content.decode()
    assert response.status_code == 200 and "申报已提交" in page
    lead = MonitoringLead.objects.get()
    assert (lead.way, lead.status, lead.village_id) == (DiscoveryWay.SELF_REPORT, LeadStatus.NEW, village.code)
    assert lead.household_id is None and lead.monitoring_object_id is None  # a lead, never a record
    # The reference is keyed, not the lead's number.
    reference = leads.reference_of(lead)
    assert reference in page and f">{lead.pk}<" not in page
    assert re.fullmatch(r"SB\d{6}-[0-9A-F]{5}-[0-9A-F]{5}", reference)

    login(client, clerk)
    queue = client.get("/monitoring/leads/").content.decode()
    assert "马小红" in queue and "待核实 1" in queue
    detail = client.get(f"/monitoring/leads/{lead.pk}/").content.decode()
    assert reference in detail and PHONE not in detail and "139****5678" in detail
    login(client, county_user)
    assert client.get(f"/monitoring/leads/{lead.pk}/").status_code == 200
    login(client, outsider)
    assert client.get(f"/monitoring/leads/{lead.pk}/").status_code == 404
    assert "马小红" not in client.get("/monitoring/leads/").content.decode()


def test_the_index_walks_the_public_region_tree_to_a_village(client, village):
    county = village.parent.parent
    page = client.get(f"/report/?region={county.code}").content.decode()
    assert village.parent.name in page
    page = client.get(f"/report/?region={village.parent.code}").content.decode()
    assert f"/report/{village.code}/" in page and village.name in page
    assert client.get("/report/").status_code == 200
    assert client.get("/report/?region=abc").status_code == 200
    assert client.get("/report/622926101299/").status_code == 404
    assert client.get("/report/x' or 1=1/").status_code == 404


def test_csrf_works_for_anonymous_reporters(village):
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/report/{village.code}/").content.decode()
    token, answer = challenge_of(page)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = {"name": "马小红", "phone": PHONE, "description": "因灾房屋倒塌，无处居住。", "challenge": token}
    assert client.post(f"/report/{village.code}/", {**data, "challenge_answer": answer}).status_code == 403
    page = client.get(f"/report/{village.code}/").content.decode()
    token, answer = challenge_of(page)
    response = client.post(
        f"/report/{village.code}/",
        {**data, "challenge": token, "challenge_answer": answer, "csrfmiddlewaretoken": csrf},
    )
    assert response.status_code == 200 and MonitoringLead.objects.count() == 1


def test_reports_per_address_are_limited_with_a_chinese_message(client, village):
    for _ in range(leads.REPORTS_PER_ADDRESS):
        assert report(client, village).status_code == 200
    refused = report(client, village)
    assert refused.status_code == 429 and "提交过于频繁" in refused.content.decode()
    assert 3590 <= int(refused["Retry-After"]) <= 3600  # the window opened by the first report
    assert MonitoringLead.objects.count() == leads.REPORTS_PER_ADDRESS
    assert report(client, village, address="10.0.0.2").status_code == 200  # another address


def test_attempts_per_address_are_limited_too(client, village, monkeypatch):
    monkeypatch.setattr(leads, "ATTEMPTS_PER_ADDRESS", 3)
    for _ in range(3):
        assert report(client, village, challenge_answer="999").status_code == 400
    refused = report(client, village)
    assert refused.status_code == 429 and "提交过于频繁" in refused.content.decode()


def test_the_village_limit_holds_in_the_database_while_redis_is_away(client, village, monkeypatch):
    monkeypatch.setattr(leads, "REPORTS_PER_VILLAGE", 2)
    monkeypatch.setattr(caches["default"], "_down_until", time.monotonic() + 600)  # TolerantRedisCache: Redis away
    for address in ("10.0.0.1", "10.0.0.2"):
        assert report(client, village, address=address).status_code == 200
    refused = report(client, village, address="10.0.0.3")
    assert refused.status_code == 429 and "本村一小时内的申报较多" in refused.content.decode()
    assert MonitoringLead.objects.count() == 2
    # Retry-After: until the oldest report of the hour leaves the window (50 minutes ago: 10 left).
    MonitoringLead.objects.update(created_at=timezone.now() - timedelta(minutes=50))
    refused = report(client, village, address="10.0.0.4")
    assert refused.status_code == 429 and 590 <= int(refused["Retry-After"]) <= 601


def test_retry_after_is_a_whole_window_when_the_cache_does_not_know_its_end(client, village, monkeypatch):
    monkeypatch.setattr(leads, "ATTEMPTS_PER_ADDRESS", 1)
    assert report(client, village, challenge_answer="999").status_code == 400
    caches["default"].delete(leads._address_key("attempts", "10.0.0.1") + ":until")  # e.g. set before this release
    refused = report(client, village)
    assert refused.status_code == 429 and refused["Retry-After"] == "3600"


@pytest.mark.parametrize(
    "change",
    [
        {"challenge_answer": "0"},
        {"challenge_answer": ""},
        {"challenge_answer": "１e9"},
        {"challenge": ""},
        {"challenge": "forged:token"},
    ],
)
def test_a_wrong_or_absent_challenge_is_refused(client, village, change):
    response = report(client, village, **change)
    page = response.content.decode()
    assert response.status_code == 400 and 'data-error-for="challenge_answer"' in page
    assert MonitoringLead.objects.count() == 0
    assert "马小红" in page  # what was typed comes back, with a new question
    assert challenge_of(page)[0] != change.get("challenge")


def test_a_challenge_is_used_once_expires_and_belongs_to_its_village(client, village, other_village):
    page = client.get(f"/report/{village.code}/").content.decode()
    token, answer = challenge_of(page)
    data = {"name": "马小红", "phone": PHONE, "description": "因灾房屋倒塌，无处居住。", "challenge": token}
    assert client.post(f"/report/{village.code}/", {**data, "challenge_answer": answer}).status_code == 200
    replay = client.post(f"/report/{village.code}/", {**data, "challenge_answer": answer})
    assert replay.status_code == 400 and "已使用过" in replay.content.decode()
    # A token of one village does not open another's form.
    page = client.get(f"/report/{village.code}/").content.decode()
    token, answer = challenge_of(page)
    elsewhere = client.post(f"/report/{other_village.code}/", {**data, "challenge": token, "challenge_answer": answer})
    assert elsewhere.status_code == 400 and "已过期或无效" in elsewhere.content.decode()
    # Expired.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time", lambda: 1_000_000.0)  # signed long ago
        stale = signing.dumps({"n": "z", "v": village.code, "h": "y"}, salt=leads.CHALLENGE_SALT)
    refused = client.post(f"/report/{village.code}/", {**data, "challenge": stale, "challenge_answer": "3"})
    assert refused.status_code == 400 and "已过期或无效" in refused.content.decode()
    assert MonitoringLead.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "12345"),
        ("phone", "23912345678"),
        ("phone", "139123456789"),
        ("phone", ""),
        ("name", ""),
        ("name", "马" * 21),
        ("name", "马\u202e红"),
        ("description", "疼"),
        ("description", "病" * 1001),
        ("description", "住院\x00花费"),
        ("risk_type", "77"),
    ],
)
def test_bad_fields_are_refused_keyed_by_field(client, village, field, value):
    response = report(client, village, **{field: value})
    assert response.status_code == 400
    assert f'data-error-for="{field}"' in response.content.decode()
    assert MonitoringLead.objects.count() == 0


@pytest.mark.parametrize(
    "phone", ["139 1234 5678", "+8613912345678", "0930-1234567", "09301234567", "１３９１２３４５６７８"]
)
def test_phones_as_people_type_them(phone):
    assert leads.normalise_phone(phone) in ("13912345678", "0930-1234567", "09301234567")


def test_the_answer_is_the_same_whether_or_not_the_person_is_registered(client, village, exited):
    head = exited.members.get(relation="01")
    registered = report(client, village, name=head.name, address="10.0.0.5")
    unknown = report(client, village, name="从未登记", address="10.0.0.6")
    assert registered.status_code == unknown.status_code == 200

    def strip(response):  # the reference and the CSRF token differ by design
        return re.sub(r'SB\d{6}-[0-9A-F-]+|"X-CSRFToken": "[^"]+"', "", response.content.decode())

    assert strip(registered).replace(head.name, "") == strip(unknown).replace("从未登记", "")
    assert not MonitoringLead.objects.filter(household__isnull=False).exists()


def test_the_public_page_has_no_inline_script_or_style(client, village):
    page = client.get(f"/report/{village.code}/").content.decode()
    assert "<script>" not in page and " style=" not in page and " onclick" not in page
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None
