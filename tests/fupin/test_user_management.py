"""用户管理 (fupin/accounts.py): province staff create, reset and deactivate the accounts of their province."""

import io

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from rest_framework.authtoken.models import Token

from core.codes import Role
from core.models import User
from fupin import accounts
from tests.conftest import login
from tests.factories import TEST_PASSWORD, UserFactory, region

pytestmark = pytest.mark.django_db

HEADER = ["乡镇代码", "乡镇名称", "用户名", "姓名", "角色"]


@pytest.fixture
def province():
    """甘肃省 with one county of three townships, and a township of 青海省; a manager and the others."""
    world = {
        "province": region("620000000000", "甘肃省"),
        "county": region("622926000000", "东乡族自治县"),
        "suonan": region("622926101000", "锁南镇"),
        "daban": region("622926102000", "达板镇"),
        "nalesi": region("622926103000", "那勒寺镇"),
        "qinghai": region("630102001000", "东关街道"),
    }
    region("622926101201", "红柳村")
    world["manager"] = UserFactory(username="sheng", role=Role.PROVINCE_STAFF, region=world["province"])
    world["county_reviewer"] = UserFactory(role=Role.COUNTY_REVIEWER, region=world["county"])
    world["clerk"] = UserFactory(username="old_clerk", role=Role.TOWNSHIP_CLERK, region=world["suonan"])
    world["outsider"] = UserFactory(role=Role.TOWNSHIP_CLERK, region=world["qinghai"])
    return world


def sheet(*rows, header=HEADER, name="账号.xlsx") -> SimpleUploadedFile:
    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(list(row))
    handle = io.BytesIO()
    book.save(handle)
    return SimpleUploadedFile(name, handle.getvalue())


def manager_client(world) -> Client:
    return login(Client(), world["manager"])


def upload(client, file):
    return client.post(reverse("users:import"), {"file": file})


def test_province_creates_clerk_accounts_for_its_townships_from_a_sheet(province):
    client = manager_client(province)
    preview = upload(
        client,
        sheet(
            ["622926101000", "", "sn_lu", "鲁明", "乡镇录入员"],
            ["", "达板镇", "db_ma", "马芳", ""],  # by name; 角色 left empty is 乡镇录入员
            ["622926103000", "那勒寺镇", "nls_he", "何军", "township_clerk"],
        ),
    )
    assert preview.status_code == 200
    plan = preview.context["plan"]
    assert plan.errors == [] and [account.username for account in plan.accounts] == ["sn_lu", "db_ma", "nls_he"]
    assert not User.objects.filter(username__in=["sn_lu", "db_ma", "nls_he"]).exists()  # a preview writes nothing

    created = client.post(reverse("users:import_confirm"), {"plan": plan.token})
    assert created.status_code == 200
    assert created["Cache-Control"] == "no-store"
    passwords = {row["username"]: row["password"] for row in created.context["created"]}
    users = {user.username: user for user in User.objects.filter(username__in=passwords)}
    assert {name: (user.role, user.region_id, user.get_full_name()) for name, user in users.items()} == {
        "sn_lu": (Role.TOWNSHIP_CLERK, "622926101000", "鲁明"),
        "db_ma": (Role.TOWNSHIP_CLERK, "622926102000", "马芳"),
        "nls_he": (Role.TOWNSHIP_CLERK, "622926103000", "何军"),
    }
    for username, password in passwords.items():
        assert len(password) >= 10
        assert Client().login(request=RequestFactory().get("/"), username=username, password=password)
    entries = LogEntry.objects.filter(user=province["manager"], object_repr__in=list(passwords))
    assert entries.count() == 3 and {entry.change_message for entry in entries} == {"批量创建账号（用户管理）"}

    download = client.get(reverse("users:passwords"))
    assert download.status_code == 200 and download["Cache-Control"] == "no-store"
    rows = list(load_workbook(io.BytesIO(b"".join(download.streaming_content))).active.values)
    assert rows[0] == ("用户名", "姓名", "角色", "所属区划", "初始密码")
    assert {row[0]: row[4] for row in rows[1:]} == passwords
    assert client.get(reverse("users:passwords")).status_code == 404  # once only
    again = client.post(reverse("users:import_confirm"), {"plan": plan.token})  # the same preview twice
    assert again.status_code == 400 and User.objects.filter(username__in=passwords).count() == 3


