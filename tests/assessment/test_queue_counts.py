"""审核待办 counts each of its sections by the lists' one rule and offers 全选 where a batch is possible."""

from decimal import Decimal

import pytest
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
