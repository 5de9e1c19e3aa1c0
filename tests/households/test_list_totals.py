"""The household list counts, sorts, shows the region columns above a township and finds by full pinyin."""

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.codes import Role
from core.totals import EXACT_LIMIT, Total, list_total, rounded
from households.codes import HouseholdStatus, Relation
from households.models import Household
from households.selectors import household_total
from households.services import register_household, update_household
from tests.conftest import login
from tests.factories import HouseholdFactory, UserFactory, region
from tests.households.conftest import household_data, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def township(db):
    """锁南镇 of 东乡族自治县, two villages, five households (16 people); one household in 达板镇 beside it."""
    county = region("622926000000", "东乡族自治县")
    suonan = region("622926101000", "锁南镇")
    honglju, dongyuan = region("622926101201", "红柳村"), region("622926101202", "东塬村")
    rows = [
        (dongyuan, "H003", "马成明", 5, HouseholdStatus.POOR, 2016),
        (honglju, "H001", "何秀英", 2, HouseholdStatus.EXITED, 2014),
        (honglju, "H005", "阿卜杜", 4, HouseholdStatus.POOR, 2015),
        (dongyuan, "H002", "张三", 1, HouseholdStatus.ORDINARY, None),
        (honglju, "H004", "李四", 4, HouseholdStatus.EXITED, 2017),
    ]
    households = [
        HouseholdFactory(
            village=village,
            household_no=number,
            head_name=name,
            member_count=size,
            status=status,
            identified_year=year,
        )
        for village, number, name, size, status, year in rows
    ]
    HouseholdFactory(village=region("622926102201", "达板村"), household_no="H900", head_name="外乡", member_count=9)
    return {"county": county, "township": suonan, "households": households}


@pytest.fixture
def clerk(township):
    return UserFactory(role=Role.TOWNSHIP_CLERK, region=township["township"])


@pytest.fixture
def county_reviewer(township):
    return UserFactory(role=Role.COUNTY_REVIEWER, region=township["county"])


def listed(client, **params):
    response = client.get(reverse("households:list"), params)
    assert response.status_code == 200
    return response


def numbers(response) -> list[str]:
    return [household.household_no for household in response.context["households"]]


# --- totals -----------------------------------------------------------------------------------


def test_a_township_clerk_sees_the_exact_total_of_households_and_people(client, clerk):
    login(client, clerk)
    page = listed(client).content.decode()
    assert "共 <strong>5</strong> 户 / <strong>16</strong> 人" in page
    assert 'data-estimate="0"' in page and "约" not in page


def test_the_total_follows_the_filters(client, clerk):
    login(client, clerk)
    page = listed(client, status=HouseholdStatus.EXITED).content.decode()
    assert "共 <strong>2</strong> 户 / <strong>6</strong> 人" in page
    page = listed(client, q="何").content.decode()
    assert "共 <strong>1</strong> 户 / <strong>2</strong> 人" in page


def test_a_county_list_counts_exactly_while_it_is_small(client, county_reviewer):
    login(client, county_reviewer)
    page = listed(client).content.decode()
    assert "共 <strong>6</strong> 户 / <strong>25</strong> 人" in page and 'data-estimate="0"' in page


def test_a_county_list_is_counted_along_the_village_index_not_by_a_scan_from_anywhere(county_reviewer):
    # Unordered, PostgreSQL may read a LIMIT by a sequential scan that starts wherever another scan
    # of the table is: at 2,000,000 households one county's count took 11 to 460 ms by where it began.
    with CaptureQueriesContext(connection) as queries:
        total = household_total(county_reviewer, {})
    assert (total.rows, total.people, total.is_estimate) == (6, 25, False)
    bounded = [query["sql"] for query in queries if f"LIMIT {EXACT_LIMIT + 1}" in query["sql"]]
    assert len(bounded) == 1
    order = '"households_household"."village_id" ASC, "households_household"."id" ASC'
    assert f"ORDER BY {order} LIMIT {EXACT_LIMIT + 1}" in bounded[0]


