"""贫困发生率 at five levels and county ratings, on fixtures computed by hand."""

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.models import CountyRating, IncidenceRate, RatingScheme, ReductionPlan, SampleSurvey
from assessment.reports import ratings_report
from assessment.statistics import incidence_of, recompute_chain_rates, recompute_incidence_rates
from assessment.tasks import recompute_incidence, recompute_ratings
from core.codes import Role
from households.models import AdjustmentRecord, AidMeasure, Helper, HelperAssignment, Household
from villages.models import County, Region, Village, VillagePopulation

from ..conftest import login
from ..factories import HouseholdFactory, UserFactory, household_with_members, region
from ..histories import with_history


def household(village, size, status="POOR", identified_year=2015, exit_year=None):
    created = household_with_members(village, size=size, status=status)
    return with_history(created, status=status, identified_year=identified_year, exit_year=exit_year)


def population(village, year, people):
    profile, _ = Village.objects.get_or_create(region=village)
    VillagePopulation.objects.create(village=profile, year=year, rural_population=people)


@pytest.fixture
def province_fixture(db):
    """Five villages in two cities; the expected 2019 figures are written out in EXPECTED_2019."""
    v1, v2 = region("622926101201"), region("622926101202")
    v3, v4, v5 = region("622926102201"), region("622921101201"), region("620121101201")
    household(v1, 3)  # poor
    household(v1, 2, "EXITED", exit_year=2020)  # still poor at the end of 2019
    household(v1, 4, "EXITED", exit_year=2019)  # exited in 2019: not counted
    household(v1, 5, "REMOVED")  # 清退: never counted (its members are inactive anyway)
    household(v1, 1, identified_year=2020)  # identified after 2019
    household(v2, 1)
    household(v4, 5)
    household(v5, 9)
    population(v1, 2019, 200)
    population(v2, 2018, 400)  # no 2019 figure: the latest earlier one is used
    population(v3, 2019, 200)
    population(v4, 2019, 200)
    population(v5, 2019, 3000)
    population(v5, 2020, 9999)  # a later year never leaks into 2019


# code: (poor households, poor population, rural population, rate)
EXPECTED_2019 = {
    "622926101201": (2, 5, 200, Decimal("0.025")),
    "622926101202": (1, 1, 400, Decimal("0.0025")),
    "622926102201": (0, 0, 200, Decimal("0")),
    "622921101201": (1, 5, 200, Decimal("0.025")),
    "620121101201": (1, 9, 3000, Decimal("0.003")),
    "622926101000": (3, 6, 600, Decimal("0.01")),
    "622926102000": (0, 0, 200, Decimal("0")),
    "622921101000": (1, 5, 200, Decimal("0.025")),
    "620121101000": (1, 9, 3000, Decimal("0.003")),
    "622926000000": (3, 6, 800, Decimal("0.0075")),
    "622921000000": (1, 5, 200, Decimal("0.025")),
    "620121000000": (1, 9, 3000, Decimal("0.003")),
    "622900000000": (4, 11, 1000, Decimal("0.011")),
    "620100000000": (1, 9, 3000, Decimal("0.003")),
    # 20 / 4000, not the mean of the two cities' rates (0.007).
    "620000000000": (5, 20, 4000, Decimal("0.005")),
}


def written_2019():
    return {
        row.region_id: (row.poor_households, row.poor_population, row.rural_population, row.rate)
        for row in IncidenceRate.objects.filter(year=2019)
    }


def test_incidence_at_all_five_levels_equals_the_hand_computed_figures(province_fixture):
    summary = recompute_incidence(2019)
    assert summary == {"rows": {2019: len(EXPECTED_2019)}}
    assert written_2019() == EXPECTED_2019


def test_recompute_is_idempotent_and_follows_changes(province_fixture):
    recompute_incidence(2019)
    recompute_incidence(2019)
    assert IncidenceRate.objects.filter(year=2019).count() == len(EXPECTED_2019)
    assert written_2019() == EXPECTED_2019
    for exited in Household.objects.filter(village_id="620121101201"):
        with_history(exited, status="EXITED", exit_year=2019)
    recompute_incidence(2019)
    assert IncidenceRate.objects.get(region_id="620000000000", year=2019).poor_population == 11


