"""统计分析: each breakdown on a hand-built county, the scope, the Excel sheets and the trend by year."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessment.breakdowns import forget_cached_breakdowns, region_statistics
from assessment.statistics import recompute_incidence_rates
from core.codes import Role
from households.models import AidMeasure, Household
from monitoring.models import AssistanceMeasure, MonitoringObject
from villages.models import Village, VillagePopulation

from ..conftest import login
from ..factories import UserFactory, household_with_members, region
from ..histories import with_history

YEAR = 2019


def household(village, size, *, status="POOR", identified_year=2015, exit_year=None, **columns):
    created = household_with_members(village, size=size, status=status)
    if columns:
        Household.objects.filter(pk=created.pk).update(**columns)
    return with_history(created, status=status, identified_year=identified_year, exit_year=exit_year)


def record(household_, *, category, risks, identified_on, status="MONITORED", members=3, eliminated_on=None):
    return MonitoringObject.objects.create(
        household=household_,
        category=category,
        risk_types=risks,
        status=status,
        discovery_way="2",
        discovered_on=identified_on,
        identified_on=identified_on,
        eliminated_on=eliminated_on,
        elimination_mode="1" if eliminated_on else "",
        income_12_months="12000.00",
        member_count=members,
        income_per_person="4000.00",
        line_year=identified_on.year,
        line_amount="7100.00",
        line_verified=False,
    )


@pytest.fixture
def county(db):
    """东乡: village a (甲镇) and b (乙镇); 临夏县's village c outside it. Expected figures are written by each test."""
    regions = {
        "province": region("620000000000", "甘肃省"),
        "county": region("622926000000", "东乡族自治县"),
        "township_a": region("622926101000", "甲镇"),
        "village_a": region("622926101201", "甲村"),
        "village_b": region("622926102201", "乙村"),
        "other_county": region("622921000000", "临夏县"),
        "village_c": region("622921101201", "丙村"),
    }
    a, b, c = regions["village_a"], regions["village_b"], regions["village_c"]
    household(a, 3, main_cause="1", attribute="1", identification_standard="1")  # poor, 因病
    household(a, 2, main_cause="1", attribute="2", identification_standard="1")  # poor, 因病, 低保
    household(a, 4, status="EXITED", exit_year=YEAR, main_cause="2", attribute="1")  # exited in 2019, 因残
    household(a, 5, status="EXITED", exit_year=2020, main_cause="8", attribute="3")  # still poor at the end of 2019
    household(a, 1, identified_year=2020, main_cause="1")  # identified after 2019: not counted
    household(a, 6, status="REMOVED", main_cause="1")  # 清退: never counted
    household(b, 7, main_cause="", attribute="1", identification_standard="2")  # poor, cause not filled
    household(c, 9, main_cause="1")  # another county: never in 东乡's figures
    for village in (a, b, c):
        profile = Village.objects.create(region=village)
        VillagePopulation.objects.create(village=profile, year=YEAR, rural_population=1000)
    recompute_incidence_rates(2018)
    recompute_incidence_rates(YEAR)
    recompute_incidence_rates(2020)
    return regions


def rows_of(breakdown) -> dict:
    return {row[0]: row[1:] for row in breakdown.rows}


def breakdown(statistics, key):
    return next(item for item in [*statistics.breakdowns, statistics.trend] if item.key == key)


def test_cause_breakdown_counts_the_incidence_numerator_by_main_cause(county):
    statistics = region_statistics(
        UserFactory(role=Role.COUNTY_REVIEWER, region=county["county"]), county["county"], YEAR
    )
    causes = rows_of(breakdown(statistics, "cause"))
    # 未脱贫户, 未脱贫人, share of people, 当年脱贫户, 当年脱贫人
    assert causes["因病"] == [2, 5, 29.41, 0, 0]
    assert causes["因残"] == [0, 0, 0.0, 1, 4]
    assert causes["缺劳力"] == [1, 5, 29.41, 0, 0]
    assert causes["未填写"] == [1, 7, 41.18, 0, 0]
    assert causes["因学"] == [0, 0, 0.0, 0, 0]
    assert breakdown(statistics, "cause").total == ["合计", 4, 17, 100.0, 1, 4]