def test_a_sheet_with_one_bad_row_creates_nothing_and_names_the_row_column_and_reason(province):
    client = manager_client(province)
    response = upload(
        client,
        sheet(
            ["622926101000", "", "good_one", "甲", ""],
            ["622926199000", "", "good_two", "乙", ""],  # no such township
            ["622926102000", "", "OLD_CLERK", "丙", ""],  # taken (case does not matter)
            ["622926103000", "", "good_one", "丁", ""],  # twice in the sheet
            ["622926101000", "", "county_one", "戊", "县级审核员"],  # a county role on a township
            ["", "城关镇", "x_one", "己", ""],
            ["622926103000", "", "bad name!", "", "系统管理员"],
        ),
    )
    assert response.status_code == 400
    assert "未创建任何账号" in response.content.decode()
    errors = {(error.row, error.column): error.reason for error in response.context["plan"].errors}
    assert "未找到区划代码 622926199000" in errors[(3, "乡镇代码")]
    assert "已存在" in errors[(4, "用户名")]
    assert "与第2行重复" in errors[(5, "用户名")]
    assert "县级审核员的所属区划应为县级" in errors[(6, "角色")]
    assert "没有名为“城关镇”的乡镇级区划" in errors[(7, "乡镇名称")]
    assert {(8, "用户名"), (8, "姓名"), (8, "角色")} <= set(errors)
    assert (2, "乡镇代码") not in errors
    assert not User.objects.filter(username__in=["good_one", "good_two", "county_one", "x_one"]).exists()
    assert "第3行" in response.content.decode()


def test_a_township_of_another_province_is_refused(province):
    response = upload(manager_client(province), sheet(["630102001000", "", "qh_one", "青", ""]))
    assert response.status_code == 400
    (error,) = response.context["plan"].errors
    assert (error.row, error.column) == (2, "乡镇代码")
    assert "不在甘肃省范围内" in error.reason
    assert not User.objects.filter(username="qh_one").exists()


def test_a_reviewer_role_is_created_on_its_own_level(province):
    client = manager_client(province)
    plan = upload(client, sheet(["622926000000", "", "xian", "县审核", "县级审核员"])).context["plan"]
    assert plan.errors == []
    assert client.post(reverse("users:import_confirm"), {"plan": plan.token}).status_code == 200
    assert User.objects.get(username="xian").role == Role.COUNTY_REVIEWER


@pytest.mark.parametrize("who", ["county_reviewer", "clerk"])
def test_a_county_reviewer_or_clerk_is_refused_with_403(province, who):
    client = login(Client(), province[who])
    target = province["clerk"]  # in both users' scope (for the clerk, its own account)
    assert client.get(reverse("users:list")).status_code == 403
    assert client.get(reverse("users:import")).status_code == 403
    assert client.get(reverse("users:import_template")).status_code == 403
    assert client.get(reverse("users:detail", args=[target.pk])).status_code == 403
    assert upload(client, sheet(["622926101000", "", "sneaky", "甲", ""])).status_code == 403
    token = accounts.sign_accounts(province[who], [])
    assert client.post(reverse("users:import_confirm"), {"plan": token}).status_code == 403
    assert client.post(reverse("users:reset_password", args=[target.pk])).status_code == 403
    assert client.post(reverse("users:set_active", args=[target.pk]), {"active": "0"}).status_code == 403
    assert not User.objects.filter(username="sneaky").exists()
    target.refresh_from_db()
    assert target.is_active and target.check_password(TEST_PASSWORD)
    assert "用户管理" not in client.get(reverse("home")).content.decode()


