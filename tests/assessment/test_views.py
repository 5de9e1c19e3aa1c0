"""The review pages: queue, application page and its actions, new applications, dashboard."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from assessment.models import Application, IncidenceRate
from assessment.statistics import recompute_incidence_rates
from core.codes import ParameterKey
from core.models import PolicyParameter
from households.models import Household
from villages.models import County

from ..conftest import login
from ..factories import region
from .conftest import GUARANTEES_MET, elapse_publicity, set_income


@pytest.fixture
def submitted(client, people, poor_household):
    login(client, people["clerk"])
    response = client.post(
        reverse("assessment:new", args=["HOUSEHOLD_EXIT"]),
        {"household": poor_household.pk, "year": 2019, "consent": "on", **dict.fromkeys(GUARANTEES_MET, "on")},
    )
    application = Application.objects.get(household=poor_household)
    assert response.status_code == 302
    assert response["Location"] == reverse("assessment:detail", args=[application.pk])
    client.logout()
    return application


def test_new_application_form_refuses_missing_consent_with_a_clear_message(client, people, poor_household):
    login(client, people["clerk"])
    response = client.post(
        reverse("assessment:new", args=["HOUSEHOLD_EXIT"]),
        {"household": poor_household.pk, "year": 2019, **dict.fromkeys(GUARANTEES_MET, "on")},
    )
    assert response.status_code == 400
    assert "户退出须经农户签字认可。" in response.content.decode()
    assert not Application.objects.exists()


def test_queue_shows_what_waits_for_the_reviewer_with_its_check(client, people, submitted):
    login(client, people["clerk2"])
    page = client.get(reverse("assessment:queue")).content.decode()
    assert "待我办理（0）" in page  # still in 公示
    assert "公示中（1）" in page
    elapse_publicity(submitted.pk)
    page = client.get(reverse("assessment:queue")).content.decode()
    assert "待我办理（1）" in page
    assert f'data-application="{submitted.pk}"' in page
    assert "乡镇审核" in page
    # The submitter's own queue never holds it.
    client.logout()
    login(client, people["clerk"])
    assert "待我办理（0）" in client.get(reverse("assessment:queue")).content.decode()


def test_a_failing_check_is_not_approved_even_with_a_reason(client, people, tree):
    from ..factories import household_with_members

    household = household_with_members(tree["village_a"], size=2)
    set_income(household, 2019, Decimal("1000"))
    login(client, people["clerk"])
    client.post(
        reverse("assessment:new", args=["HOUSEHOLD_EXIT"]),
        {"household": household.pk, "year": 2019, "consent": "on", **dict.fromkeys(GUARANTEES_MET, "on")},
    )
    application = Application.objects.get(household=household)
    assert application.check_passed is False
    elapse_publicity(application.pk)
    client.logout()
    login(client, people["clerk2"])
    page = client.get(reverse("assessment:detail", args=[application.pk])).content.decode()
    assert '<button class="btn btn-primary" type="submit" disabled>同意</button>' in page
    assert "标准核查未通过（人均纯收入）" in page
    assert "✗ 不符合" in page
    url = reverse("assessment:action", args=[application.pk, "approve"])
    response = client.post(url, {"comment": "同意"})
    assert response.status_code == 400
    assert "标准核查未通过（人均纯收入），不能同意" in response.content.decode()
    response = client.post(url, {"comment": "同意", "override_reason": "收入证明另附"})
    assert response.status_code == 400
    application.refresh_from_db()
    assert (application.status, application.current_step) == ("IN_REVIEW", 1)
    # The reviewer sends it back instead; the applicant sees it in its queue.
    response = client.post(
        reverse("assessment:action", args=[application.pk, "send_back"]), {"comment": "请核实务工收入"}
    )
    assert response.status_code == 302
    client.logout()
    login(client, people["clerk"])
    page = client.get(reverse("assessment:queue")).content.decode()
    assert f'data-application="{application.pk}"' in page and "退回修改" in page
    page = client.get(reverse("assessment:detail", args=[application.pk])).content.decode()
    assert "请核实务工收入" in page
    assert reverse("assessment:action", args=[application.pk, "resubmit"]) in page


def test_objection_and_resolution_through_the_page(client, people, submitted):
    login(client, people["clerk2"])
    client.post(reverse("assessment:action", args=[submitted.pk, "object"]), {"content": "该户有车辆"})
    objection = submitted.objections.get()
    elapse_publicity(submitted.pk)
    response = client.post(reverse("assessment:action", args=[submitted.pk, "approve"]), {})
    assert response.status_code == 400
    assert "有1条异议尚未处理" in response.content.decode()
    client.logout()
    login(client, people["clerk"])  # the applicant may not resolve it
    response = client.post(
        reverse("assessment:action", args=[submitted.pk, "resolve"]),
        {"objection": objection.pk, "outcome": "车辆为亲属所有", "upheld": "0"},
    )
    assert response.status_code == 400
    assert "申请人不能处理对本申请的异议。" in response.content.decode()
    client.logout()
    login(client, people["county"])
    response = client.post(
        reverse("assessment:action", args=[submitted.pk, "resolve"]),
        {"objection": objection.pk, "outcome": "车辆为亲属所有", "upheld": "0"},
    )
    assert response.status_code == 302
    objection.refresh_from_db()
    resolution = (objection.outcome, objection.is_upheld, objection.resolved_by)
    assert resolution == ("车辆为亲属所有", False, people["county"])


def test_batch_approval_from_the_queue(client, people, tree):
    from ..factories import household_with_members

    ids = []
    for _ in range(2):
        household = household_with_members(tree["village_a"], size=2)
        set_income(household, 2019, Decimal("7000"))
        login(client, people["clerk"])
        client.post(
            reverse("assessment:new", args=["HOUSEHOLD_EXIT"]),
            {"household": household.pk, "year": 2019, "consent": "on", **dict.fromkeys(GUARANTEES_MET, "on")},
        )
        application = Application.objects.get(household=household)
        elapse_publicity(application.pk)
        client.logout()
        login(client, people["clerk2"])
        client.post(reverse("assessment:action", args=[application.pk, "approve"]), {})
        client.logout()
        ids.append(application.pk)
    login(client, people["county"])
    response = client.post(reverse("assessment:batch_approve"), {"applications": ids, "comment": "批量同意"})
    assert response.status_code == 302
    assert Household.objects.filter(applications__pk__in=ids, status="EXITED").count() == 0  # not confirmed
    response = client.post(
        reverse("assessment:batch_approve"), {"applications": ids, "comment": "批量同意", "confirm": "1"}
    )
    assert response.status_code == 302
    assert Household.objects.filter(applications__pk__in=ids, status="EXITED").count() == 2


def test_dashboard_is_scoped_and_marks_thresholds(client, people, tree, poor_household):
    recompute_incidence_rates(2019)
    login(client, people["county"])
    page = client.get(reverse("assessment:dashboard")).content.decode()
    assert "东乡族自治县 · 贫困发生率与考核评级" in page
    assert 'data-region="622926101000"' in page
    assert "0.40%" in page  # 4 of 1000 in 甲镇
    assert client.get(reverse("assessment:dashboard_region", args=["622921000000"])).status_code == 404
    assert client.get(reverse("assessment:dashboard_region", args=["620000000000"])).status_code == 404


def test_the_dashboard_marks_each_county_against_its_own_threshold_in_a_few_queries(
    client, people, tree, django_assert_max_num_queries
):
    """西部 3%, elsewhere 2%, a county's own parameter over both; the limits of all rows in one read."""
    PolicyParameter.objects.create(
        key=ParameterKey.COUNTY_EXIT_MAX_RATE_WEST, region=tree["county"], value=Decimal("0.025")
    )
    others = [region(f"6229{index:02d}000000", f"平原县{index}") for index in range(30, 42)]
    County.objects.bulk_create(County(region=county, is_poverty_county=True, is_west=False) for county in others)
    for county in [tree["county"], tree["other_county"], *others]:
        IncidenceRate.objects.create(
            region=county,
            year=2019,
            poor_households=7,
            poor_population=28,
            rural_population=1000,
            rate=Decimal("0.028"),
            computed_at=timezone.now(),
        )
    login(client, people["city"])
    with django_assert_max_num_queries(16):
        response = client.get(reverse("assessment:dashboard"), {"year": 2019})
    limits = {entry["row"].region_id: (entry["limit"], entry["below"]) for entry in response.context["table"]}
    assert limits["622926000000"] == (Decimal("0.025"), False)  # its own 2.5%: 2.8% is above
    assert limits["622921000000"] == (Decimal("0.03"), True)  # west: 3%
    assert limits["622930000000"] == (Decimal("0.02"), False)  # not west: 2%
    assert len(limits) == 14