def test_a_large_list_above_the_township_is_estimated_and_labelled(client, county_reviewer, monkeypatch):
    # As if the county held more households than an exact count may read (core/totals.py::EXACT_LIMIT).
    monkeypatch.setattr("core.totals.EXACT_LIMIT", 0)
    login(client, county_reviewer)
    page = listed(client).content.decode()
    assert 'data-estimate="1"' in page and "约 <strong>" in page and "（估算）" in page
    assert "共 <strong>" not in page
    # Chosen down to one township, the count is exact again, whatever its size.
    page = listed(client, region="622926101000").content.decode()
    assert "共 <strong>5</strong> 户 / <strong>16</strong> 人" in page and 'data-estimate="0"' in page


def test_a_list_longer_than_the_limit_is_estimated_never_below_what_was_counted(township, monkeypatch):
    assert rounded(1_234_567) == 1_230_000 and rounded(987) == 987
    monkeypatch.setattr("core.totals.EXACT_LIMIT", 2)
    total = list_total(Household.objects.all(), people_field="member_count")
    assert total.is_estimate and total.rows >= 3 and total.people > 0
    # Up to the limit the count is exact, whatever the planner thinks (a bounded read).
    total = list_total(Household.objects.filter(household_no__in=["H001", "H002"]), people_field="member_count")
    assert (total.rows, total.people, total.is_estimate) == (2, 3, False)
    assert list_total(Household.objects.none(), people_field="member_count") == Total(rows=0, people=0)


def test_the_api_returns_the_count_and_says_whether_it_is_estimated(client, clerk, county_reviewer, monkeypatch):
    login(client, clerk)
    body = client.get("/api/v1/households/").json()
    assert (body["count"], body["count_is_estimate"], body["people"]) == (5, False, 16)
    assert client.get("/api/v1/households/", {"status": "EXITED"}).json()["count"] == 2
    client.logout()
    monkeypatch.setattr("core.totals.EXACT_LIMIT", 0)
    login(client, county_reviewer)
    body = client.get("/api/v1/households/").json()
    assert body["count_is_estimate"] is True and body["count"] >= 1 and len(body["results"]) == 6


# --- sorting ----------------------------------------------------------------------------------

# Expected orders of the fixture's households by each header; id breaks ties (H005 before H004: created first).
EXPECTED = {
    "village": ["H001", "H005", "H004", "H003", "H002"],
    "household_no": ["H001", "H002", "H003", "H004", "H005"],
    "member_count": ["H002", "H001", "H005", "H004", "H003"],
    "status": ["H001", "H004", "H002", "H003", "H005"],  # EXITED < ORDINARY < POOR
    "identified_year": ["H002", "H001", "H005", "H003", "H004"],  # 一般农户 without a year first
}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_the_list_sorts_by_each_column_both_ways(client, clerk, key):
    login(client, clerk)
    assert numbers(listed(client, sort=key)) == EXPECTED[key]
    assert numbers(listed(client, sort=f"-{key}")) == list(reversed(EXPECTED[key]))


def test_sorting_by_head_name_is_stable_and_by_the_name(client, clerk):
    login(client, clerk)
    names = [household.head_name for household in listed(client, sort="head_name").context["households"]]
    assert names == sorted(names)


def test_a_header_link_sorts_then_reverses(client, clerk):
    login(client, clerk)
    page = listed(client).content.decode()
    assert 'href="?sort=member_count"' in page and 'aria-sort="ascending"' in page  # 所在村, the default
    page = listed(client, sort="member_count").content.decode()
    assert 'href="?sort=-member_count"' in page


