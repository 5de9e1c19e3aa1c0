import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from core.models import AccessAudit
from households.services import register_household
from tests.conftest import login
from tests.factories import make_id_number

from .conftest import household_data, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(clerk, village):
    return register_household(
        user=clerk,
        village_code=village.code,
        data=household_data(phone="13893012345"),
        members=[member(id_number=make_id_number())],
    )


def grant(user):
    user.user_permissions.add(Permission.objects.get(codename="view_full_id"))


def test_reads_are_masked_and_unmask_needs_the_permission(api_client, clerk, household):
    api_client.force_authenticate(clerk)
    body = api_client.get(f"/api/v1/households/{household.pk}/").content.decode()
    full = household.members.get().id_number
    assert full not in body and "13893012345" not in body
    assert api_client.post(f"/api/v1/households/{household.pk}/unmask/").status_code == 403
    assert not AccessAudit.objects.exists()


def test_each_unmask_is_audited(api_client, clerk, household):
    grant(clerk)
    api_client.force_authenticate(clerk)
    response = api_client.post(f"/api/v1/households/{household.pk}/unmask/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert response.json()["members"][0]["id_number"] == household.members.get().id_number
    assert response.json()["phone"] == "13893012345"
    api_client.post(f"/api/v1/households/{household.pk}/unmask/")
    audits = AccessAudit.objects.filter(user=clerk, action="unmask", object_id=str(household.pk))
    assert audits.count() == 2


def test_the_edit_form_never_echoes_a_full_id_number(client, clerk, household):
    login(client, clerk)
    html = client.get(reverse("households:edit", args=[household.pk])).content.decode()
    assert household.members.get().id_number not in html


def test_the_detail_page_unmasks_for_holders_only(client, clerk, household):
    login(client, clerk)
    assert client.post(reverse("households:unmask", args=[household.pk])).status_code == 403
    grant(clerk)
    clerk.refresh_from_db()
    client.force_login(clerk)
    html = client.post(reverse("households:unmask", args=[household.pk])).content.decode()
    assert household.members.get().id_number in html
    assert AccessAudit.objects.filter(user=clerk).count() == 1
