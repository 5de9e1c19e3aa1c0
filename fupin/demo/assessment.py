"""Demo applications, plans and samples for the demo province, through the real services.

Idempotent: skipped when any application exists. Dates are moved back so that the
county office finds household exits whose 公示 has ended waiting in its queue.
"""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from assessment import services
from assessment.models import Application
from assessment.ratings import recompute_county_ratings
from assessment.statistics import recompute_incidence_rates
from assessment.tasks import assessed_years, incidence_years
from core.models import User
from core.regions import RegionLevel, code_prefix
from households.models import Household, IncomeRecord
from villages.models import County

from .province import DEMO_YEAR

GUARANTEES_MET = {key: True for key in ("food", "clothing", "education", "medical", "housing", "water")}


def _income(household: Household, per_capita: Decimal) -> None:
    size = household.member_count
    IncomeRecord.objects.update_or_create(
        household=household,
        year=DEMO_YEAR,
        defaults={"household_size": size, "wage_income": per_capita * size},
    )


@transaction.atomic
def seed_demo_assessment() -> dict:
    if Application.objects.exists():
        return {"skipped": True}
    users = {user.username: user for user in User.objects.filter(username__startswith="demo_")}
    clerk, clerk2, province = users["demo_clerk"], users["demo_clerk2"], users["demo_province"]
    today = timezone.localdate()
    poor = list(
        Household.objects.visible_to(clerk).filter(status="POOR", member_count__gte=2).order_by("village_id", "id")[:4]
    )
    if poor:
        poor = [household for household in poor if household.village_id == poor[0].village_id]
    created = []
    for position, household in enumerate(poor):
        # The last one falls below the line: its check fails, so 乡镇审核 sends it back for correction.
        failing = position == len(poor) - 1 and len(poor) > 2
        _income(household, Decimal("3200") if failing else Decimal("5200") + position * 100)
        application = services.draft_and_submit(
            user=clerk,
            kind="HOUSEHOLD_EXIT",
            year=DEMO_YEAR,
            household_id=household.pk,
            figures={**GUARANTEES_MET, "consent": True},
            reason="村民代表大会民主评议通过，农户签字认可。",
            today=today - timedelta(days=12),
        )
        if failing:
            services.send_back_application(
                user=clerk2,
                application_id=application.pk,
                comment="收入未高于扶贫标准：请补充务工收入证明、更正收入后重新提交。",
                today=today - timedelta(days=3),
            )
        else:
            services.approve_step(
                user=clerk2,
                application_id=application.pk,
                comment="乡镇入户核实无误。",
                today=today - timedelta(days=3),
            )
        created.append(application.pk)
    # One more still in its village 公示.
    running = (
        Household.objects.visible_to(clerk)
        .filter(status="POOR", member_count__gte=2)
        .exclude(pk__in=[household.pk for household in poor])
        .order_by("id")
        .first()
    )
    if running:
        _income(running, Decimal("4800"))
        services.draft_and_submit(
            user=clerk,
            kind="HOUSEHOLD_EXIT",
            year=DEMO_YEAR,
            household_id=running.pk,
            figures={**GUARANTEES_MET, "consent": True},
            reason="民主评议通过。",
            today=today,
        )
    for county in County.objects.filter(is_poverty_county=True):
        for year in (2019, 2020):
            exited = sum(
                Household.objects.filter(
                    village__code__startswith=code_prefix(county.region_id, RegionLevel.COUNTY),
                    status="EXITED",
                    exit_year=year,
                ).values_list("member_count", flat=True)
            )
            services.set_reduction_plan(
                user=province,
                county_code=county.region_id,
                year=year,
                planned_exit_population=max(1, round(exited * 1.05)),
            )
            for quarter in (2, 4):
                services.record_sample_survey(
                    user=province,
                    county_code=county.region_id,
                    year=year,
                    quarter=quarter,
                    figures={
                        "sampled_exited_population": 800,
                        "wrong_exit_population": 6 if quarter == 2 else 4,
                        "sampled_unregistered_population": 1500,
                        "omitted_population": 9,
                        "surveyed_households": 400,
                        "approving_households": 378 + quarter,
                        "data_fraud": False,
                    },
                )
    return {"applications": len(created) + (1 if running else 0)}


def recompute_demo_statistics() -> dict:
    """Incidence for every year and ratings for the assessed years, synchronously (no worker needed)."""
    incidence = {year: recompute_incidence_rates(year) for year in incidence_years()}
    ratings = {year: recompute_county_ratings(year) for year in assessed_years()}
    return {"incidence": incidence, "ratings": ratings}