def test_attribute_and_standard_breakdowns_add_up_to_the_same_households(county):
    statistics = region_statistics(
        UserFactory(role=Role.COUNTY_REVIEWER, region=county["county"]), county["county"], YEAR
    )
    attributes = rows_of(breakdown(statistics, "attribute"))
    assert attributes["一般贫困户"][:2] == [2, 10]
    assert attributes["低保贫困户"][:2] == [1, 2]
    assert attributes["特困供养贫困户"][:2] == [1, 5]
    assert attributes["一般贫困户"][3:] == [1, 4]
    standards = rows_of(breakdown(statistics, "standard"))
    assert standards["国家标准"][:2] == [3, 10]
    assert standards["省定标准"][:2] == [1, 7]
    assert "未填写" not in attributes


def test_a_township_counts_only_its_own_villages(county):
    user = UserFactory(role=Role.TOWNSHIP_CLERK, region=county["township_a"])
    statistics = region_statistics(user, county["township_a"], YEAR)
    assert breakdown(statistics, "cause").total == ["合计", 3, 10, 100.0, 1, 4]
    assert [child.name for child, _ in statistics.children] == ["甲村"]


def test_measure_breakdowns_count_households_once_per_category(county):
    first, second = Household.objects.filter(village=county["village_a"], status="POOR").order_by("id")[:2]
    for category, amount in (("01", "100"), ("01", "50"), ("02", "30")):
        AidMeasure.objects.create(household=first, category=category, year=YEAR, amount=amount, description="措施")
    AidMeasure.objects.create(household=second, category="01", year=YEAR, amount="20", description="措施")
    AidMeasure.objects.create(household=second, category="04", year=2018, amount="20", description="上一年")
    outside = Household.objects.get(village=county["village_c"])
    AidMeasure.objects.create(household=outside, category="01", year=YEAR, amount="999", description="外县")
    statistics = region_statistics(
        UserFactory(role=Role.COUNTY_REVIEWER, region=county["county"]), county["county"], YEAR
    )
    measures = breakdown(statistics, "aid_measures")
    rows = rows_of(measures)
    # 户数, 人数, share of households, 措施数, 金额
    assert rows["产业帮扶"] == [2, 5, 100.0, 3, Decimal("170.00")]
    assert rows["就业帮扶"] == [1, 3, 50.0, 1, Decimal("30.00")]
    assert rows["教育帮扶"] == [0, 0, 0.0, 0, 0]
    assert measures.total == ["有帮扶措施的户（去重）", 2, 5, 100.0, 4, Decimal("200.00")]


def test_monitoring_breakdowns_count_the_records_identified_in_the_year(county):
    a = county["village_a"]
    exited = Household.objects.get(village=a, status="EXITED", exit_year=YEAR)
    poor = Household.objects.filter(village=a, status="POOR").first()
    one = record(exited, category="1", risks=["01", "08"], identified_on=date(YEAR, 5, 1), members=4)
    record(
        poor,
        category="2",
        risks=["01"],
        identified_on=date(YEAR, 6, 1),
        status="ELIMINATED",
        eliminated_on=date(YEAR, 9, 1),
        members=2,
    )
    record(
        Household.objects.get(village=county["village_c"]), category="2", risks=["01"], identified_on=date(YEAR, 6, 1)
    )
    record(
        Household.objects.filter(village=a, status="POOR").last(),
        category="3",
        risks=["07"],
        identified_on=date(2018, 1, 1),
    )
    AssistanceMeasure.objects.create(
        monitoring_object=one,
        category="07",
        risk_type="01",
        description="医疗救助",
        amount="80",
        started_on=date(YEAR, 5, 5),
    )
    statistics = region_statistics(
        UserFactory(role=Role.COUNTY_REVIEWER, region=county["county"]), county["county"], YEAR
    )
    categories = rows_of(breakdown(statistics, "monitoring_category"))
    # 户数, 人数, share, 其中监测中, 其中已消除风险
    assert categories["脱贫不稳定户"] == [1, 4, 50.0, 1, 0]
    assert categories["边缘易致贫户"] == [1, 2, 50.0, 0, 1]
    assert categories["突发严重困难户"] == [0, 0, 0.0, 0, 0]
    risks = rows_of(breakdown(statistics, "risk_type"))
    assert risks["因病"] == [2, 100.0]
    assert risks["缺劳动力"] == [1, 50.0]
    assert risks["因自然灾害"] == [0, 0.0]
    assistance = rows_of(breakdown(statistics, "assistance_measures"))
    assert assistance["健康帮扶"] == [1, 4, 100.0, 1, Decimal("80.00")]


