"""The registry's year locks for the applications locked so far (the lock moved to households).

Each (household, year) locked by an approved, not reopened application gets one
households.HouseholdYearLock, named by the latest decided of them as the engine names it
("户退出申请 #12"), by whoever made the final approval, at its decision time. Reversed,
`is_locked` is set again from the same test and the locks are removed.
"""

from django.db import migrations
from django.db.models import F, OuterRef, Subquery


def create_year_locks(apps, schema_editor):
    Application = apps.get_model("assessment", "Application")
    ApplicationStep = apps.get_model("assessment", "ApplicationStep")
    HouseholdYearLock = apps.get_model("households", "HouseholdYearLock")
    final_approver = (
        ApplicationStep.objects.filter(application=OuterRef("pk"), status="DONE")
        .order_by("-index")
        .values("acted_by")[:1]
    )
    locked = (
        Application.objects.filter(is_locked=True, household__isnull=False)
        .annotate(approver=Subquery(final_approver))
        .order_by(F("decided_at").asc(nulls_first=True), "id")
    )
    locks = {}
    for application in locked.iterator():  # the latest decided is seen last and names the lock
        locks[(application.household_id, application.year)] = HouseholdYearLock(
            household_id=application.household_id,
            year=application.year,
            reason=f"{application.get_kind_display()}申请 #{application.pk}",
            locked_at=application.decided_at or application.created_at,
            locked_by_id=application.approver,
        )
    HouseholdYearLock.objects.bulk_create(locks.values())


def restore_is_locked(apps, schema_editor):
    Application = apps.get_model("assessment", "Application")
    Application.objects.filter(status="APPROVED", reopened_at__isnull=True).update(is_locked=True)
    apps.get_model("households", "HouseholdYearLock").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0002_default_rating_scheme"),
        ("households", "0011_household_year_lock"),
    ]

    operations = [migrations.RunPython(create_year_locks, restore_is_locked)]
