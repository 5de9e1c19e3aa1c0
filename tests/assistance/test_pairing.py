"""结对帮扶 at scale (assistance/pairing.py): batch pairing, the helper's limit, scope, moves, the pages."""

from datetime import date, timedelta

import pghistory.models
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assistance import pairing
from core.codes import ParameterKey, Role
from core.models import PolicyParameter
from fupin.demo import load_demo
from fupin.demo.assistance_pairing import RECENT_DAYS
from households.models import Helper, HelperAssignment, Household, HouseholdYearLock
from households.quality import household_warnings, needs_helper_q
from households.services import assign_helper, refresh_warning_counts
from households.services.support import helper_limit
from monitoring.codes import OPEN_STATUSES
from monitoring.models import MonitoringObject
from tests.conftest import login
from tests.factories import HouseholdFactory, UserFactory, household_with_members, region

pytestmark = pytest.mark.django_db

START = date(2024, 3, 1)


@pytest.fixture
def world(db):
    county = region("622926000000", "东乡族自治县")
    township = region("622926101000", "锁南镇")
    village = region("622926101201", "红柳村")
    other_township = region("622926102000", "达板镇")
    other_village = region("622926102201", "达板村")
    return {
        "county": county,
        "township": township,
        "village": village,
        "other_township": other_township,
        "other_village": other_village,
        "clerk": UserFactory(role=Role.TOWNSHIP_CLERK, region=township),
        "county_user": UserFactory(role=Role.COUNTY_REVIEWER, region=county),
    }


def many_households(village, count, **extra):
    return Household.objects.bulk_create(HouseholdFactory.build_batch(count, village=village, **extra))


def set_limit(level_key, value, region_obj):
    PolicyParameter.objects.create(key=level_key, region=region_obj, value=value, source="测试")


def helper_in(township, name="李干部", level="4"):
    return Helper.objects.create(name=name, unit="锁南镇政府", level=level, region=township)


def test_500_households_are_paired_in_one_action_with_few_queries(world):
    set_limit(ParameterKey.HELPER_LIMIT_TOWNSHIP, 600, world["county"])  # a county's override of the level's limit
    households = many_households(world["village"], 500)
    helper = helper_in(world["township"])
    ids = [household.pk for household in households]
    with CaptureQueriesContext(connection) as queries:
        result = pairing.pair_households(user=world["clerk"], helper_id=helper.pk, household_ids=ids, start_date=START)
    assert len(result.created) == 500
    assert HelperAssignment.objects.filter(helper=helper, end_date__isnull=True).count() == 500
    assert len(queries) < 40, [query["sql"][:80] for query in queries.captured_queries]
    # The 疑点 counts were refreshed: no household of the batch still lacks a helper.
    assert not Household.objects.filter(pk__in=ids, warning_count__gt=0).exclude(
        pk__in=HelperAssignment.objects.values("household_id")
    )


def test_the_limit_is_enforced_for_the_whole_batch_and_names_the_helper(world):
    households = many_households(world["village"], 12)
    helper = helper_in(world["township"])  # 乡镇: default limit 10
    with pytest.raises(ValidationError) as refused:
        pairing.pair_households(
            user=world["clerk"], helper_id=helper.pk, household_ids=[h.pk for h in households], start_date=START
        )
    message = refused.value.message_dict["helper"][0]
    assert "李干部" in message and "10户" in message and "12户" in message
    assert not HelperAssignment.objects.exists()  # all or nothing


def test_the_limit_counts_open_pairings_already_held(world):
    households = many_households(world["village"], 10)
    helper = helper_in(world["township"])
    pairing.pair_households(
        user=world["clerk"], helper_id=helper.pk, household_ids=[h.pk for h in households[:8]], start_date=START
    )
    with pytest.raises(ValidationError, match="本次结对后将有11户"):
        pairing.pair_households(
            user=world["clerk"],
            helper_id=helper.pk,
            household_ids=[h.pk for h in many_households(world["village"], 3)],
            start_date=START,
        )
    assert HelperAssignment.objects.count() == 8


def test_the_single_pairing_uses_the_same_limit(world):
    helper = helper_in(world["township"], level="5")  # 村级: limit 10
    households = many_households(world["village"], 11)
    pairing.pair_households(
        user=world["clerk"], helper_id=helper.pk, household_ids=[h.pk for h in households[:10]], start_date=START
    )
    with pytest.raises(ValidationError, match="最多结对10户"):
        assign_helper(user=world["clerk"], helper_id=helper.pk, household_id=households[10].pk, start_date=START)