def test_trend_by_year_has_poor_exits_and_monitoring(county):
    a = county["village_a"]
    record(
        Household.objects.filter(village=a, status="POOR").first(),
        category="1",
        risks=["01"],
        identified_on=date(2018, 3, 1),
    )
    statistics = region_statistics(
        UserFactory(role=Role.COUNTY_REVIEWER, region=county["county"]), county["county"], YEAR
    )
    trend = rows_of(breakdown(statistics, "trend"))
    # 未脱贫户, 未脱贫人, 当年脱贫户, 当年脱贫人, 纳入监测, 风险消除
    assert trend["2018"] == [5, 21, 0, 0, 1, 0]
    assert trend["2019"] == [4, 17, 1, 4, 0, 0]
    assert trend["2020"] == [4, 13, 1, 5, 0, 0]
    assert set(trend) == {"2018", "2019", "2020"}


def test_page_shows_tables_breadcrumbs_and_chart_data(client, county):
    user = UserFactory(role=Role.PROVINCE_STAFF, region=county["province"])
    login(client, user)
    response = client.get(reverse("assessment:statistics"), {"region": "622926101201", "year": YEAR})
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("甘肃省", "东乡族自治县", "甲镇"):
        assert f">{name}</a></li>" in page
    assert "主要致贫原因（2019年）" in page
    charts = response.context["charts"]
    cause = next(chart for chart in charts["breakdowns"] if chart["key"] == "cause")
    assert cause["values"][0] == 5  # 因病: people
    assert 'id="statistics-data"' in page and "<script>" not in page


def test_a_county_reviewer_cannot_see_another_county(client, county):
    user = UserFactory(role=Role.COUNTY_REVIEWER, region=county["county"])
    login(client, user)
    assert client.get(reverse("assessment:statistics"), {"region": "622921000000"}).status_code == 404
    assert client.get(reverse("assessment:statistics"), {"region": "622921101201"}).status_code == 404
    assert client.get(reverse("assessment:statistics_export"), {"region": "622921000000"}).status_code == 404
    assert client.get(reverse("assessment:statistics"), {"region": "not-a-code"}).status_code == 404
    own = client.get(reverse("assessment:statistics"), {"year": YEAR})
    assert own.status_code == 200 and own.context["region"] == county["county"]


def test_a_malformed_year_is_a_400_in_chinese(client, county):
    login(client, UserFactory(role=Role.COUNTY_REVIEWER, region=county["county"]))
    response = client.get(reverse("assessment:statistics"), {"year": "20x9"})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_excel_download_has_one_sheet_per_breakdown_with_text_labels(client, county):
    login(client, UserFactory(role=Role.COUNTY_REVIEWER, region=county["county"]))
    response = client.get(reverse("assessment:statistics_export"), {"year": YEAR})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == [
        "主要致贫原因",
        "贫困户属性",
        "识别标准",
        "帮扶措施类别（建档立卡户）",
        "帮扶措施类别（监测对象）",
        "监测对象类别",
        "风险类型",
        "历年趋势",
    ]
    sheet = workbook["主要致贫原因"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "主要致贫原因（东乡族自治县，2019年）",
        "未脱贫户数",
        "未脱贫人数",
        "占比（按人数）",
        "当年脱贫户数",
        "当年脱贫人数",
    )
    assert rows[1] == ("因病", 2, 5, "29.41%", 0, 0)
    assert rows[-1] == ("合计", 4, 17, "100.00%", 1, 4)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref is not None
    assert sheet["A2"].number_format == "@"