def test_live_figure_of_one_region_matches_the_stored_one(province_fixture):
    recompute_incidence(2019)
    for code in ("622926101201", "622926000000", "620000000000"):
        live = incidence_of(code.rstrip("0") if code != "622926101201" else code, 2019)
        stored = IncidenceRate.objects.get(region_id=code, year=2019)
        assert (live.poor_households, live.poor_population, live.rural_population) == (
            stored.poor_households,
            stored.poor_population,
            stored.rural_population,
        )
        assert live.rate == stored.rate


def test_threshold_is_strict_on_unrounded_figures(province_fixture):
    recompute_incidence(2019)
    village = IncidenceRate.objects.get(region_id="622926101201", year=2019)  # exactly 2.5 %
    assert village.is_below(Decimal("0.025")) is False
    assert village.is_below(Decimal("0.0250001")) is True


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_recomputes_leave_one_consistent_result(province_fixture):
    errors = []

    def run():
        try:
            recompute_incidence(2019)
            recompute_ratings(2019)
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    County.objects.create(region=region("622926000000"), is_poverty_county=True, is_west=True)
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert written_2019() == EXPECTED_2019
    assert CountyRating.objects.filter(year=2019).count() == 5  # one county: four quarters and the year


# --- the chain recompute after a write ----------------------------------------------------


def stored(year):
    return {
        row.region_id: (row.poor_households, row.poor_population, row.rural_population, row.rate)
        for row in IncidenceRate.objects.filter(year=year)
    }


def full_figures(year):
    """What the full upsert writes for `year` now (the reference the chain must equal)."""
    recompute_incidence_rates(year)
    return stored(year)


def test_the_chain_of_a_changed_village_equals_the_full_recompute(province_fixture):
    recompute_incidence(2019)
    v1, v4 = Region.objects.get(code="622926101201"), Region.objects.get(code="622921101201")
    household(v1, 6)  # a new poor household
    for exited in Household.objects.filter(village=v4):
        with_history(exited, status="EXITED", exit_year=2019)
    assert recompute_chain_rates("622926101201", 2019) == 5  # village, township, county, city, province
    assert recompute_chain_rates("622921101201", 2019) == 5
    chained = stored(2019)
    assert chained["622926101201"] == (3, 11, 200, Decimal("0.055"))
    assert chained["620000000000"] == (5, 21, 4000, Decimal("0.00525"))
    assert chained == full_figures(2019)


def test_the_chain_writes_only_its_five_regions(province_fixture):
    recompute_incidence(2019)
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    IncidenceRate.objects.update(computed_at=long_ago)
    recompute_chain_rates("620121101201", 2019)
    moved = set(IncidenceRate.objects.exclude(computed_at=long_ago).values_list("region_id", flat=True))
    assert moved == {"620121101201", "620121101000", "620121000000", "620100000000", "620000000000"}


def test_a_year_never_computed_gets_the_full_recompute(province_fixture):
    assert recompute_chain_rates("622926101201", 2019) == len(EXPECTED_2019)
    assert written_2019() == EXPECTED_2019


