"""Demo applications waiting today, through the real services; and the figures of the story.

The story 2014–2020 (fupin/demo/story.py) ends with every household exited by its approved
procedure. What waits today is registry work that goes on after 2020: a 自然销户 of an
exited household waiting for the county's 县审定, and one sent back to demo_clerk for its
evidence. Idempotent: skipped when any 自然销户 application exists.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from assessment import services
from assessment.codes import ApplicationKind
from assessment.models import Application
from assessment.ratings import recompute_county_ratings
from assessment.statistics import recompute_incidence_rates
from assessment.tasks import assessed_years, incidence_years
from core.models import User
from households.codes import HouseholdStatus
from households.models import Household


@transaction.atomic
def seed_demo_assessment() -> dict:
    if Application.objects.filter(kind=ApplicationKind.CLOSURE).exists():
        return {"skipped": True}
    users = {user.username: user for user in User.objects.filter(username__in=["demo_clerk", "demo_clerk2"])}
    if len(users) < 2:
        return {"skipped": True}
    clerk, clerk2 = users["demo_clerk"], users["demo_clerk2"]
    today = timezone.localdate()
    exited = Household.objects.visible_to(clerk).filter(status=HouseholdStatus.EXITED).order_by("village_id", "id")
    closing = list(exited.filter(member_count=1)[:2]) or list(exited[:2])
    created = []
    for position, household in enumerate(closing):
        application = services.draft_and_submit(
            user=clerk,
            kind=ApplicationKind.CLOSURE,
            year=today.year,
            household_id=household.pk,
            reason="户主因病去世，整户消亡；附死亡证明、户籍注销证明。",
            today=today - timedelta(days=6),
        )
        if position == 0:
            services.approve_step(
                user=clerk2, application_id=application.pk, comment="乡镇核实属实。", today=today - timedelta(days=2)
            )
        else:
            services.send_back_application(
                user=clerk2,
                application_id=application.pk,
                comment="缺户籍注销证明：请补充派出所出具的户籍注销证明后重新提交。",
                today=today - timedelta(days=2),
            )
        created.append(application.pk)
    return {"applications": len(created)}


def recompute_demo_statistics() -> dict:
    """Incidence for every year and ratings for the assessed years, synchronously (no worker needed)."""
    incidence = {year: recompute_incidence_rates(year) for year in incidence_years()}
    ratings = {year: recompute_county_ratings(year) for year in assessed_years()}
    return {"incidence": incidence, "ratings": ratings}