def test_excel_download_of_one_table(client, county):
    login(client, UserFactory(role=Role.COUNTY_REVIEWER, region=county["county"]))
    response = client.get(reverse("assessment:statistics_export"), {"year": YEAR, "table": "trend"})
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["历年趋势"]
    rows = list(workbook["历年趋势"].iter_rows(values_only=True))
    assert rows[2][:5] == ("2019", 4, 17, 1, 4)
    assert client.get(reverse("assessment:statistics_export"), {"table": "nothing"}).status_code == 404


def test_dashboard_and_region_page_have_charts_and_breadcrumbs_below_the_county(client, county):
    login(client, UserFactory(role=Role.PROVINCE_STAFF, region=county["province"]))
    township = client.get(reverse("assessment:dashboard_region", args=["622926101000"]), {"year": YEAR})
    assert township.context["bars_title"] == "下级区划"
    assert township.context["charts"]["bars"]["names"] == ["甲村"]
    assert [region.name for region in township.context["breadcrumb"]] == ["甘肃省", "622900000000名", "东乡族自治县"]
    village = client.get(reverse("assessment:dashboard_region", args=["622926101201"]), {"year": YEAR})
    assert village.context["bars_title"] == "" and village.context["charts"]["trend"]["years"] == [2018, 2019, 2020]
    page = client.get(reverse("regions:detail", args=["622926101201"]))
    trend = page.context["charts"]["trend"]
    assert trend["years"] == ["2018", "2019", "2020"] and trend["series"][0]["values"] == [4, 3, 3]


def test_a_write_forgets_its_village_and_the_chain_is_summed_again(county):
    user = UserFactory(role=Role.PROVINCE_STAFF, region=county["province"])
    before = region_statistics(user, county["province"], YEAR)
    assert breakdown(before, "cause").total[1:3] == [5, 26]  # 东乡's 4 households and 临夏县's one of 9
    household(county["village_b"], 2, main_cause="1")
    cached = region_statistics(user, county["province"], YEAR)
    assert breakdown(cached, "cause").total[1:3] == [5, 26]  # served from the cache until a write is announced
    forget_cached_breakdowns(county["village_b"].code, [YEAR])
    after = region_statistics(user, county["province"], YEAR)
    assert breakdown(after, "cause").total[1:3] == [6, 28]
    assert rows_of(breakdown(after, "cause"))["因病"][:2] == [4, 16]


def test_a_province_sums_townships_and_a_write_forgets_only_its_own(county):
    """Above a township the page adds up township sums (20,000 villages are 500 townships at
    province scale); a write forgets its village's township, the other townships' sums stay."""
    from django.core.cache import cache

    from assessment.breakdowns import _township_key, _village_key

    user = UserFactory(role=Role.PROVINCE_STAFF, region=county["province"])
    region_statistics(user, county["province"], YEAR)

    def key(township):
        return _township_key(lambda code: _village_key(code, YEAR), township)

    assert cache.get(key("622926101000"))["cause"]["1"][:2] == [2, 5]  # 甲镇: 甲村's two poor 因病 households
    assert cache.get(key("622926102000")) is not None
    household(county["village_b"], 2, main_cause="1")
    forget_cached_breakdowns(county["village_b"].code, [YEAR])
    assert cache.get(key("622926102000")) is None
    assert cache.get(key("622926101000")) is not None
    after = region_statistics(user, county["province"], YEAR)
    assert breakdown(after, "cause").total[1:3] == [6, 28]
    assert cache.get(key("622926102000"))["cause"]["1"][:2] == [1, 2]