VILLAGES = ["622926101201", "622926101202", "622926102201", "622921101201", "620121101201"]
# status, identified year, exit year: what one household's log says.
HISTORIES = st.one_of(
    st.tuples(st.just("POOR"), st.integers(2016, 2020), st.none()),
    st.integers(2016, 2019).flatmap(
        lambda start: st.tuples(st.just("EXITED"), st.just(start), st.integers(start, 2020))
    ),
    st.tuples(st.sampled_from(["REMOVED", "CANCELLED"]), st.integers(2016, 2020), st.none()),
)
HOUSEHOLDS = st.tuples(st.sampled_from(VILLAGES), st.integers(1, 8), HISTORIES)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(initial=st.lists(HOUSEHOLDS, max_size=8), changes=st.lists(HOUSEHOLDS, min_size=1, max_size=4))
def test_chains_after_any_changes_equal_the_full_recompute(initial, changes):
    """Households added or re-dated in some villages; the chains of those villages, run one
    after another, leave the same rows for 2019 and 2020 as the full upsert."""
    with transaction.atomic():
        for code in VILLAGES:
            population(region(code), 2018, 100 + int(code[-3:]))
        created = [
            with_history(
                HouseholdFactory(village_id=code, member_count=size),
                status=status,
                identified_year=start,
                exit_year=end,
            )
            for code, size, (status, start, end) in initial
        ]
        for year in (2019, 2020):
            recompute_incidence_rates(year)
        touched = set()
        for position, (code, size, (status, start, end)) in enumerate(changes):
            if created and position % 2:  # re-date an existing household
                target = created[position % len(created)]
            else:  # or register a new one
                target = HouseholdFactory(village_id=code, member_count=size)
            with_history(target, status=status, identified_year=start, exit_year=end)
            touched.add(target.village_id)
        for code in sorted(touched):
            for year in (2019, 2020):
                recompute_chain_rates(code, year)
        chained = {year: stored(year) for year in (2019, 2020)}
        assert chained == {year: full_figures(year) for year in (2019, 2020)}
        transaction.set_rollback(True)


# --- ratings ---------------------------------------------------------------------------


@pytest.fixture
def rated_county(db):
    """东乡 2019: plan 10 people; exits 4 in May and 4 at year end; 4 households assisted,
    2 with measures, 1 with a helper; a Q2 sample with 1 % wrong exits and 95 % approval."""
    county = region("622926000000")
    County.objects.create(region=county, is_poverty_county=True, is_west=True)
    village = region("622926101201")
    ReductionPlan.objects.create(county=county, year=2019, planned_exit_population=10)
    exited_in_may = household(village, 4, "EXITED", exit_year=2019)
    AdjustmentRecord.objects.filter(household=exited_in_may, kind="EXITED").update(effective_date=date(2019, 5, 10))
    household(village, 4, "EXITED", exit_year=2019)  # its 脱贫 dated 31 December: counted in Q4 only
    poor = [household(village, 2), household(village, 3)]
    household(village, 2, "EXITED", exit_year=2018)  # exited before 2019: not assisted in 2019
    for measured in (exited_in_may, poor[0]):
        AidMeasure.objects.create(household=measured, category="01", year=2019, description="养殖")
    helper = Helper.objects.create(name="干部", unit="县直", level="3", region=region("622926101000"))
    HelperAssignment.objects.create(helper=helper, household=poor[1], start_date=date(2019, 1, 1))
    SampleSurvey.objects.create(
        county=county,
        year=2019,
        quarter=2,
        sampled_exited_population=100,
        wrong_exit_population=1,
        sampled_unregistered_population=100,
        omitted_population=0,
        surveyed_households=100,
        approving_households=95,
    )
    return county


def test_rating_on_the_hand_computed_fixture(rated_county):
    # Q1: 减贫 0; 识别 0 (no sample yet); 帮扶 (0.5 + 0.25 + 0) / 3 → 20 × 0.25 = 5.
    # Q2, Q3: 减贫 40 × 4/10 = 16; 识别 20 × (1 − (1 %/2 % + 0)/2) = 15; 帮扶 20 × (0.5 + 0.25 + 0.95)/3 = 11.3333.
    # Q4: 减贫 40 × 8/10 = 32, the rest as Q2: 58.3333.
    # Year: 0.2 × 5 + 0.2 × 42.3333 + 0.2 × 42.3333 + 0.4 × 58.3333 = 41.2667 → D (组织调整).
    recompute_ratings(2019)
    ratings = {rating.period: rating for rating in CountyRating.objects.filter(county=rated_county, year=2019)}
    assert {period: rating.score for period, rating in ratings.items()} == {
        "Q1": Decimal("5.0000"),
        "Q2": Decimal("42.3333"),
        "Q3": Decimal("42.3333"),
        "Q4": Decimal("58.3333"),
        "YEAR": Decimal("41.2667"),
    }
    year = ratings["YEAR"]
    assert year.grade == "D"
    assert year.consequence == "组织调整"
    assert year.veto_reasons == []
    reduction = next(value for value in ratings["Q4"].indicator_values if value["code"] == "REDUCTION")
    assert reduction["detail"] == "脱贫8人 / 计划10人。"
    assert Decimal(reduction["score"]) == Decimal("32.0")
    funds = next(value for value in ratings["Q4"].indicator_values if value["code"] == "FUNDS")
    assert Decimal(funds["score"]) == 0


