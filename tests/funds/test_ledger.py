"""Funds ledger: Σ allocations ≤ source, Σ disbursements ≤ allocation, reversals, 报账率, under races."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from core.codes import Role
from funds import services
from funds.codes import FundLevel
from funds.models import Allocation, Disbursement, FundSource
from funds.selectors import county_funds, fund_sources
from projects.codes import ProjectStatus
from tests.factories import UserFactory, region
from tests.funds.conftest import RECEIVED, approved_project


def new_source(user, amount="100000.00", year=2019, county_code="622926000000") -> FundSource:
    return services.create_fund_source(
        user=user,
        county_code=county_code,
        level=FundLevel.CENTRAL,
        year=year,
        document_no="甘财农〔2019〕12号",
        purpose="到村到户产业",
        amount=amount,
        received_on=RECEIVED,
    )


def test_allocations_stop_at_the_source_and_say_what_is_left(county, county_reviewer):
    source = new_source(county_reviewer)
    project = approved_project(county, county_reviewer)
    services.allocate(
        user=county_reviewer, source_id=source.pk, project_id=project.pk, amount="60000", allocated_on=RECEIVED
    )
    with pytest.raises(ValidationError) as error:
        services.allocate(
            user=county_reviewer, source_id=source.pk, project_id=project.pk, amount="40000.01", allocated_on=RECEIVED
        )
    assert error.value.message_dict["amount"] == ["超出资金来源可分配余额：尚可分配 40,000.00 元。"]
    services.allocate(
        user=county_reviewer, source_id=source.pk, project_id=project.pk, amount="40000.00", allocated_on=RECEIVED
    )
    assert fund_sources(county_reviewer).get().allocated == Decimal("100000.00")


def test_disbursements_stop_at_the_allocation_and_reversals_are_entries(county, county_reviewer):
    source = new_source(county_reviewer)
    project = approved_project(county, county_reviewer)
    allocation = services.allocate(
        user=county_reviewer, source_id=source.pk, project_id=project.pk, amount="1000", allocated_on=RECEIVED
    )
    paid = services.disburse(
        user=county_reviewer, allocation_id=allocation.pk, amount="700", paid_on=date(2019, 4, 1), voucher_no="记-01"
    )
    with pytest.raises(ValidationError) as error:
        services.disburse(
            user=county_reviewer,
            allocation_id=allocation.pk,
            amount="300.01",
            paid_on=date(2019, 4, 2),
            voucher_no="记-02",
        )
    assert "尚可报账 300.00 元" in error.value.message_dict["amount"][0]
    with pytest.raises(ValidationError, match="请先冲销报账"):
        services.reverse_allocation(user=county_reviewer, allocation_id=allocation.pk, reason="项目调整")
    reversal = services.reverse_disbursement(user=county_reviewer, disbursement_id=paid.pk, reason="金额录错")
    assert (reversal.amount, reversal.reverses_id) == (Decimal("-700.00"), paid.pk)
    with pytest.raises(ValidationError, match="已冲销"):
        services.reverse_disbursement(user=county_reviewer, disbursement_id=paid.pk, reason="再次")
    services.disburse(
        user=county_reviewer, allocation_id=allocation.pk, amount="1000", paid_on=date(2019, 4, 3), voucher_no="记-03"
    )
    assert Disbursement.objects.aggregate(total=Sum("amount"))["total"] == Decimal("1000.00")


def test_entries_cannot_be_edited_or_deleted_even_in_sql(county, county_reviewer):
    source = new_source(county_reviewer)
    project = approved_project(county, county_reviewer)
    allocation = services.allocate(
        user=county_reviewer, source_id=source.pk, project_id=project.pk, amount="1000", allocated_on=RECEIVED
    )
    paid = services.disburse(
        user=county_reviewer, allocation_id=allocation.pk, amount="10", paid_on=RECEIVED, voucher_no="记-01"
    )
    for statement, entry in (
        ("UPDATE funds_disbursement SET amount = 1 WHERE id = %s", paid.pk),
        ("DELETE FROM funds_disbursement WHERE id = %s", paid.pk),
        ("UPDATE funds_allocation SET amount = 999999 WHERE id = %s", allocation.pk),
        ("UPDATE funds_fundsource SET amount = 1 WHERE id = %s", source.pk),
    ):
        with pytest.raises(Exception, match=r"(?i)cannot|protect"), transaction.atomic():
            connection.cursor().execute(statement, [entry])
    with pytest.raises(IntegrityError), transaction.atomic():  # a negative entry must name what it reverses
        Disbursement.objects.create(
            allocation=allocation, amount="-5", paid_on=RECEIVED, voucher_no="x", created_by=county_reviewer
        )


def test_bad_input_names_the_field_and_writes_nothing(county, county_reviewer):
    source = new_source(county_reviewer)
    project = approved_project(county, county_reviewer)
    cases = [
        ({"amount": "0"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "一千"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"allocated_on": date(2019, 2, 1)}, "allocated_on"),
        ({"project_id": None}, "project"),
    ]
    for change, field in cases:
        arguments = {"source_id": source.pk, "project_id": project.pk, "amount": "10", "allocated_on": RECEIVED}
        with pytest.raises(ValidationError) as error:
            services.allocate(user=county_reviewer, **{**arguments, **change})
        assert field in error.value.message_dict
    project.status = ProjectStatus.IN_LIBRARY
    project.save()
    with pytest.raises(ValidationError, match="已批复"):
        services.allocate(
            user=county_reviewer, source_id=source.pk, project_id=project.pk, amount="1", allocated_on=RECEIVED
        )
    assert not Allocation.objects.exists()


def test_only_the_county_writes_and_only_its_own_ledger(county, county_reviewer):
    source = new_source(county_reviewer)
    clerk = UserFactory(role=Role.TOWNSHIP_CLERK, region=region("622926101000"))
    province = UserFactory(role=Role.PROVINCE_STAFF, region=region("620000000000"))
    other_county = UserFactory(role=Role.COUNTY_REVIEWER, region=region("622921000000"))
    project = approved_project(county, county_reviewer)
    for user in (clerk, province):
        with pytest.raises(PermissionDenied, match="无权记资金台账（由县级审核员办理）"):
            services.allocate(user=user, source_id=source.pk, project_id=project.pk, amount="1", allocated_on=RECEIVED)
    with pytest.raises(ValidationError, match="无权操作"):
        services.allocate(
            user=other_county, source_id=source.pk, project_id=project.pk, amount="1", allocated_on=RECEIVED
        )
    with pytest.raises(ValidationError, match="管辖范围"):
        new_source(other_county)
    assert list(fund_sources(province)) == [source] and list(fund_sources(other_county)) == []


def test_disbursement_rate_on_a_hand_computed_fixture(county, county_reviewer):
    """2019: allocated 300,000 + 50,000 − 50,000 (reversed) = 300,000; disbursed 120,000 − 20,000
    (reversed) + 15,000 = 115,000 → 报账率 115/300 = 0.38333…; by 30 June only 60,000 was paid → 0.2."""
    first = new_source(county_reviewer, amount="250000")
    second = new_source(county_reviewer, amount="100000")
    project = approved_project(county, county_reviewer)
    a1 = services.allocate(
        user=county_reviewer, source_id=first.pk, project_id=project.pk, amount="250000", allocated_on=date(2019, 3, 5)
    )
    a2 = services.allocate(
        user=county_reviewer, source_id=second.pk, project_id=project.pk, amount="50000", allocated_on=date(2019, 3, 5)
    )
    a3 = services.allocate(
        user=county_reviewer, source_id=second.pk, project_id=project.pk, amount="50000", allocated_on=date(2019, 3, 5)
    )
    services.reverse_allocation(user=county_reviewer, allocation_id=a3.pk, reason="重复下达", on=date(2019, 3, 6))
    services.disburse(
        user=county_reviewer, allocation_id=a1.pk, amount="60000", paid_on=date(2019, 6, 30), voucher_no="1"
    )
    wrong = services.disburse(
        user=county_reviewer, allocation_id=a1.pk, amount="20000", paid_on=date(2019, 7, 1), voucher_no="2"
    )
    services.disburse(
        user=county_reviewer, allocation_id=a1.pk, amount="40000", paid_on=date(2019, 8, 1), voucher_no="3"
    )
    services.reverse_disbursement(
        user=county_reviewer, disbursement_id=wrong.pk, reason="重复报账", on=date(2019, 8, 2)
    )
    services.disburse(
        user=county_reviewer, allocation_id=a2.pk, amount="15000", paid_on=date(2019, 9, 1), voucher_no="4"
    )
    year = county_funds(2019, ["622926000000"])["622926000000"]
    assert (year.allocated, year.disbursed) == (Decimal("300000.00"), Decimal("115000.00"))
    assert year.rate == Decimal("115000") / Decimal("300000")
    half = county_funds(2019, ["622926000000"], until=date(2019, 6, 30))["622926000000"]
    assert half.rate == Decimal("0.2")
    assert county_funds(2020, ["622926000000"])["622926000000"].rate is None


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_racing_for_the_last_ten_thousand_never_exceed_the_source():
    county = region("622926000000", "东乡族自治县")
    user = UserFactory(role=Role.COUNTY_REVIEWER, region=county)
    project = approved_project(county, user)
    source = new_source(user, amount="100000")
    services.allocate(user=user, source_id=source.pk, project_id=project.pk, amount="90000", allocated_on=RECEIVED)
    start = threading.Barrier(20)
    outcomes = []

    def race():
        try:
            start.wait()
            services.allocate(
                user=user, source_id=source.pk, project_id=project.pk, amount="1500", allocated_on=RECEIVED
            )
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        except Exception as error:  # reported by the assertion below
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=race) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] * 6 + ["refused"] * 14
    total = Allocation.objects.filter(source=source).aggregate(total=Sum("amount"))["total"]
    assert total == Decimal("99000.00")
