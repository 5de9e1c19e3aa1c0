import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.statistics import recompute_incidence_rates
from core.codes import Role
from fupin.demo import DEMO_PASSWORD, ensure_demo_users
from households.poverty import current_year
from tests.conftest import login
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "用户登录" in html and "用户名" in html and "密码" in html
    assert 'lang="zh-hans"' in html


def test_home_requires_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_wrong_password_shows_a_chinese_error(client, clerk_a):
    response = client.post(reverse("login"), {"username": clerk_a.username, "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_demo_users_cannot_log_in_outside_demo_mode(client, two_townships, settings):
    settings.FUPIN_DEMO = False
    ensure_demo_users()
    assert not client.login(request=RequestFactory().get("/"), username="demo_province", password=DEMO_PASSWORD)


def test_demo_users_log_in_in_demo_mode(client, settings):
    from tests.factories import region

    region("622926101000")
    region("620000000000", "甘肃省")
    region("622900000000", "临夏回族自治州")
    settings.FUPIN_DEMO = True
    users = {user.username: user for user in ensure_demo_users()}
    assert set(users) == {"demo_clerk", "demo_clerk2", "demo_county", "demo_city", "demo_province", "demo_admin"}
    assert users["demo_clerk"].region_id == "622926101000"
    assert users["demo_county"].region_id == "622926000000"
    assert client.login(request=RequestFactory().get("/"), username="demo_clerk", password=DEMO_PASSWORD)


def test_token_endpoint_returns_a_token_that_authenticates(api_client, clerk_a):
    response = api_client.post(
        "/api/v1/auth/token/", {"username": clerk_a.username, "password": TEST_PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    regions = api_client.get("/api/v1/regions/")
    assert regions.status_code == 200
    assert {row["code"] for row in regions.json()["results"]} == {"622926101000", "622926101201"}


def test_token_endpoint_refuses_a_wrong_password(api_client, clerk_a):
    response = api_client.post("/api/v1/auth/token/", {"username": clerk_a.username, "password": "x"}, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_demo_token_stops_working_outside_demo_mode(api_client, two_townships, settings):
    from rest_framework.authtoken.models import Token

    demo = UserFactory(role=Role.TOWNSHIP_CLERK, region=two_townships["township_a"], is_demo=True)
    token = Token.objects.create(user=demo)
    settings.FUPIN_DEMO = False
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.get("/api/v1/regions/").status_code == 401


def test_repeated_failures_lock_the_username(client, clerk_a):
    for _ in range(5):
        client.post(reverse("login"), {"username": clerk_a.username, "password": "wrong"})
    response = client.post(reverse("login"), {"username": clerk_a.username, "password": TEST_PASSWORD})
    assert response.status_code == 429 or "_auth_user_id" not in client.session


def test_home_shows_the_counts_of_the_users_scope(client, clerk_a, two_townships):
    from tests.factories import household_with_members

    household_with_members(two_townships["village_a"], size=3)
    household_with_members(two_townships["village_b"], size=5)
    recompute_incidence_rates(current_year())  # the poor figures are the year's incidence rows
    login(client, clerk_a)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.context["summary"]["poor_population"] == 3
    assert response.context["summary"]["households"] == 1
    html = response.content.decode()
    assert "甲镇" in html and "乙镇" not in html


def test_admin_home_lists_the_provinces(client, two_townships):
    from tests.factories import household_with_members

    admin = UserFactory(role=Role.ADMIN, region=None)
    household_with_members(two_townships["village_a"], size=2)
    recompute_incidence_rates(current_year())
    login(client, admin)
    response = client.get(reverse("home"))
    assert [child.code for child, _ in response.context["children"]] == ["620000000000"]
    assert response.context["children"][0][1]["poor_population"] == 2


def _region_reads(queries, code: str) -> list[str]:
    """Queries that read one region by its code alone: the user's region read apart from the user."""
    return [
        query["sql"]
        for query in queries
        if query["sql"].startswith('SELECT "villages_region"')
        and f'"villages_region"."code" = \'{code}\'' in query["sql"]
    ]


def test_a_signed_in_page_reads_the_users_region_with_the_user(client, clerk_a):
    login(client, clerk_a)
    with CaptureQueriesContext(connection) as page:
        assert client.get(reverse("households:list")).status_code == 200
    assert _region_reads(page, clerk_a.region_id) == []


def test_a_token_reads_its_users_region_with_the_user_and_refuses_a_bad_or_inactive_one(api_client, clerk_a):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=clerk_a)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    with CaptureQueriesContext(connection) as call:
        assert api_client.get("/api/v1/regions/").status_code == 200
    assert _region_reads(call, clerk_a.region_id) == []
    api_client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    refused = api_client.get("/api/v1/regions/")
    assert refused.status_code == 401 and refused.json()["detail"] == "认证令牌无效。"
    clerk_a.is_active = False
    clerk_a.save()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    refused = api_client.get("/api/v1/regions/")
    assert refused.status_code == 401 and refused.json()["detail"] == "用户未激活或者已删除。"