def test_assessors_enter_sample_figures_and_plans_in_the_browser(client, people, tree):
    url = reverse("assessment:county_figures", args=[tree["county"].code])
    login(client, people["city"])
    sample = {
        "sample": "1",
        "year": 2019,
        "quarter": 4,
        "sampled_exited_population": 100,
        "wrong_exit_population": 101,
        "sampled_unregistered_population": 100,
        "omitted_population": 0,
        "surveyed_households": 50,
        "approving_households": 48,
    }
    response = client.post(url, sample)
    assert response.status_code == 400
    assert "错退人口不能多于抽样脱贫人口。" in response.content.decode()
    response = client.post(url, {**sample, "wrong_exit_population": 1})
    assert response.status_code == 302
    response = client.post(url, {"plan": "1", "year": 2019, "planned_exit_population": 300})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "2019年第4季度" in page and "1/100" in page and "48/50" in page
    client.logout()
    login(client, people["county"])  # the county sees its figures but does not assess itself
    page = client.get(url).content.decode()
    assert "抽样调查由市级、省级考核人员录入。" in page
    assert client.post(url, {**sample, "wrong_exit_population": 0}).status_code == 403  # the policy refuses
    client.logout()
    login(client, people["other_city"])
    assert client.get(url).status_code == 404


def test_approval_recomputes_incidence_after_commit(people, poor_household, django_capture_on_commit_callbacks):
    from assessment import services
    from assessment.models import IncidenceRate
    from fupin.celery import app

    today = timezone.localdate()
    application = services.draft_and_submit(
        user=people["clerk"],
        kind="HOUSEHOLD_EXIT",
        year=2019,
        household_id=poor_household.pk,
        figures={**GUARANTEES_MET, "consent": True},
        today=today - timedelta(days=20),
    )
    services.approve_step(user=people["clerk2"], application_id=application.pk, today=today)
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.approve_step(user=people["county"], application_id=application.pk, today=today)
    finally:
        app.conf.task_always_eager = False
    village = IncidenceRate.objects.get(region_id=poor_household.village_id, year=2019)
    assert (village.poor_households, village.poor_population) == (0, 0)  # the exit is already counted