def test_a_user_of_another_province_or_an_admin_is_404(province):
    client = manager_client(province)
    admin = UserFactory(role=Role.ADMIN, region=None, is_staff=True, is_superuser=True)
    for target in (province["outsider"], admin):
        assert client.get(reverse("users:detail", args=[target.pk])).status_code == 404
        assert client.post(reverse("users:reset_password", args=[target.pk])).status_code == 404
        assert client.post(reverse("users:set_active", args=[target.pk]), {"active": "0"}).status_code == 404
        target.refresh_from_db()
        assert target.is_active and target.check_password(TEST_PASSWORD)
    listed = client.get(reverse("users:list")).context["page"].object_list
    assert province["outsider"] not in listed and admin not in listed and province["clerk"] in listed


def test_reset_password_shows_a_new_password_once_and_ends_the_old_one(province):
    client = manager_client(province)
    clerk = province["clerk"]
    Token.objects.create(user=clerk)
    for _ in range(5):  # locked out by django-axes after five wrong passwords
        Client().post(reverse("login"), {"username": clerk.username, "password": "wrong-password"})
    assert not Client().login(request=RequestFactory().get("/"), username=clerk.username, password=TEST_PASSWORD)
    response = client.post(reverse("users:reset_password", args=[clerk.pk]))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    password = response.context["password"]
    assert password in response.content.decode()
    clerk.refresh_from_db()
    assert clerk.check_password(password) and not clerk.check_password(TEST_PASSWORD)
    assert Client().login(request=RequestFactory().get("/"), username=clerk.username, password=password)
    assert not Token.objects.filter(user=clerk).exists()  # the API token of the old password is gone
    entry = LogEntry.objects.get(object_id=str(clerk.pk))
    assert (entry.user, entry.change_message) == (province["manager"], "重置密码（用户管理）")
    detail = client.get(reverse("users:detail", args=[clerk.pk])).content.decode()
    assert "重置密码（用户管理）" in detail and password not in detail


def test_a_deactivated_user_cannot_log_in_and_can_be_reactivated(province):
    client = manager_client(province)
    clerk = province["clerk"]
    response = client.post(reverse("users:set_active", args=[clerk.pk]), {"active": "0"})
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert not clerk.is_active
    assert not Client().login(request=RequestFactory().get("/"), username=clerk.username, password=TEST_PASSWORD)
    assert clerk not in client.get(reverse("users:list"), {"active": "1"}).context["page"].object_list
    assert clerk in client.get(reverse("users:list"), {"active": "0"}).context["page"].object_list
    client.post(reverse("users:set_active", args=[clerk.pk]), {"active": "1"})
    clerk.refresh_from_db()
    assert clerk.is_active
    assert Client().login(request=RequestFactory().get("/"), username=clerk.username, password=TEST_PASSWORD)
    messages = list(LogEntry.objects.filter(object_id=str(clerk.pk)).values_list("change_message", flat=True))
    assert sorted(messages) == ["停用账号（用户管理）", "启用账号（用户管理）"]


def test_a_manager_cannot_deactivate_or_reset_themselves(province):
    client = manager_client(province)
    manager = province["manager"]
    response = client.post(reverse("users:set_active", args=[manager.pk]), {"active": "0"}, follow=True)
    assert "不能停用或启用自己的账号" in response.content.decode()
    client.post(reverse("users:reset_password", args=[manager.pk]))
    manager.refresh_from_db()
    assert manager.is_active and manager.check_password(TEST_PASSWORD)


def test_the_list_filters_by_role_region_state_and_name(province):
    client = manager_client(province)
    UserFactory(username="daban_clerk", first_name="马小红", role=Role.TOWNSHIP_CLERK, region=province["daban"])

    def listed(**query):
        return {user.username for user in client.get(reverse("users:list"), query).context["page"].object_list}

    assert listed() >= {"sheng", "old_clerk", "daban_clerk", province["county_reviewer"].username}
    assert province["outsider"].username not in listed()
    assert listed(role=Role.COUNTY_REVIEWER) == {province["county_reviewer"].username}
    assert listed(q="小红") == {"daban_clerk"}
    assert listed(q="OLD_") == {"old_clerk"}
    assert "sheng" not in listed(region="622926000000")
    page = client.get(reverse("users:list"), {"region": "999999999999", "role": "admin"})
    assert page.status_code == 200  # a choice not offered is ignored, never a 500


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (b"not a workbook at all", "账号.xlsx", "不是 Excel"),
        (b"PK\x03\x04broken zip", "账号.xlsx", "已损坏"),
    ],
)
def test_a_broken_file_is_a_400_with_a_reason(province, content, name, reason):
    response = upload(manager_client(province), SimpleUploadedFile(name, content))
    assert response.status_code == 400
    assert reason in " ".join(response.context["errors"])


