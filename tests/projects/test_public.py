"""The public notice board of a village: reachable without login, and nothing personal on it
beyond each beneficiary's 户主 name and planned amount."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from households.models import Member
from projects import services
from tests.factories import region

from .conftest import PROJECT, declare, finished_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(area):
    from tests.factories import household_with_members

    household = household_with_members(area["village"], size=3)
    household.head_name = "马福海"
    household.phone = "13909390123"
    household.save()
    project = declare(area["clerk"], name="红柳村养殖合作社", budget="300000.00")
    services.set_beneficiary(
        user=area["clerk"], project_id=project.pk, household_id=household.pk, planned_amount="2500.00"
    )
    notice = finished_notice(area["reviewer"], project)
    return {"household": household, "project": project, "notice": notice}


def public_url(code="622926101201"):
    return reverse("public:village_notices", args=[code])


def test_the_board_is_public_and_shows_the_head_and_the_amount(client, area, board):
    response = client.get(public_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "马福海" in page and "2500.00" in page
    assert "红柳村养殖合作社" in page and "产业发展" in page and "300000.00" in page
    assert "红柳村公示栏" in page and board["notice"].start_date.isoformat() in page
    assert "扶贫监督举报电话" in page and "12317" in page
    assert "往期公告公示" in page  # the notice's period is over: it is listed among the past ones


def test_the_board_never_shows_id_numbers_phones_household_numbers_or_members(client, area, board):
    household = board["household"]
    members = list(Member.objects.filter(household=household))
    page = client.get(public_url()).content.decode()
    assert household.phone not in page and household.phone[-4:] not in page
    assert household.household_no not in page
    for member in members:
        assert member.id_number not in page
        assert member.id_number_masked not in page
        assert member.name not in page  # 成员0, 成员1, 成员2: the roster is not public
    assert "身份证" not in page and "电话：1" not in page


def test_a_current_notice_is_listed_as_current_and_a_future_one_not_at_all(client, area, board):
    today = timezone.localdate()
    arguments = {
        "user": area["reviewer"],
        "region_code": "622926101201",
        "content": "内容",
        "place": "村委会门口",
        "project_id": board["project"].pk,
    }
    services.post_notice(**arguments, title="正在进行的公示", start_date=today - timedelta(days=1))
    services.post_notice(**arguments, title="下个月的公示", start_date=today + timedelta(days=30))
    page = client.get(public_url()).content.decode()
    current = page.split("正在公示")[1].split("往期公告公示")[0]
    assert "正在进行的公示" in current
    assert "下个月的公示" not in page


def test_another_villages_board_shows_neither_its_projects_nor_its_households(client, area, board):
    page = client.get(public_url("622926101202")).content.decode()
    assert "红柳村养殖合作社" not in page and "马福海" not in page
    assert client.get(public_url("622926101000")).status_code == 404  # a township is not a village
    assert client.get(public_url("999999999999")).status_code == 404


def test_a_logged_in_user_sees_the_same_board(client, area, board):
    from tests.conftest import login

    login(client, area["other_clerk"])  # scope does not matter: the board is public
    assert "马福海" in client.get(public_url()).content.decode()


def test_the_fund_notices_of_the_county_are_on_the_board_too(client, area, board):
    from funds.models import FundSource

    source = FundSource.objects.create(
        county=area["county"],
        level="1",
        year=2019,
        document_no="甘财农〔2019〕12号",
        purpose="产业扶贫",
        amount="1200000.00",
        received_on=timezone.localdate() - timedelta(days=40),
        created_by=area["reviewer"],
    )
    services.post_notice(
        user=area["reviewer"],
        region_code="622926000000",
        title="2019年中央财政专项扶贫资金分配公告",
        content="资金分配结果",
        place="县政府网站",
        start_date=timezone.localdate() - timedelta(days=2),
        fund_source_id=source.pk,
    )
    page = client.get(public_url()).content.decode()
    assert "2019年中央财政专项扶贫资金分配公告" in page and "甘财农〔2019〕12号" in page and "1200000.00" in page


def test_a_county_wide_projects_notice_is_on_every_village_board_of_the_county(client, area, board):
    project = services.declare_project(
        user=area["reviewer"],
        data={**PROJECT, "name": "全县光伏扶贫电站"},
        village_codes=[],
        county_code="622926000000",
    )
    finished_notice(area["reviewer"], project, region_code="622926000000")
    for village in ("622926101201", "622926101202", "622926102201"):
        assert "全县光伏扶贫电站" in client.get(public_url(village)).content.decode()
    region("622921101201", "别的县的村")
    assert "全县光伏扶贫电站" not in client.get(public_url("622921101201")).content.decode()
    assert "红柳村养殖合作社" not in client.get(public_url("622926101202")).content.decode()