def test_grade_thresholds_are_data_and_a_veto_gives_d(rated_county):
    scheme = RatingScheme.objects.get(year__isnull=True)
    scheme.pk = None
    scheme.year = 2019
    scheme.name = "2019年方案"
    scheme.grade_thresholds = {"A": 40, "B": 30, "C": 20}
    scheme.full_clean()
    scheme.save()
    recompute_ratings(2019)
    year = CountyRating.objects.get(county=rated_county, year=2019, period="YEAR")
    assert (year.grade, year.consequence) == ("A", "提拔使用")
    assert CountyRating.objects.get(county=rated_county, year=2019, period="Q2").grade == "A"  # 42.33 ≥ 40

    SampleSurvey.objects.filter(county=rated_county).update(wrong_exit_population=2)  # 2 % is not below 2 %
    recompute_ratings(2019)
    year = CountyRating.objects.get(county=rated_county, year=2019, period="YEAR")
    assert year.grade == "D"
    assert year.veto_reasons == ["错退率≥2%（2.00%）"]
    assert year.consequence == "组织调整"


def test_scheme_validation_speaks_chinese(db):
    scheme = RatingScheme(
        name="错",
        indicators=[{"code": "REDUCTION", "name": "减贫成效", "weight": 50}],
        grade_thresholds={"A": 80, "B": 90, "C": 70},
        quarter_weights={"Q1": "0.25", "Q2": "0.25", "Q3": "0.25", "Q4": "0.2"},
        veto_rules=[{"code": "NOPE"}],
    )
    with pytest.raises(Exception) as error:
        scheme.full_clean()
    messages = error.value.message_dict
    assert messages["indicators"] == ["指标权重合计应为100，现为50。"]
    assert messages["grade_thresholds"] == ["等级分数线应满足 A > B > C。"]
    assert "季度权重合计应为1" in messages["quarter_weights"][0]
    assert "一票否决规则代码" in messages["veto_rules"][0]


def test_a_county_without_data_gets_no_grade_and_shows_no_data(rated_county, client):
    """东乡 has a plan, a sample and households; 临夏县 has nothing to rate: 无数据, not a D."""
    empty = region("622921000000", "临夏县")
    County.objects.create(region=empty, is_poverty_county=True, is_west=True)
    recompute_ratings(2019)
    ratings = CountyRating.objects.filter(county=empty, year=2019)
    assert ratings.count() == 5
    assert {(rating.grade, rating.score, rating.consequence) for rating in ratings} == {(None, None, "")}
    assert CountyRating.objects.get(county=rated_county, year=2019, period="YEAR").grade == "D"  # a result

    reviewer = UserFactory(role=Role.CITY_REVIEWER, region=region("622900000000"))
    login(client, reviewer)
    page = client.get(reverse("assessment:dashboard_region", args=["622900000000"]), {"year": 2019})
    html = page.content.decode()
    row = html[html.index('data-county="622921000000"') :]
    row = row[: row.index("</tr>")]
    assert "无数据" in row and "grade-" not in row
    sheet = ratings_report(reviewer, "6229", year=2019)
    rows = {(row[0], row[2]): row for row in sheet.rows}
    assert rows[("临夏县", "全年")][-5:] == [None, None, "无数据", "", ""]  # 扶贫资金, 总分, 等级, …
    assert rows[("622926000000名", "全年")][-3] == "D"