def test_a_sheet_without_its_columns_or_rows_is_a_400(province):
    client = manager_client(province)
    no_header = upload(client, sheet(["甲", "乙"], header=["名字", "单位"]))
    assert no_header.status_code == 400 and "找不到表头" in " ".join(no_header.context["errors"])
    missing = upload(client, sheet(["sn"], header=["用户名"]))
    assert missing.status_code == 400 and "姓名" in " ".join(missing.context["errors"])
    empty = upload(client, sheet())
    assert empty.status_code == 400 and "没有数据行" in " ".join(empty.context["errors"])
    nothing = client.post(reverse("users:import"), {})
    assert nothing.status_code == 400


def test_a_tampered_or_foreign_preview_is_refused(province):
    client = manager_client(province)
    rows = [accounts.Account(2, "forged", "某", Role.PROVINCE_STAFF, "620000000000", "甘肃省")]
    foreign = accounts.sign_accounts(province["county_reviewer"], rows)  # signed for someone else
    for token in ("garbage", foreign):
        response = client.post(reverse("users:import_confirm"), {"plan": token})
        assert response.status_code == 400 and "预览已失效" in " ".join(response.context["errors"])
    assert not User.objects.filter(username="forged").exists()


def test_a_username_taken_after_the_preview_creates_nothing(province):
    client = manager_client(province)
    plan = upload(
        client, sheet(["622926101000", "", "first_one", "甲", ""], ["622926102000", "", "second_one", "乙", ""])
    ).context["plan"]
    UserFactory(username="second_one", region=province["daban"])
    response = client.post(reverse("users:import_confirm"), {"plan": plan.token})
    assert response.status_code == 400
    assert [(error.row, error.column) for error in response.context["plan"].errors] == [(3, "用户名")]
    assert not User.objects.filter(username="first_one").exists()


