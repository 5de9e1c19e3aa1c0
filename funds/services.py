"""The funds ledger's one writer. Its guarantees, under row locks (select_for_update):

- Σ allocations of a source ≤ the source's amount (the source row is locked while it is summed);
- Σ disbursements of an allocation ≤ the allocation (the allocation row is locked);
- entries are never edited: a correction is a reversing entry (database triggers refuse
  UPDATE and DELETE, CHECK constraints tie the sign to the reversal).

Locks are always taken source → allocation, so two writers never wait on each other in a cycle.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core.parsing import parse_date, parse_money
from core.permissions import Action, require
from core.regions import RegionLevel, code_prefix
from households.models import AidMeasure
from projects.codes import FUNDABLE_STATUSES
from projects.models import Project
from villages.models import Region

from .codes import FundLevel
from .models import Allocation, Disbursement, FundSource
from .signals import ledger_changed


def positive_money(value, field: str) -> Decimal:
    amount = parse_money(value, field=field)
    if amount <= 0:
        raise ValidationError({field: ["金额须大于0。"]})
    return amount


def _required_date(value, field: str, label: str) -> date:
    if not isinstance(value, date):
        raise ValidationError({field: [f"请填写{label}。"]})
    return parse_date(value, field=field)


def _net(queryset) -> Decimal:
    return queryset.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def allocated_total(source: FundSource) -> Decimal:
    return _net(source.allocations.all())


def disbursed_total(allocation: Allocation) -> Decimal:
    return _net(allocation.disbursements.all())


@transaction.atomic
def create_fund_source(
    *,
    user,
    county_code: str,
    level: str,
    year: int,
    document_no: str,
    purpose: str,
    amount,
    received_on: date,
) -> FundSource:
    """资金来源 received by the user's county."""
    require(user, Action.WRITE_LEDGER)
    county = Region.objects.visible_to(user).filter(code=county_code, level=RegionLevel.COUNTY).first()
    if county is None:
        raise ValidationError({"county": ["请选择您管辖范围内的县。"]})
    if level not in FundLevel.values:
        raise ValidationError({"level": ["请选择资金级次（中央、省级、市级、县级）。"]})
    source = FundSource(
        county=county,
        level=level,
        year=year,
        document_no=(document_no or "").strip(),
        purpose=(purpose or "").strip(),
        amount=positive_money(amount, "amount"),
        received_on=_required_date(received_on, "received_on", "到位日期"),
        created_by=user,
    )
    try:
        source.full_clean(exclude=["county", "created_by"], validate_constraints=False)
    except ValidationError as error:
        raise ValidationError(error.message_dict) from error
    source.save()
    return source


def _locked_source(user, source_id: int) -> FundSource:
    source = FundSource.objects.visible_to(user).select_for_update().filter(pk=source_id).first()
    if source is None:
        raise ValidationError({"source": ["未找到该资金来源或无权操作。"]})
    return source


def _locked_allocation(user, allocation_id: int) -> Allocation:
    allocation = Allocation.objects.visible_to(user).select_for_update().filter(pk=allocation_id).first()
    if allocation is None:
        raise ValidationError({"allocation": ["未找到该资金分配或无权操作。"]})
    return allocation


def _enqueue_ratings(year: int) -> None:
    """报账率 feeds the ratings' 扶贫资金 indicator: announce the year's change once it commits."""
    transaction.on_commit(lambda: ledger_changed.send(sender=FundSource, year=year))


def _is_reversed(entry) -> bool:
    return type(entry).objects.filter(reverses=entry).exists()


@transaction.atomic
def allocate(
    *,
    user,
    source_id: int,
    amount,
    allocated_on: date,
    project_id: int | None = None,
    aid_measure_id: int | None = None,
    note: str = "",
) -> Allocation:
    """下达: give part of a source to an approved project or to one household's aid measure."""
    require(user, Action.WRITE_LEDGER)
    amount = positive_money(amount, "amount")
    allocated_on = _required_date(allocated_on, "allocated_on", "下达日期")
    source = _locked_source(user, source_id)
    project = measure = None
    if bool(project_id) == bool(aid_measure_id):
        raise ValidationError({"project": ["请选择分配到的项目或帮扶措施（只能选一个）。"]})
    if project_id:
        project = Project.objects.visible_to(user).filter(pk=project_id, county=source.county).first()
        if project is None:
            raise ValidationError({"project": ["请选择本县的项目。"]})
        if project.status not in FUNDABLE_STATUSES:
            raise ValidationError({"project": ["只有已批复的项目可以分配资金。"]})
    else:
        measures = AidMeasure.objects.visible_to(user).within_prefix(code_prefix(source.county_id, RegionLevel.COUNTY))
        measure = measures.filter(pk=aid_measure_id).first()
        if measure is None:
            raise ValidationError({"aid_measure": ["请选择本县建档立卡户的帮扶措施。"]})
    if allocated_on < source.received_on:
        raise ValidationError({"allocated_on": ["下达日期不能早于资金到位日期。"]})
    available = source.amount - allocated_total(source)
    if amount > available:
        raise ValidationError({"amount": [f"超出资金来源可分配余额：尚可分配 {available:,.2f} 元。"]})
    _enqueue_ratings(source.year)
    return Allocation.objects.create(
        source=source,
        project=project,
        aid_measure=measure,
        amount=amount,
        allocated_on=allocated_on,
        note=(note or "").strip()[:300],
        created_by=user,
    )