def test_a_household_outside_the_scope_fails_the_whole_batch(world):
    inside = many_households(world["village"], 5)
    outside = many_households(world["other_village"], 1)
    helper = helper_in(world["township"])
    with pytest.raises(ValidationError) as refused:
        pairing.pair_households(
            user=world["clerk"],
            helper_id=helper.pk,
            household_ids=[h.pk for h in inside + outside],
            start_date=START,
        )
    assert "1户不存在或不在您的管辖范围内" in refused.value.message_dict["households"][0]
    assert not HelperAssignment.objects.exists()


def test_a_helper_outside_the_scope_is_not_found(world):
    households = many_households(world["village"], 2)
    stranger = helper_in(world["other_township"], name="外镇干部")
    with pytest.raises(Http404):
        pairing.pair_households(
            user=world["clerk"], helper_id=stranger.pk, household_ids=[h.pk for h in households], start_date=START
        )
    assert not HelperAssignment.objects.exists()


def test_a_failure_late_in_the_batch_leaves_nothing(world):
    """A year locked on the last household of 50 refuses the batch: no pairing of the 49 is kept."""
    set_limit(ParameterKey.HELPER_LIMIT_TOWNSHIP, 100, world["county"])
    households = many_households(world["village"], 50)
    HouseholdYearLock.objects.create(
        household=households[-1], year=START.year, reason="户退出申请 #1", locked_at=timezone.now()
    )
    helper = helper_in(world["township"])
    with pytest.raises(ValidationError) as refused:
        pairing.pair_households(
            user=world["clerk"], helper_id=helper.pk, household_ids=[h.pk for h in households], start_date=START
        )
    assert households[-1].household_no in refused.value.message_dict["start_date"][0]
    assert not HelperAssignment.objects.exists()


def test_households_already_paired_with_the_helper_are_skipped_and_counted(world):
    households = many_households(world["village"], 6)
    helper = helper_in(world["township"])
    other = helper_in(world["township"], name="王干部")
    pairing.pair_households(
        user=world["clerk"], helper_id=helper.pk, household_ids=[h.pk for h in households[:2]], start_date=START
    )
    pairing.pair_households(user=world["clerk"], helper_id=other.pk, household_ids=[households[2].pk], start_date=START)
    result = pairing.pair_households(
        user=world["clerk"], helper_id=helper.pk, household_ids=[h.pk for h in households], start_date=START
    )
    assert len(result.created) == 4
    assert sorted(result.already_paired) == sorted(h.household_no for h in households[:2])
    assert result.with_other_helper == 1
    assert "另有2户已与李干部结对" in result.message
    assert HelperAssignment.objects.filter(helper=helper).count() == 6


def test_a_plan_for_many_helpers_is_checked_per_helper_and_written_whole(world):
    households = many_households(world["village"], 16)
    first = helper_in(world["township"], name="李干部")  # 乡镇: 10
    second = helper_in(world["township"], name="王干部", level="3")  # 县直: 5
    plan = [(first.pk, h.pk, START) for h in households[:10]] + [(second.pk, h.pk, START) for h in households[10:]]
    with pytest.raises(ValidationError) as refused:
        pairing.pair_plan(user=world["clerk"], plan=plan)
    assert refused.value.message_dict["helper"] == ["王干部（县直）最多结对5户，本次结对后将有6户，超出1户。"]
    assert not HelperAssignment.objects.exists()
    assert len(pairing.pair_plan(user=world["clerk"], plan=plan[:15])) == 15


def test_households_that_left_the_register_are_refused(world):
    gone = many_households(world["village"], 1, status="REMOVED")
    helper = helper_in(world["township"])
    with pytest.raises(ValidationError, match="已清退"):
        pairing.pair_households(user=world["clerk"], helper_id=helper.pk, household_ids=[gone[0].pk], start_date=START)


def test_a_role_that_may_not_pair_is_refused(world):
    city_user = UserFactory(role=Role.CITY_REVIEWER, region=region("622900000000", "临夏州"))
    households = many_households(world["village"], 1)
    helper = helper_in(world["township"])
    with pytest.raises(PermissionDenied):
        pairing.pair_households(user=city_user, helper_id=helper.pk, household_ids=[households[0].pk], start_date=START)


def test_moving_households_ends_the_old_pairings_with_the_reason_and_keeps_history(world):
    households = many_households(world["village"], 4)
    source = helper_in(world["township"], name="李干部")
    target = helper_in(world["township"], name="王干部")
    pairing.pair_households(
        user=world["clerk"], helper_id=source.pk, household_ids=[h.pk for h in households], start_date=START
    )
    moved_on = START + timedelta(days=100)
    result = pairing.move_households(
        user=world["clerk"],
        from_helper_id=source.pk,
        to_helper_id=target.pk,
        household_ids=[households[0].pk, households[1].pk],
        reason="李干部调离本镇",
        on=moved_on,
    )
    assert (result.ended, result.opened) == (2, 2)
    ended = HelperAssignment.objects.filter(helper=source, end_date=moved_on)
    assert set(ended.values_list("household_id", flat=True)) == {households[0].pk, households[1].pk}
    assert HelperAssignment.objects.filter(helper=source, end_date__isnull=True).count() == 2
    assert HelperAssignment.objects.filter(helper=target, start_date=moved_on, end_date__isnull=True).count() == 2
    # The old pairing is kept (ended, not deleted) and its history names the reason.
    events = pghistory.models.Events.objects.tracks(ended.first()).order_by("pgh_created_at")
    assert any("李干部调离本镇" in (event.pgh_context or {}).get("reason", "") for event in events)