def test_the_template_has_text_columns_a_role_list_and_the_province_s_townships(province):
    response = manager_client(province).get(reverse("users:import_template"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert [cell.value for cell in book["账号"][1]] == HEADER
    assert book["账号"].column_dimensions["A"].number_format == "@"
    (validation,) = book["账号"].data_validations.dataValidation
    assert "乡镇录入员" in validation.formula1 and "系统管理员" not in validation.formula1
    townships = [row[0] for row in book["本省乡镇"].iter_rows(min_row=2, values_only=True)]
    assert townships == ["622926101000", "622926102000", "622926103000"]


def test_the_navigation_offers_user_management_to_province_staff(province):
    html = manager_client(province).get(reverse("home")).content.decode()
    assert reverse("users:list") in html


def test_a_user_changes_an_initial_password_under_django_s_validators(province):
    clerk = province["clerk"]
    client = login(Client(), clerk)
    weak = client.post(
        reverse("users:password"),
        {"old_password": TEST_PASSWORD, "new_password1": "short1", "new_password2": "short1"},
    )
    assert weak.status_code == 200 and "new_password2" in weak.context["form"].errors
    assert "密码太短，至少需要 10 个字符。" in weak.content.decode()  # core/passwords.py
    clerk.refresh_from_db()
    assert clerk.check_password(TEST_PASSWORD)
    changed = client.post(
        reverse("users:password"),
        {"old_password": TEST_PASSWORD, "new_password1": "Qz7-vL2p-Wm9x", "new_password2": "Qz7-vL2p-Wm9x"},
    )
    assert changed.status_code == 302 and changed["Location"] == reverse("users:password_changed")
    clerk.refresh_from_db()
    assert clerk.check_password("Qz7-vL2p-Wm9x")
    assert client.get(reverse("users:password_changed")).status_code == 200  # still logged in


def test_a_reset_password_must_be_changed_before_any_page_or_api_call(province):
    """A password handed out by 用户管理 leads only to 修改密码; the API gives no token for it."""
    clerk = province["clerk"]
    password = manager_client(province).post(reverse("users:reset_password", args=[clerk.pk])).context["password"]
    clerk.refresh_from_db()
    assert clerk.must_change_password
    client = Client()
    response = client.post(reverse("login"), {"username": clerk.username, "password": password}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("users:password")
    assert "请先修改初始密码" in response.content.decode()
    for url in (reverse("households:list"), reverse("exports")):
        assert client.get(url)["Location"] == reverse("users:password")
    api = client.get("/api/v1/households/")
    assert api.status_code == 403 and "请先修改初始密码" in api.json()["detail"]
    token = Client().post(reverse("api-token"), {"username": clerk.username, "password": password})
    assert token.status_code == 403 and "修改初始密码" in token.json()["detail"]
    assert not Token.objects.filter(user=clerk).exists()

    same = client.post(
        reverse("users:password"), {"old_password": password, "new_password1": password, "new_password2": password}
    )
    assert same.status_code == 200 and "新密码不能与原密码相同。" in same.content.decode()
    changed = client.post(
        reverse("users:password"),
        {"old_password": password, "new_password1": "Qz7-vL2p-Wm9x", "new_password2": "Qz7-vL2p-Wm9x"},
    )
    assert changed["Location"] == reverse("users:password_changed")
    clerk.refresh_from_db()
    assert not clerk.must_change_password and clerk.check_password("Qz7-vL2p-Wm9x")
    assert client.get(reverse("households:list")).status_code == 200
    token = Client().post(reverse("api-token"), {"username": clerk.username, "password": "Qz7-vL2p-Wm9x"})
    assert token.status_code == 200 and token.json()["token"]


def test_the_reason_to_change_the_password_shows_once_however_many_pages_were_refused(province):
    """Several requests at once (a page and its htmx parts) are all sent to 修改密码; it says why once."""
    clerk = province["clerk"]
    clerk.must_change_password = True
    clerk.save(update_fields=["must_change_password"])
    client = login(Client(), clerk)
    for url in (reverse("households:list"), reverse("exports"), reverse("households:list") + "?page=2"):
        assert client.get(url)["Location"] == reverse("users:password")
    htmx = client.get(reverse("households:list"), headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"] == reverse("users:password")
    page = client.get(reverse("users:password")).content.decode()
    assert page.count("请先修改初始密码") == 1
    clerk.must_change_password = False
    clerk.save(update_fields=["must_change_password"])
    assert "请先修改初始密码" not in client.get(reverse("users:password")).content.decode()


def test_a_token_issued_before_a_reset_flag_is_refused_until_the_password_is_changed(province):
    clerk = province["clerk"]
    token = Token.objects.create(user=clerk)
    api = Client(headers={"Authorization": f"Token {token.key}"})
    assert api.get("/api/v1/households/").status_code == 200
    clerk.must_change_password = True  # as a reset leaves it (a reset also deletes the tokens)
    clerk.save(update_fields=["must_change_password"])
    refused = api.get("/api/v1/households/")
    assert refused.status_code in (401, 403) and "修改初始密码" in refused.json()["detail"]
    clerk.must_change_password = False
    clerk.save(update_fields=["must_change_password"])
    assert api.get("/api/v1/households/").status_code == 200


def test_accounts_created_from_a_sheet_start_with_a_password_to_change(province):
    client = manager_client(province)
    plan = upload(client, sheet(("622926102000", "达板镇", "daban_clerk", "马明", "乡镇录入员"))).context["plan"]
    created = client.post(reverse("users:import_confirm"), {"plan": plan.token})
    password = created.context["created"][0]["password"]
    assert User.objects.get(username="daban_clerk").must_change_password
    newcomer = Client()
    newcomer.post(reverse("login"), {"username": "daban_clerk", "password": password})
    assert newcomer.get(reverse("home"))["Location"] == reverse("users:password")
    assert province["manager"].must_change_password is False  # the manager's own password is theirs
