"""The years a form accepts are the years the API accepts (core/years.py), wherever a year is typed."""

import pytest
from django import forms
from rest_framework import serializers

from core.years import FIRST_INCOME_YEAR, FIRST_YEAR, LAST_YEAR
from funds.api import FundSourceCreateSerializer
from funds.forms import FundSourceForm
from households.api import HouseholdWriteSerializer, IncomeWriteSerializer
from households.forms import AidMeasureForm, HouseholdForm, IncomeForm
from projects.api import ProjectWriteSerializer
from projects.forms import ProjectForm


def form_accepts(field: forms.Field, year: int) -> bool:
    try:
        field.clean(str(year))
    except forms.ValidationError:
        return False
    return True


def api_accepts(field: serializers.Field, year: int) -> bool:
    try:
        field.run_validation(year)
    except serializers.ValidationError:
        return False
    return True


PAIRS = {
    "识别年度": (HouseholdForm.base_fields["identified_year"], HouseholdWriteSerializer().fields["identified_year"]),
    "收入年度": (IncomeForm.base_fields["year"], IncomeWriteSerializer().fields["year"]),
    "项目年度": (ProjectForm.base_fields["year"], ProjectWriteSerializer().fields["year"]),
    "资金年度": (FundSourceForm.base_fields["year"], FundSourceCreateSerializer().fields["year"]),
}


@pytest.mark.parametrize("name", PAIRS)
@pytest.mark.parametrize(
    "year", [FIRST_INCOME_YEAR - 1, FIRST_INCOME_YEAR, FIRST_YEAR - 1, FIRST_YEAR, LAST_YEAR, LAST_YEAR + 1]
)
def test_the_form_and_the_api_accept_the_same_years(name, year):
    form_field, api_field = PAIRS[name]
    assert form_accepts(form_field, year) == api_accepts(api_field, year)


def test_registry_years_start_in_2013_and_income_years_in_2010():
    assert not form_accepts(HouseholdForm.base_fields["identified_year"], 2012)
    assert form_accepts(HouseholdForm.base_fields["identified_year"], 2013)
    assert not form_accepts(AidMeasureForm.base_fields["year"], 2012)
    assert form_accepts(IncomeForm.base_fields["year"], 2010)
    assert not form_accepts(IncomeForm.base_fields["year"], 2009)
    assert not form_accepts(ProjectForm.base_fields["year"], LAST_YEAR + 1)
