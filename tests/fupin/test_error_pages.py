"""400, 403, 404 and CSRF failures: the project's own Chinese pages (JSON under /api/), with DEBUG off, leaking nothing.

The 500 and 503 pages are in test_serving.py; this file is also the URLconf of the tests marked
`urls(__name__)`: the project's URLs plus views that fail in the ways Django turns into 400 and 403.
"""

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.template import loader
from django.test import Client
from django.urls import include, path
from django.urls import reverse as url

from tests.conftest import login
from tests.factories import household_with_members


def denied_in_english(request):
    raise PermissionDenied("internal rule X refused user 42 at /secret/path")


def denied_in_chinese(request):
    raise PermissionDenied("县级审核员无权提出农户识别、退出、返贫、清退、销户申请（由乡镇录入员办理）。")


def suspicious(request):
    raise SuspiciousOperation("Invalid HTTP_HOST header: 'evil.example'")


urlpatterns = [
    path("denied-english/", denied_in_english),
    path("denied-chinese/", denied_in_chinese),
    path("api/v1/denied-chinese/", denied_in_chinese),
    path("suspicious/", suspicious),
    path("api/v1/suspicious/", suspicious),
    path("", include("fupin.urls")),
]
handler400 = "fupin.errors.bad_request"
handler403 = "fupin.errors.permission_denied"
handler404 = "fupin.errors.page_not_found"
handler500 = "fupin.errors.server_error"

LEAKS = ("Traceback", "Django", "URLconf", "settings.py", "DEBUG")


def assert_no_leak(page: str) -> None:
    for word in LEAKS:
        assert word not in page, word


def assert_ways_back(page: str) -> None:
    assert 'href="/"' in page and "回到首页" in page
    assert "data-history-back" in page and "返回上一页" in page


def test_debug_is_off_in_these_tests(settings):
    assert settings.DEBUG is False


@pytest.mark.django_db
def test_a_page_that_does_not_exist_is_the_chinese_404_with_ways_back_and_no_echo(client, clerk_a):
    login(client, clerk_a)
    response = client.get("/no-such-page-xyz<b>/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "页面不存在（404）" in page
    assert_ways_back(page)
    assert_no_leak(page)
    assert "no-such-page-xyz" not in page  # the path typed is not echoed back


@pytest.mark.django_db
def test_an_unknown_api_address_answers_chinese_json_not_an_html_page(client, clerk_a):
    login(client, clerk_a)
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "未找到或无权查看。"}


@pytest.mark.django_db
def test_a_page_out_of_the_users_region_looks_like_one_that_does_not_exist(client, two_townships, clerk_a):
    other = household_with_members(two_townships["village_b"], size=2)
    login(client, clerk_a)
    response = client.get(url("households:detail", args=[other.pk]))
    assert response.status_code == 404
    page = response.content.decode()
    assert "页面不存在（404）" in page and "No Household matches" not in page


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_the_403_page_says_our_chinese_reason_inside_the_layout(client, clerk_a):
    login(client, clerk_a)
    response = client.get("/denied-chinese/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "无权操作（403）" in page and "由乡镇录入员办理" in page
    assert "所属单位" in page  # the layout, with the navigation
    assert_ways_back(page)
    assert_no_leak(page)


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_a_refusal_worded_in_english_shows_the_chinese_default_and_not_its_text(client, clerk_a):
    login(client, clerk_a)
    response = client.get("/denied-english/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "您的角色无权进行此操作。" in page
    assert "internal rule" not in page and "/secret/path" not in page


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_a_refusal_under_the_api_is_chinese_json(client, clerk_a):
    login(client, clerk_a)
    response = client.get("/api/v1/denied-chinese/")
    assert response.status_code == 403
    assert response.json() == {"detail": "县级审核员无权提出农户识别、退出、返贫、清退、销户申请（由乡镇录入员办理）。"}


@pytest.mark.urls(__name__)
def test_a_bad_request_is_the_chinese_400_page_without_the_exceptions_text(client):
    response = client.get("/suspicious/")
    assert response.status_code == 400
    page = response.content.decode()
    assert "请求无效（400）" in page and "返回上一页" in page
    assert "evil.example" not in page and "HTTP_HOST" not in page and "Bad Request" not in page
    api = client.get("/api/v1/suspicious/")
    assert api.status_code == 400 and api.json() == {"detail": "请求无效，请返回上一页检查后重试。"}


@pytest.mark.django_db
def test_a_form_posted_without_its_csrf_token_is_a_chinese_403_not_djangos_page(clerk_a):
    browser = Client(enforce_csrf_checks=True)
    login(browser, clerk_a)
    response = browser.post(url("logout"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "页面已过期或缺少安全校验（CSRF），请刷新页面后重新提交。" in page
    assert "CSRF verification failed" not in page and "Forbidden" not in page
    assert_ways_back(page)


def test_the_500_page_has_both_ways_back(client):
    page = loader.get_template("500.html").render({})
    assert "服务器错误（500）" in page
    assert_ways_back(page)
