import pytest
from django.urls import reverse

from assessment.models import Application, CountyRating, IncidenceRate, SampleSurvey
from assessment.statistics import recompute_incidence_rates
from assistance.models import AidUnit, TeamMember, UnitAssignment, VillageTeam, Visit
from core.codes import Role
from core.scoping import scope_prefix
from funds.models import Allocation, Disbursement, FundSource
from households.models import AdjustmentRecord, AidMeasure, Helper, HelperAssignment, Household
from households.poverty import current_year
from monitoring.defaults import ensure_default_lines
from monitoring.models import AssistanceMeasure, DepartmentList, MonitoringLead, MonitoringObject
from projects.models import Notice, Project
from tests.conftest import login
from tests.factories import UserFactory, household_with_members, populate, region
from villages.models import Region

pytestmark = pytest.mark.django_db


def test_clerk_gets_404_for_a_village_of_another_township(client, clerk_a, two_townships):
    login(client, clerk_a)
    response = client.get(reverse("regions:detail", args=[two_townships["village_b"].code]))
    assert response.status_code == 404


def test_clerk_sees_a_village_of_their_own_township(client, clerk_a, two_townships):
    household_with_members(two_townships["village_a"], size=4)
    recompute_incidence_rates(current_year())  # the poor figures are the year's incidence rows
    login(client, clerk_a)
    response = client.get(reverse("regions:detail", args=[two_townships["village_a"].code]))
    assert response.status_code == 200
    assert "甲村" in response.content.decode()
    summary = response.context["summary"]
    assert {key: summary[key] for key in ("villages", "households", "poor_households", "poor_population")} == {
        "villages": 1,
        "households": 1,
        "poor_households": 1,
        "poor_population": 4,
    }


def test_clerk_gets_404_for_an_unknown_or_malformed_code(client, clerk_a):
    login(client, clerk_a)
    assert client.get(reverse("regions:detail", args=["999999999999"])).status_code == 404
    assert client.get(reverse("regions:detail", args=["not-a-code"])).status_code == 404


def test_api_region_of_another_township_is_404(api_client, clerk_a, two_townships):
    api_client.force_authenticate(clerk_a)
    assert api_client.get(f"/api/v1/regions/{two_townships['village_b'].code}/").status_code == 404
    assert api_client.get(f"/api/v1/regions/{two_townships['village_a'].code}/").status_code == 200


def test_api_region_list_holds_only_the_clerks_subtree(api_client, clerk_a, two_townships):
    api_client.force_authenticate(clerk_a)
    response = api_client.get("/api/v1/regions/")
    codes = {row["code"] for row in response.json()["results"]}
    assert codes == {"622926101000", "622926101201"}


def test_county_reviewer_sees_both_townships(api_client, two_townships):
    reviewer = UserFactory(role=Role.COUNTY_REVIEWER, region=two_townships["county"])
    api_client.force_authenticate(reviewer)
    response = api_client.get("/api/v1/regions/", {"level": "village"})
    assert {row["code"] for row in response.json()["results"]} == {"622926101201", "622926102201"}


def test_admin_sees_everything_and_a_user_without_region_sees_nothing(two_townships):
    admin = UserFactory(role=Role.ADMIN, region=None)
    assert scope_prefix(admin) == ""
    assert Region.objects.visible_to(admin).count() == Region.objects.count()
    inactive = UserFactory(role=Role.TOWNSHIP_CLERK, region=two_townships["township_a"], is_active=False)
    assert Region.objects.visible_to(inactive).count() == 0


def test_anonymous_api_request_is_refused(api_client, two_townships):
    assert api_client.get("/api/v1/regions/").status_code in (401, 403)


API_MODELS = {
    "regions": Region,
    "households": Household,
    "aid-measures": AidMeasure,
    "helpers": Helper,
    "adjustments": AdjustmentRecord,
    "applications": Application,
    "incidence-rates": IncidenceRate,
    "projects": Project,
    "notices": Notice,
    "monitoring-objects": MonitoringObject,
    "monitoring-measures": AssistanceMeasure,
    "monitoring-leads": MonitoringLead,
    "aid-units": AidUnit,
    "unit-assignments": UnitAssignment,
    "village-teams": VillageTeam,
    "team-members": TeamMember,
    "visits": Visit,
    "pairings": HelperAssignment,
    "not-visited-households": Household,  # the households of the scope not visited in time
}
# Rows of a province: every user of the province lists its rows, none of another province's.
PROVINCE_API_MODELS = {"monitoring-lines"}
# Rows owned by a user, not a region: each user lists only their own (tests/fupin/test_exports.py,
# tests/assessment/test_notifications.py).
USER_OWNED = {"exports", "imports", "notifications"}
# County-level rows: a township clerk sees none of them, a county reviewer only their own county's.
COUNTY_API_MODELS = {
    "county-ratings": CountyRating,
    "sample-surveys": SampleSurvey,
    "fund-sources": FundSource,
    "allocations": Allocation,
    "disbursements": Disbursement,
    "department-lists": DepartmentList,
}
# Figures of a region, not rows: their scope is tested with them (tests/monitoring/test_dashboard.py,
# tests/assistance/test_pairing.py).
FIGURES = {"monitoring-statistics", "pairing-coverage"}


def test_every_api_list_is_scoped(api_client, clerk_a, two_townships):
    """Walk every registered viewset: a clerk of township A sees their objects and none of township B."""
    from fupin.api import router

    assert {prefix for prefix, _, _ in router.registry} == (
        set(API_MODELS) | set(COUNTY_API_MODELS) | USER_OWNED | PROVINCE_API_MODELS | FIGURES
    ), "add the new endpoint here"
    populate(two_townships["village_a"], two_townships["township_a"])
    populate(two_townships["village_b"], two_townships["township_b"])
    api_client.force_authenticate(clerk_a)
    for prefix, model in API_MODELS.items():
        response = api_client.get(f"/api/v1/{prefix}/")
        assert response.status_code == 200, prefix
        keys = [row.get("id", row.get("code")) for row in response.json()["results"]]
        assert keys, f"{prefix} lists nothing of township A"
        codes = model.objects.filter(pk__in=keys).values_list(model.scope_code_field, flat=True)
        assert all(code.startswith("622926101") for code in codes), f"{prefix} leaks township B"
        assert len(codes) == len(keys), prefix
    ensure_default_lines()  # the migration's rows, gone if a transactional test ran before on this worker
    for prefix in PROVINCE_API_MODELS:
        provinces = {row["province"] for row in api_client.get(f"/api/v1/{prefix}/").json()["results"]}
        assert provinces == {"620000000000"}, prefix


def test_county_level_api_lists_are_scoped_to_the_county(api_client, two_townships):
    populate(two_townships["village_a"], two_townships["township_a"])
    populate(region("622921101201"), region("622921101000"))
    own = UserFactory(role=Role.COUNTY_REVIEWER, region=two_townships["county"])
    api_client.force_authenticate(own)
    for prefix, model in COUNTY_API_MODELS.items():
        keys = [row["id"] for row in api_client.get(f"/api/v1/{prefix}/").json()["results"]]
        codes = list(model.objects.filter(pk__in=keys).values_list(model.scope_code_field, flat=True))
        assert codes == ["622926000000"], prefix
