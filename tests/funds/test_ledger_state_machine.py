"""A hypothesis state machine over allocate / disburse / reverse: the ledger never breaks its sums,
and the service accepts exactly what a simple model of the ledger says it should."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from core.codes import Role
from funds import services
from funds.codes import FundLevel
from funds.models import Allocation, Disbursement
from tests.factories import UserFactory, region
from tests.funds.conftest import approved_project

CENTS = st.integers(min_value=1, max_value=5_000_000).map(lambda cents: Decimal(cents) / 100)
DAY = date(2019, 5, 1)


class Ledger(RuleBasedStateMachine):
    @initialize(amount=CENTS)
    def open_source(self, amount):
        county = region("622926000000", "东乡族自治县")
        self.user = UserFactory(role=Role.COUNTY_REVIEWER, region=county)
        self.project = approved_project(county, self.user)
        self.source = services.create_fund_source(
            user=self.user,
            county_code=county.code,
            level=FundLevel.PROVINCIAL,
            year=2019,
            document_no="甘财农〔2019〕1号",
            purpose="产业",
            amount=amount,
            received_on=DAY,
        )
        self.allocations: dict[int, Decimal] = {}  # id → amount, while not reversed
        self.paid: dict[int, dict[int, Decimal]] = {}  # allocation id → {disbursement id → amount}

    def _attempt(self, expected_ok: bool, action):
        try:
            result = action()
        except ValidationError:
            assert not expected_ok, "the service refused what the model allows"
            return None
        assert expected_ok, "the service accepted what the model refuses"
        return result

    @rule(amount=CENTS)
    def allocate(self, amount):
        left = self.source.amount - sum(self.allocations.values())
        allocation = self._attempt(
            amount <= left,
            lambda: services.allocate(
                user=self.user, source_id=self.source.pk, project_id=self.project.pk, amount=amount, allocated_on=DAY
            ),
        )
        if allocation is not None:
            self.allocations[allocation.pk] = amount
            self.paid[allocation.pk] = {}

    @rule(data=st.data(), amount=CENTS)
    def disburse(self, data, amount):
        if not self.allocations:
            return
        allocation_id = data.draw(st.sampled_from(sorted(self.allocations)))
        left = self.allocations[allocation_id] - sum(self.paid[allocation_id].values())
        disbursement = self._attempt(
            amount <= left,
            lambda: services.disburse(
                user=self.user, allocation_id=allocation_id, amount=amount, paid_on=DAY, voucher_no="记"
            ),
        )
        if disbursement is not None:
            self.paid[allocation_id][disbursement.pk] = amount

    @rule(data=st.data())
    def reverse_disbursement(self, data):
        open_payments = [(a, d) for a, payments in self.paid.items() for d in payments]
        if not open_payments:
            return
        allocation_id, disbursement_id = data.draw(st.sampled_from(sorted(open_payments)))
        services.reverse_disbursement(user=self.user, disbursement_id=disbursement_id, reason="更正")
        del self.paid[allocation_id][disbursement_id]

    @rule(data=st.data())
    def reverse_allocation(self, data):
        if not self.allocations:
            return
        allocation_id = data.draw(st.sampled_from(sorted(self.allocations)))
        if self._attempt(
            not self.paid[allocation_id],
            lambda: services.reverse_allocation(user=self.user, allocation_id=allocation_id, reason="调整"),
        ):
            del self.allocations[allocation_id]

    @invariant()
    def sums_hold(self):
        if not hasattr(self, "source"):
            return
        allocated = Allocation.objects.filter(source=self.source).aggregate(total=Sum("amount"))["total"] or 0
        assert 0 <= allocated <= self.source.amount
        assert allocated == sum(self.allocations.values())
        for allocation in Allocation.objects.filter(source=self.source, reverses__isnull=True):
            paid = Disbursement.objects.filter(allocation=allocation).aggregate(total=Sum("amount"))["total"] or 0
            effective = allocation.amount if allocation.pk in self.allocations else 0
            assert 0 <= paid <= effective
            assert paid == sum(self.paid.get(allocation.pk, {}).values())


@pytest.mark.django_db
def test_the_ledger_never_breaks_its_invariants():
    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
