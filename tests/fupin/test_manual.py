"""操作手册 (/help/): each role reads its own manual first, and every page it links to answers that role."""

import re

import pytest
from django.urls import reverse as url

from core.codes import Role
from tests.conftest import login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = [Role.TOWNSHIP_CLERK, Role.COUNTY_REVIEWER, Role.CITY_REVIEWER, Role.PROVINCE_STAFF, Role.ADMIN]


def user_of(role, two_townships):
    county = two_townships["county"]
    regions = {
        Role.TOWNSHIP_CLERK: two_townships["township_a"],
        Role.COUNTY_REVIEWER: county,
        Role.CITY_REVIEWER: county.parent,
        Role.PROVINCE_STAFF: county.parent.parent,
        Role.ADMIN: None,
    }
    staff = role == Role.ADMIN  # as the demo's and production's administrators are
    return UserFactory(role=role, region=regions[role], is_staff=staff, is_superuser=staff)


def manual_sections(page: str) -> dict[str, str]:
    """The HTML of each role's part of the manual, by role code, in page order."""
    return dict(re.findall(r'<details[^>]*data-manual="([a-z_]+)"[^>]*>(.*?)</details>', page, re.S))


def links(html: str) -> list[str]:
    return [href for href in re.findall(r'href="([^"#][^"]*)"', html)]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reads_its_own_manual_first_and_every_link_in_it_answers(client, two_townships, role):
    user = user_of(role, two_townships)
    login(client, user)
    response = client.get(url("help"))
    assert response.status_code == 200
    page = response.content.decode()
    sections = manual_sections(page)
    assert list(sections) == [role] + [other for other in ROLES if other != role]  # mine first, the rest below
    assert re.search(rf'data-manual="{role}"[^>]*\sopen>', page)  # mine open, the others closed
    assert "我的角色" in sections[role]
    assert "我的角色" not in "".join(html for other, html in sections.items() if other != role)
    assert "通用说明" in page

    own = links(sections[role])
    assert len(own) >= 3, own
    for href in sorted(set(own)):
        answer = client.get(href, follow=True)  # 扶贫资金 sends a county reviewer on to the county's own ledger
        assert answer.status_code == 200, (role, href, answer.status_code)
        assert all(not target.startswith(url("login")) for target, _ in answer.redirect_chain), (role, href)


@pytest.mark.parametrize("role", ROLES)
def test_the_new_features_listed_answer_the_roles_that_see_them(client, two_townships, role):
    login(client, user_of(role, two_townships))
    page = client.get(url("help")).content.decode()
    new = re.search(r'data-manual="new"(.*?)</section>', page, re.S)[1]
    for href in links(new):
        assert client.get(href).status_code == 200, (role, href)
    assert (url("users:list") in new) == (role in (Role.PROVINCE_STAFF, Role.ADMIN))  # 用户管理: who may


def test_the_manual_is_in_the_navigation_of_every_role(client, two_townships):
    for role in ROLES:
        user = user_of(role, two_townships)
        login(client, user)
        page = client.get(url("home")).content.decode()
        assert f'href="{url("help")}">操作手册</a>' in page, role
        client.logout()


def test_the_manual_asks_for_a_login(client):
    response = client.get(url("help"))
    assert response.status_code == 302 and response["Location"].startswith(url("login"))


def test_the_public_report_page_the_clerk_manual_names_needs_no_login(client, two_townships):
    """The one public page the manuals link to: 农户自主申报 answers without a login."""
    assert client.get(url("report:index")).status_code == 200
