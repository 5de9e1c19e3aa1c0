"""The demo project and ledger of the poverty county: made through the services, once."""

from decimal import Decimal

import pytest
from django.utils import timezone

from funds.models import Allocation, Disbursement, FundSource
from funds.selectors import county_funds
from fupin.demo import ensure_demo_users
from fupin.demo.funds import DEMO_DOCUMENT, seed_demo_funds
from projects.models import Beneficiary, Notice, Project, ProjectEvent
from tests.factories import household_with_members, region

pytestmark = pytest.mark.django_db


def counts() -> dict:
    models = (Project, ProjectEvent, Beneficiary, Notice, FundSource, Allocation, Disbursement)
    return {model.__name__: model.objects.count() for model in models}


def test_demo_funds_are_a_funded_project_and_running_twice_changes_nothing():
    region("620000000000", "甘肃省")
    region("622900000000", "临夏回族自治州")
    region("622926000000", "东乡族自治县")
    region("622926101000", "锁南镇")
    village = region("622926101201", "红柳村")
    first, second = household_with_members(village), household_with_members(village)
    ensure_demo_users()

    made = seed_demo_funds()
    assert made["beneficiaries"] == 2
    project = Project.objects.get()
    assert (project.status, project.county_id) == ("IMPLEMENTING", "622926000000")
    assert project.performance_target
    assert set(project.beneficiaries.values_list("household_id", flat=True)) == {first.pk, second.pk}
    notice = Notice.objects.get(project=project)
    assert notice.end_date < timezone.localdate() and (notice.end_date - notice.start_date).days + 1 >= 10
    source = FundSource.objects.get()
    assert (source.document_no, source.get_level_display(), source.amount) == (
        DEMO_DOCUMENT,
        "中央",
        Decimal("1200000.00"),
    )
    allocation = Allocation.objects.get()
    assert (allocation.project, allocation.amount) == (project, Decimal("500000.00"))
    assert Disbursement.objects.get().amount == Decimal("200000.00")
    assert county_funds(source.year, ["622926000000"])["622926000000"].rate == Decimal("0.4")

    before = counts()
    assert seed_demo_funds() == {"skipped": True}
    assert counts() == before


def test_without_the_demo_county_nothing_is_made(db):
    assert seed_demo_funds() == {"skipped": True}
    assert counts() == dict.fromkeys(counts(), 0)
