"""The 扶贫资金台账 export: official headers, the scope's rows of the year, escaped text, exact sums."""

from datetime import date

import pytest
from openpyxl import load_workbook

from core.codes import Role
from funds import services
from funds.codes import FundLevel
from fupin.exports import reports, request_export, run_export
from tests.factories import UserFactory, region
from tests.funds.conftest import RECEIVED, approved_project

pytestmark = pytest.mark.django_db


def source_of(user, county_code, amount, purpose="到村到户产业", year=2019):
    return services.create_fund_source(
        user=user,
        county_code=county_code,
        level=FundLevel.CENTRAL,
        year=year,
        document_no=f"甘财农〔{year}〕12号",
        purpose=purpose,
        amount=amount,
        received_on=RECEIVED.replace(year=year),
    )


@pytest.fixture
def ledgers(county, county_reviewer):
    """东乡: 10 000 allocated, 2 500.50 paid (one payment reversed); 临夏县: 1 000 allocated; a 2020 source."""
    source = source_of(county_reviewer, "622926000000", "100000.00", purpose='=HYPERLINK("http://x")')
    allocation = services.allocate(
        user=county_reviewer,
        source_id=source.pk,
        project_id=approved_project(county, county_reviewer).pk,
        amount="10000.00",
        allocated_on=RECEIVED,
    )
    wrong = services.disburse(
        user=county_reviewer, allocation_id=allocation.pk, amount="999.00", paid_on=date(2019, 4, 1), voucher_no="记-1"
    )
    services.reverse_disbursement(
        user=county_reviewer, disbursement_id=wrong.pk, reason="金额录错", on=date(2019, 4, 2)
    )
    services.disburse(
        user=county_reviewer, allocation_id=allocation.pk, amount="2500.50", paid_on=date(2019, 4, 3), voucher_no="记-2"
    )
    source_of(county_reviewer, "622926000000", "5.00", year=2020)
    other_county = region("622921000000", "临夏县")
    other = UserFactory(role=Role.COUNTY_REVIEWER, region=other_county)
    other_source = source_of(other, "622921000000", "3000.00")
    services.allocate(
        user=other,
        source_id=other_source.pk,
        project_id=approved_project(other_county, other, name="临夏县水窖").pk,
        amount="1000.00",
        allocated_on=RECEIVED,
    )
    return county_reviewer


def rows(sheet) -> list[list]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_funds_report_is_listed_on_the_export_page_and_needs_a_year(ledgers):
    assert reports()["funds"].needs_year
    with pytest.raises(Exception, match="年度"):
        request_export(user=ledgers, report="funds", region_code="622926000000")


def test_county_ledger_has_official_headers_exact_sums_and_escaped_text(ledgers):
    job = run_export(request_export(user=ledgers, report="funds", region_code="622926000000", year=2019).pk)
    assert job.status == "DONE"
    workbook = load_workbook(job.file_path())
    assert workbook.sheetnames == ["2019年各县报账率", "资金来源", "资金分配", "报账"]
    assert rows(workbook["2019年各县报账率"]) == [
        ["县", "年度", "已分配（元）", "已报账（元）", "报账率（%）"],
        ["东乡族自治县", 2019, 10000.0, 2500.5, 25.01],
    ]
    sources = workbook["资金来源"]
    assert rows(sources)[0] == [
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
    ]
    assert len(rows(sources)) == 2  # the 2020 source and the other county's are not in this sheet
    county, year, level, document, _purpose, received, amount, allocated, paid, remaining, rate = rows(sources)[1]
    assert (county, year, level, document) == ("东乡族自治县", 2019, "中央", "甘财农〔2019〕12号")
    assert (received.date(), amount, allocated, paid, remaining, rate) == (
        RECEIVED,
        100000.0,
        10000.0,
        2500.5,
        90000.0,
        25.01,
    )
    escaped = sources.cell(row=2, column=5)
    assert (escaped.value, escaped.data_type, escaped.quotePrefix) == ('=HYPERLINK("http://x")', "s", True)
    allocation = rows(workbook["资金分配"])[1]
    assert allocation[:3] == ["东乡族自治县", "甘财农〔2019〕12号", "项目：红柳村道路硬化"]
    assert (allocation[3].date(), allocation[4:7], allocation[8]) == (RECEIVED, [10000.0, 2500.5, 7499.5], "有效")
    payments = rows(workbook["报账"])
    assert [row[4:8] for row in payments[1:]] == [
        ["记-1", 999.0, None, "已冲销"],
        ["记-1", -999.0, "冲销：金额录错", "冲销记录"],
        ["记-2", 2500.5, None, "有效"],
    ]


def test_province_export_holds_every_county_in_scope(ledgers):
    province = UserFactory(role=Role.PROVINCE_STAFF, region=region("620000000000"))
    job = run_export(request_export(user=province, report="funds", region_code="620000000000", year=2019).pk)
    summary = rows(load_workbook(job.file_path())["2019年各县报账率"])
    assert summary[1:] == [["临夏县", 2019, 1000.0, 0.0, 0.0], ["东乡族自治县", 2019, 10000.0, 2500.5, 25.01]]
