import pytest
from django.apps import apps

from assessment.models import (
    Application,
    ApplicationStep,
    CountyRating,
    IncidenceRate,
    Objection,
    ReductionPlan,
    SampleSurvey,
)
from assistance.models import AidUnit, TeamMember, UnitAssignment, VillageTeam, Visit
from funds.models import Allocation, Disbursement, FundSource
from households.models import (
    AdjustmentRecord,
    AidMeasure,
    Helper,
    HelperAssignment,
    HistoricalLoad,
    Household,
    HouseholdYearLock,
    IncomeRecord,
    Member,
)
from monitoring.models import AssistanceMeasure, DepartmentList, MonitoringLead, MonitoringObject
from projects.models import Beneficiary, Notice, NoticeObjection, Project, ProjectEvent
from tests.factories import populate
from villages.models import County, Region, Village, VillagePopulation

pytestmark = pytest.mark.django_db


def scoped_models():
    return [model for model in apps.get_models() if hasattr(model, "scope_code_field")]


def test_every_scoped_model_is_known_here():
    assert set(scoped_models()) == {
        Region,
        County,
        Village,
        VillagePopulation,
        Household,
        Member,
        AdjustmentRecord,
        IncomeRecord,
        HouseholdYearLock,
        HistoricalLoad,
        Helper,
        HelperAssignment,
        AidMeasure,
        Application,
        ApplicationStep,
        Objection,
        SampleSurvey,
        ReductionPlan,
        IncidenceRate,
        CountyRating,
        Project,
        ProjectEvent,
        Beneficiary,
        Notice,
        NoticeObjection,
        FundSource,
        Allocation,
        Disbursement,
        MonitoringObject,
        AssistanceMeasure,
        MonitoringLead,
        DepartmentList,
        AidUnit,
        UnitAssignment,
        VillageTeam,
        TeamMember,
        Visit,
    }


def test_every_scoped_model_hides_the_other_township(clerk_a, two_townships):
    County.objects.create(region=two_townships["county"])
    for key in ("village_a", "village_b"):
        village = Village.objects.create(region=two_townships[key])
        VillagePopulation.objects.create(village=village, year=2019, rural_population=900)
        township = two_townships["township_a" if key == "village_a" else "township_b"]
        populate(two_townships[key], township)
    for model in scoped_models():
        visible = model.objects.visible_to(clerk_a)
        codes = set(visible.values_list(model.scope_code_field, flat=True))
        assert all(code.startswith("622926101") for code in codes), model.__name__
        everything = set(model.objects.values_list(model.scope_code_field, flat=True))
        if any(code.startswith("622926101") for code in everything):
            assert codes, f"{model.__name__}: the clerk sees nothing of their own township"