def test_moving_all_of_a_helpers_households_respects_the_target_limit(world):
    households = many_households(world["village"], 8)
    source = helper_in(world["township"], name="李干部")
    target = helper_in(world["township"], name="王干部")
    pairing.pair_households(
        user=world["clerk"], helper_id=source.pk, household_ids=[h.pk for h in households], start_date=START
    )
    pairing.pair_households(
        user=world["clerk"],
        helper_id=target.pk,
        household_ids=[h.pk for h in many_households(world["village"], 5)],
        start_date=START,
    )
    with pytest.raises(ValidationError, match=r"王干部.*13户"):
        pairing.move_households(
            user=world["clerk"], from_helper_id=source.pk, to_helper_id=target.pk, reason="调整", on=START
        )
    assert HelperAssignment.objects.filter(helper=source, end_date__isnull=True).count() == 8  # nothing ended
    set_limit(ParameterKey.HELPER_LIMIT_TOWNSHIP, 20, world["township"])  # the township's own limit wins
    result = pairing.move_households(
        user=world["clerk"], from_helper_id=source.pk, to_helper_id=target.pk, reason="调整", on=START
    )
    assert result.ended == 8
    assert HelperAssignment.objects.filter(helper=target, end_date__isnull=True).count() == 13


def test_a_move_needs_a_reason_and_another_helper(world):
    source = helper_in(world["township"])
    with pytest.raises(ValidationError) as refused:
        pairing.move_households(
            user=world["clerk"], from_helper_id=source.pk, to_helper_id=source.pk, reason=" ", on=START
        )
    assert set(refused.value.message_dict) == {"reason", "to_helper"}


# --- the pages ---------------------------------------------------------------------------------


def test_the_village_page_pairs_the_ticked_households_in_one_post(client, world):
    households = [household_with_members(world["village"]) for _ in range(3)]
    ordinary = household_with_members(world["village"], status="ORDINARY")
    helper = helper_in(world["township"])
    login(client, world["clerk"])
    url = reverse("assistance:pairing_village", args=[world["village"].code])
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert 'id="select-all"' in body and ">全选</label>" in body
    assert f'value="{timezone.localdate():%Y-%m-%d}"' in body  # the date input's ISO value
    assert households[0].household_no in body and ordinary.household_no not in body  # only those that need one
    response = client.post(
        url,
        {"helper": helper.pk, "start_date": "2024-03-01", "households": [h.pk for h in households]},
    )
    assert response.status_code == 302
    assert HelperAssignment.objects.filter(helper=helper).count() == 3
    assert "no_helper" not in {warning.code for warning in household_warnings(households[0])}


def test_the_village_page_shows_a_refusal_by_field(client, world):
    households = many_households(world["village"], 11)
    helper = helper_in(world["township"])
    login(client, world["clerk"])
    url = reverse("assistance:pairing_village", args=[world["village"].code])
    response = client.post(
        url, {"helper": helper.pk, "start_date": "2024-03-01", "households": [h.pk for h in households]}
    )
    assert response.status_code == 400
    assert "最多结对10户" in response.content.decode()
    assert not HelperAssignment.objects.exists()


def test_the_village_page_registers_a_new_helper_inline(client, world):
    household = household_with_members(world["village"])
    login(client, world["clerk"])
    url = reverse("assistance:pairing_village", args=[world["village"].code])
    response = client.post(
        url,
        {
            "name": "赵干部",
            "unit": "县农业农村局",
            "level": "3",
            "start_date": "2024-03-01",
            "households": [household.pk],
        },
    )
    assert response.status_code == 302
    assert HelperAssignment.objects.get(household=household).helper.name == "赵干部"


def test_a_village_outside_the_scope_is_404(client, world):
    login(client, world["clerk"])
    assert client.get(reverse("assistance:pairing_village", args=[world["other_village"].code])).status_code == 404
    assert client.get(reverse("assistance:pairing_village", args=["x" * 40])).status_code == 404


