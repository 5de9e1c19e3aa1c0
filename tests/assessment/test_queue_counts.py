"""审核待办 counts each of its sections by the lists' one rule and offers 全选 where a batch is possible."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.models import Application

from ..conftest import login
from ..factories import household_with_members
from .conftest import GUARANTEES_MET, elapse_publicity, set_income

pytestmark = pytest.mark.django_db


def exit_application(client, people, tree, *, past_publicity: bool) -> Application:
    household = household_with_members(tree["village_a"], size=2)
    set_income(household, 2019, Decimal("7000"))
    login(client, people["clerk"])
    client.post(
        reverse("assessment:new", args=["HOUSEHOLD_EXIT"]),
        {"household": household.pk, "year": 2019, "consent": "on", **dict.fromkeys(GUARANTEES_MET, "on")},
    )
    client.logout()
    application = Application.objects.get(household=household)
    if past_publicity:
        elapse_publicity(application.pk)
        login(client, people["clerk2"])
        client.post(reverse("assessment:action", args=[application.pk, "approve"]), {})
        client.logout()
    return application


@pytest.fixture
def queue(client, people, tree):
    """Two household exits waiting for the county, one still in 公示."""
    return [exit_application(client, people, tree, past_publicity=index < 2) for index in range(3)]


def test_the_queue_counts_each_section(client, people, queue):
    login(client, people["county"])
    page = client.get(reverse("assessment:queue")).content.decode()
    assert "待我办理（2）" in page and "公示中（1）" in page
    assert '<span id="recent-total">共3件</span>' in page
    assert 'data-select-all="applications"' in page and "全选" in page
    assert 'data-selected-count="applications"' in page


def test_above_the_township_a_large_section_is_estimated_and_labelled(client, people, queue, monkeypatch):
    monkeypatch.setattr("core.totals.EXACT_LIMIT", 0)
    login(client, people["county"])
    page = client.get(reverse("assessment:queue")).content.decode()
    assert "待我办理（约" in page and "公示中（约" in page


def test_no_select_all_without_a_household_exit_to_batch(client, people, queue):
    login(client, people["clerk2"])  # the township's second clerk: nothing of theirs waits
    page = client.get(reverse("assessment:queue")).content.decode()
    assert "待我办理（0）" in page and 'data-select-all="applications"' not in page


def rows_of(page: str) -> list[str]:
    return re.findall(r'<tr data-application="(\d+)"', page)


def test_each_section_is_paged_and_keeps_the_other_sections_page(client, people, queue, monkeypatch):
    monkeypatch.setattr("assessment.views.QUEUE_PAGE", 1)
    monkeypatch.setattr("assessment.views.PUBLICITY_PAGE", 1)
    login(client, people["county"])
    first = client.get(reverse("assessment:queue")).content.decode()
    assert "待我办理（2）" in first and "第1页，共2页" in first
    waiting = sorted(queue[:2], key=lambda application: (application.awaiting_since, application.pk))
    assert rows_of(first) == [str(waiting[0].pk)]
    assert 'href="?page=2"' in first and 'rel="prev"' not in first

    second = client.get(reverse("assessment:queue"), {"page": "2", "publicity_page": "1"}).content.decode()
    assert rows_of(second) == [str(waiting[1].pk)]
    assert 'href="?page=1&amp;publicity_page=1"' in second  # 上一页 keeps the 公示 section where it was
    assert "待我办理（2）" in second


@pytest.mark.parametrize("requested", ["0", "-1", "abc", "99", "１", "9" * 30])
def test_a_page_typed_by_hand_gives_the_nearest_page_never_an_error(client, people, queue, monkeypatch, requested):
    monkeypatch.setattr("assessment.views.QUEUE_PAGE", 1)
    login(client, people["county"])
    response = client.get(reverse("assessment:queue"), {"page": requested})
    assert response.status_code == 200
    page = response.content.decode()
    assert len(rows_of(page)) == 1
    expected = 2 if requested == "99" else 1
    assert f"第{expected}页，共2页" in page


def test_the_queue_reads_no_row_twice(client, people, tree, queue):
    """The township named beside each village comes with the list, not one query a row."""
    login(client, people["county"])
    client.get(reverse("assessment:queue"))  # the session and caches warmed
    with CaptureQueriesContext(connection) as two_waiting:
        client.get(reverse("assessment:queue"))
    exit_application(client, people, tree, past_publicity=True)
    login(client, people["county"])
    client.get(reverse("assessment:queue"))
    with CaptureQueriesContext(connection) as three_waiting:
        page = client.get(reverse("assessment:queue")).content.decode()
    assert "待我办理（3）" in page
    assert page.count(f"{tree['village_a'].parent.name}{tree['village_a'].name}") == 3
    assert len(three_waiting) == len(two_waiting)