@transaction.atomic
def reverse_allocation(*, user, allocation_id: int, reason: str, on: date | None = None) -> Allocation:
    """冲销 an allocation in full (after its disbursements are reversed); the money returns to the source."""
    # The entry first: one out of scope is absent (a 404) whatever the role; then the role (403).
    found = Allocation.objects.visible_to(user).values("source_id").get(pk=allocation_id)
    require(user, Action.WRITE_LEDGER)
    if not (reason or "").strip():
        raise ValidationError({"reason": ["请填写冲销原因。"]})
    _locked_source(user, found["source_id"])
    allocation = _locked_allocation(user, allocation_id)
    if allocation.reverses_id is not None:
        raise ValidationError({"allocation": ["冲销记录不能再冲销。"]})
    if _is_reversed(allocation):
        raise ValidationError({"allocation": ["该分配已冲销。"]})
    if disbursed_total(allocation) != 0:
        raise ValidationError({"allocation": ["该分配已有报账，请先冲销报账。"]})
    _enqueue_ratings(allocation.source.year)
    return Allocation.objects.create(
        source_id=allocation.source_id,
        project_id=allocation.project_id,
        aid_measure_id=allocation.aid_measure_id,
        amount=-allocation.amount,
        allocated_on=on or timezone.localdate(),
        note=f"冲销：{reason.strip()}"[:300],
        reverses=allocation,
        created_by=user,
    )


@transaction.atomic
def disburse(*, user, allocation_id: int, amount, paid_on: date, voucher_no: str, note: str = "") -> Disbursement:
    """报账: pay out of an allocation, never beyond it."""
    require(user, Action.WRITE_LEDGER)
    amount = positive_money(amount, "amount")
    paid_on = _required_date(paid_on, "paid_on", "报账日期")
    if not (voucher_no or "").strip():
        raise ValidationError({"voucher_no": ["请填写凭证号。"]})
    allocation = _locked_allocation(user, allocation_id)
    if allocation.reverses_id is not None or _is_reversed(allocation):
        raise ValidationError({"allocation": ["该分配已冲销，不能报账。"]})
    if paid_on < allocation.allocated_on:
        raise ValidationError({"paid_on": ["报账日期不能早于资金下达日期。"]})
    available = allocation.amount - disbursed_total(allocation)
    if amount > available:
        raise ValidationError({"amount": [f"超出分配金额：尚可报账 {available:,.2f} 元。"]})
    _enqueue_ratings(allocation.source.year)
    return Disbursement.objects.create(
        allocation=allocation,
        amount=amount,
        paid_on=paid_on,
        voucher_no=voucher_no.strip()[:100],
        note=(note or "").strip()[:300],
        created_by=user,
    )


@transaction.atomic
def reverse_disbursement(*, user, disbursement_id: int, reason: str, on: date | None = None) -> Disbursement:
    """冲销 a disbursement in full; re-enter the right amount as a new disbursement."""
    found = Disbursement.objects.visible_to(user).values("allocation_id").get(pk=disbursement_id)
    require(user, Action.WRITE_LEDGER)
    if not (reason or "").strip():
        raise ValidationError({"reason": ["请填写冲销原因。"]})
    _locked_allocation(user, found["allocation_id"])
    disbursement = Disbursement.objects.select_for_update().get(pk=disbursement_id)
    if disbursement.reverses_id is not None:
        raise ValidationError({"disbursement": ["冲销记录不能再冲销。"]})
    if _is_reversed(disbursement):
        raise ValidationError({"disbursement": ["该报账已冲销。"]})
    _enqueue_ratings(disbursement.allocation.source.year)
    return Disbursement.objects.create(
        allocation_id=disbursement.allocation_id,
        amount=-disbursement.amount,
        paid_on=on or timezone.localdate(),
        voucher_no=disbursement.voucher_no,
        note=f"冲销：{reason.strip()}"[:300],
        reverses=disbursement,
        created_by=user,
    )