def test_the_helper_pages_show_the_load_and_move_households(client, world):
    households = many_households(world["village"], 3)
    source = helper_in(world["township"], name="李干部")
    target = helper_in(world["township"], name="王干部")
    pairing.pair_households(
        user=world["clerk"], helper_id=source.pk, household_ids=[h.pk for h in households], start_date=START
    )
    login(client, world["clerk"])
    listing = client.get(reverse("assistance:helpers")).content.decode()
    assert "李干部" in listing and "王干部" in listing
    detail = client.get(reverse("assistance:helper_detail", args=[source.pk])).content.decode()
    assert "3</span> / 上限 10 户" in detail
    response = client.post(
        reverse("assistance:helper_move", args=[source.pk]),
        {"to_helper": target.pk, "reason": "工作调动", "date": "2024-06-01", "households": [households[0].pk]},
    )
    assert response.status_code == 302
    assert HelperAssignment.objects.filter(helper=target, end_date__isnull=True).count() == 1
    refused = client.post(reverse("assistance:helper_move", args=[source.pk]), {"to_helper": target.pk, "date": "x"})
    assert refused.status_code == 400


# --- the demo ----------------------------------------------------------------------------------


def test_the_demo_pairs_every_household_that_needs_a_helper_within_the_limits(settings, tmp_path):

    settings.VAR_DIR = tmp_path  # the monitoring chapter writes its department list under VAR_DIR/demo/
    told = load_demo(households=1200, seed=5)
    refresh_warning_counts()
    assert told["pairing_pairings"] > 100 and told["pairing_moves"] >= 2
    unpaired = Household.objects.filter(needs_helper_q()).exclude(
        pk__in=HelperAssignment.objects.filter(end_date__isnull=True).values("household_id")
    )
    # Only the 一般农户 monitored in the last days wait for their helper (fupin/demo/assistance_pairing.py).
    recent = timezone.localdate() - timedelta(days=RECENT_DAYS)
    newest = MonitoringObject.objects.filter(
        status__in=OPEN_STATUSES, discovered_on__gt=recent, household__status="ORDINARY"
    ).values("household_id")
    assert set(unpaired.values_list("pk", flat=True)) == set(
        Household.objects.filter(pk__in=newest).values_list("pk", flat=True)
    )
    assert unpaired.count() == told["pairing_waiting_for_helper"] <= 10
    # Every helper within the limit of his level.
    for helper in Helper.objects.all():
        assert pairing.helper_load(helper) <= helper_limit(helper, year=timezone.localdate().year)
    moved = HelperAssignment.objects.filter(end_date__isnull=False).first()
    events = pghistory.models.Events.objects.tracks(moved)
    assert any("调整结对" in (event.pgh_context or {}).get("reason", "") for event in events)


# --- the API -----------------------------------------------------------------------------------


def test_the_api_pairs_moves_ends_and_reports_coverage(api_client, world):
    households = many_households(world["village"], 4)
    source = helper_in(world["township"], name="李干部")
    target = helper_in(world["township"], name="王干部")
    api_client.force_authenticate(world["clerk"])
    ids = [h.pk for h in households]
    created = api_client.post(
        "/api/v1/pairings/bulk/", {"helper": source.pk, "households": ids, "start_date": "2024-03-01"}, format="json"
    )
    assert created.status_code == 201 and created.json()["created"] == 4
    again = api_client.post(
        "/api/v1/pairings/bulk/",
        {"helper": source.pk, "households": ids[:1], "start_date": "2024-03-01"},
        format="json",
    )
    assert again.json()["already_paired"] == [households[0].household_no]
    listed = api_client.get("/api/v1/pairings/", {"helper": source.pk, "current": "true"}).json()
    assert len(listed["results"]) == 4
    moved = api_client.post(
        "/api/v1/pairings/move/",
        {
            "from_helper": source.pk,
            "to_helper": target.pk,
            "households": ids[:2],
            "reason": "调动",
            "date": "2024-06-01",
        },
        format="json",
    )
    assert moved.status_code == 200 and moved.json()["ended"] == 2
    pairing_id = HelperAssignment.objects.get(helper=target, household=households[0]).pk
    ended = api_client.post(f"/api/v1/pairings/{pairing_id}/end/", {"end_date": "2024-07-01"}, format="json")
    assert ended.status_code == 200 and ended.json()["end_date"] == "2024-07-01"
    figures = api_client.get("/api/v1/pairing-coverage/", {"region": world["township"].code}).json()
    assert figures["total"]["needed"] == 4 and figures["total"]["covered"] == 3
    assert [row["code"] for row in figures["children"]] == [world["village"].code]
    outside = many_households(world["other_village"], 1)
    refused = api_client.post(
        "/api/v1/pairings/bulk/",
        {"helper": target.pk, "households": [outside[0].pk], "start_date": "2024-03-01"},
        format="json",
    )
    assert refused.status_code == 400 and "households" in refused.json()
    assert api_client.get("/api/v1/pairing-coverage/", {"region": world["other_township"].code}).status_code == 404