def test_keyset_pages_walk_a_sorted_list_once(client, clerk, monkeypatch):
    monkeypatch.setattr("households.views.PAGE_SIZE", 2)
    login(client, clerk)
    seen, after = [], ""
    for _ in range(5):
        response = listed(client, sort="-member_count", **({"after": after} if after else {}))
        seen += numbers(response)
        after = response.context["next_after"]
        if not after:
            break
    assert seen == list(reversed(EXPECTED["member_count"]))


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "phone"},
        {"sort": "-"},
        {"sort": "village_id; drop table"},
        {"sort": "member_count", "after": "abc-1"},
        {"sort": "identified_year", "after": "99999999999999999999-1"},
        {"sort": "head_name", "after": "-"},
    ],
)
def test_an_unknown_sort_or_token_falls_back_without_an_error(client, clerk, params):
    login(client, clerk)
    response = listed(client, **params)
    if params["sort"] not in ("member_count", "identified_year", "head_name"):
        assert numbers(response) == EXPECTED["village"]
    else:
        assert len(numbers(response)) == 5


# --- region columns ---------------------------------------------------------------------------


def test_a_county_user_sees_the_county_and_township_of_each_household(client, county_reviewer):
    login(client, county_reviewer)
    page = listed(client).content.decode()
    assert '<th class="text-nowrap">所属县</th>' in page and '<th class="text-nowrap">所属乡镇</th>' in page
    assert 'data-column="township">锁南镇</td>' in page and 'data-column="township">622926102000名</td>' in page
    assert 'data-column="county">东乡族自治县</td>' in page


def test_the_region_columns_cost_no_query_per_row(client, county_reviewer, django_assert_max_num_queries):
    login(client, county_reviewer)
    listed(client)  # warm the session and the caches
    with django_assert_max_num_queries(12):
        listed(client)


def test_a_township_clerk_has_no_county_or_township_column(client, clerk):
    login(client, clerk)
    page = listed(client).content.decode()
    assert "所属县" not in page and "所属乡镇" not in page


# --- full pinyin ------------------------------------------------------------------------------


@pytest.fixture
def registered(clerk):
    village = region("622926101201")
    made = [
        register_household(user=clerk, village_code=village.code, data=household_data(), members=[member(name=name)])
        for name in ("马成明", "马明", "吕小兰")
    ]
    return made


@pytest.mark.parametrize("query", ["machengming", "ma cheng", "Ma Cheng", "macheng", "ma'cheng", "MCM", "mcm", "马成"])
def test_a_head_is_found_by_full_pinyin_initials_or_name(client, clerk, registered, query):
    login(client, clerk)
    response = client.post(reverse("households:list"), {"q": query}, follow=True)
    found = response.context["households"]
    # The township's other 马成明 (H003, from before the pinyin column) is found by the characters only.
    assert {household.head_name for household in found} == {"马成明"}
    assert registered[0] in found and len(found) == (2 if query == "马成" else 1)


def test_registration_stores_the_full_pinyin_and_a_name_change_keeps_it(clerk, registered):
    household = Household.objects.get(head_name="吕小兰")
    assert household.head_name_pinyin == "lvxiaolan" and household.head_name_initials == "LXL"
    head = household.members.get(relation=Relation.HEAD)
    payload = [{"id": head.pk, "name": "吕大兰", "relation": Relation.HEAD, "id_number": head.id_number}]
    version = household.version
    update_household(user=clerk, household_id=household.pk, expected_version=version, data={}, members=payload)
    household.refresh_from_db()
    assert household.head_name_pinyin == "lvdalan" and household.head_name_initials == "LDL"


def test_the_api_finds_by_full_pinyin(client, clerk, registered):
    login(client, clerk)
    body = client.get("/api/v1/households/", {"q": "ma ming"}).json()
    assert [row["head_name"] for row in body["results"]] == ["马明"] and body["count"] == 1


def test_the_migration_fills_the_pinyin_of_households_registered_before_it(township):
    Household.objects.update(head_name_pinyin="")
    migration = importlib.import_module("households.migrations.0016_household_head_name_pinyin")
    migration.fill_pinyin(None, SimpleNamespace(connection=connection))
    assert Household.objects.get(household_no="H003").head_name_pinyin == "machengming"
    assert not Household.objects.filter(head_name_pinyin="").exists()
