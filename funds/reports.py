"""扶贫资金台账 for fupin/exports.py: the ledger of a scope and year, read through the scoped selectors."""

from decimal import ROUND_HALF_UP, Decimal

from core.excel import Sheet
from core.regions import RegionLevel
from villages.models import Region

from . import selectors

HUNDREDTH = Decimal("0.01")


def _percent(rate: Decimal | None) -> Decimal | None:
    """A 报账率 in % with two decimals (display rounding only)."""
    return None if rate is None else (rate * 100).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def _status(entry) -> str:
    if entry.reverses_id:
        return "冲销记录"
    return "已冲销" if entry.is_reversed else "有效"


def funds_report(user, prefix: str, *, year: int, **_) -> list[Sheet]:
    """Four sheets: each county's 报账率, the sources, the allocations and the disbursements of `year`."""
    counties = Region.objects.visible_to(user).within_prefix(prefix).filter(level=RegionLevel.COUNTY)
    counties = list(counties.order_by("code"))
    funds = selectors.county_funds(year, [county.code for county in counties]) if counties else {}
    sources = selectors.fund_sources(user, year=year, prefix=prefix).order_by("county_id", "level", "id")
    allocations = selectors.allocations(user, year=year, prefix=prefix).order_by("source__county_id", "id")
    disbursements = selectors.disbursements(user, year=year, prefix=prefix).order_by(
        "allocation__source__county_id", "id"
    )
    return [
        Sheet(
            f"{year}年各县报账率",
            ["县", "年度", "已分配（元）", "已报账（元）", "报账率（%）"],
            (
                [
                    county.name,
                    year,
                    funds[county.code].allocated,
                    funds[county.code].disbursed,
                    _percent(funds[county.code].rate),
                ]
                for county in counties
            ),
        ),
        Sheet(
            "资金来源",
            [
                "县",
                "年度",
                "资金级次",
                "文号",
                "用途",
                "到位日期",
                "金额（元）",
                "已分配（元）",
                "已报账（元）",
                "可分配余额（元）",
                "报账率（%）",
            ],
            (
                [
                    source.county.name,
                    source.year,
                    source.get_level_display(),
                    source.document_no,
                    source.purpose,
                    source.received_on,
                    source.amount,
                    source.allocated,
                    source.disbursed,
                    source.remaining,
                    _percent(selectors.disbursement_rate(source.disbursed, source.allocated)),
                ]
                for source in sources.iterator(chunk_size=2000)
            ),
            widths={4: 24, 5: 30},
        ),
        Sheet(
            "资金分配",
            ["县", "文号", "分配对象", "下达日期", "金额（元）", "已报账（元）", "未报账（元）", "说明", "状态"],
            (
                [
                    allocation.source.county.name,
                    allocation.source.document_no,
                    allocation.target_label,
                    allocation.allocated_on,
                    allocation.amount,
                    allocation.disbursed,
                    allocation.remaining,
                    allocation.note,
                    _status(allocation),
                ]
                for allocation in allocations.iterator(chunk_size=2000)
            ),
            widths={2: 24, 3: 36},
        ),
        Sheet(
            "报账",
            ["县", "文号", "分配对象", "报账日期", "凭证号", "金额（元）", "说明", "状态"],
            (
                [
                    disbursement.allocation.source.county.name,
                    disbursement.allocation.source.document_no,
                    disbursement.allocation.target_label,
                    disbursement.paid_on,
                    disbursement.voucher_no,
                    disbursement.amount,
                    disbursement.note,
                    _status(disbursement),
                ]
                for disbursement in disbursements.iterator(chunk_size=2000)
            ),
            widths={2: 24, 3: 36},
        ),
    ]
