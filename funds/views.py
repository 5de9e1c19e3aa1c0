"""扶贫资金 pages: the county ledger (sources → allocations → disbursements) and its 报账率.

Everyone in scope reads; the county office (services.LEDGER_ROLES) writes through the services.
A refused entry re-shows the page with every typed value and the service's message by its field.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.regions import RegionLevel
from core.scoping import get_visible_or_404
from households.forms import apply_service_errors
from villages.models import Region

from . import selectors, services
from .forms import AllocationForm, DisbursementForm, FundSourceForm, ReversalForm

MEASURE_CHOICES = 500  # a county's household measures of a year, offered in the allocation form


def _year(request, years: list[int]) -> int:
    value = request.GET.get("year", "")
    if value.isdigit() and 2000 <= int(value) <= 2100:
        return int(value)
    return years[0] if years else timezone.localdate().year


def _county(request, code: str) -> Region:
    return get_visible_or_404(Region.objects.filter(level=RegionLevel.COUNTY), request.user, pk=code)


def _ledger_county(request, code: str) -> Region:
    """The county, for a user who may write its ledger: out of scope is 404, read-only is 403."""
    county = _county(request, code)
    if request.user.role not in services.LEDGER_ROLES:
        raise PermissionDenied("资金台账由县级录入；其他级别只读。")
    return county


def _county_url(county: Region, year: int) -> str:
    return f"{reverse('funds:county', args=[county.code])}?year={year}"


def _allocation_form(user, county: Region, year: int, data=None) -> AllocationForm:
    return AllocationForm(
        data,
        sources=selectors.fund_sources(user, county_code=county.code, year=year).filter(remaining__gt=0),
        projects=selectors.fundable_projects(user, county_code=county.code),
        measures=selectors.county_aid_measures(user, county_code=county.code, year=year)[:MEASURE_CHOICES],
        initial={"allocated_on": timezone.localdate()},
    )


def _disbursement_form(user, county: Region, year: int, data=None) -> DisbursementForm:
    allocations = selectors.open_allocations(user, county_code=county.code, year=year)
    return DisbursementForm(data, allocations=allocations, initial={"paid_on": timezone.localdate()})


def _page(request, county: Region, year: int, *, status: int = 200, **bound):
    user = request.user
    years = sorted(
        {*selectors.fund_years(user, county_code=county.code), timezone.localdate().year, year}, reverse=True
    )
    context = {
        "county": county,
        "year": year,
        "years": years,
        "funds": selectors.county_funds(year, [county.code])[county.code],
        "sources": selectors.fund_sources(user, county_code=county.code, year=year),
        "allocations": selectors.allocations(user, county_code=county.code, year=year),
        "disbursements": selectors.disbursements(user, county_code=county.code, year=year),
        "can_enter": user.role in services.LEDGER_ROLES,
        "reversal": bound.pop("reversal", None),
        "nav_active": "funds",
    }
    if context["can_enter"]:
        context["source_form"] = bound.get("source_form") or FundSourceForm(
            initial={"year": year, "received_on": timezone.localdate()}
        )
        context["allocation_form"] = bound.get("allocation_form") or _allocation_form(user, county, year)
        context["disbursement_form"] = bound.get("disbursement_form") or _disbursement_form(user, county, year)
    return render(request, "funds/county.html", context, status=status)


@login_required
def index(request):
    """County users go to their county; province and city users choose one, each with its 报账率."""
    user = request.user
    if user.region_id and user.region.level == RegionLevel.COUNTY:
        return redirect("funds:county", code=user.region_id)
    years = selectors.fund_years(user)
    year = _year(request, years)
    return render(
        request,
        "funds/index.html",
        {
            "year": year,
            "years": sorted({*years, timezone.localdate().year, year}, reverse=True),
            "counties": selectors.counties_with_funds(user, year),
            "nav_active": "funds",
        },
    )


@login_required
def ledger(request, code):
    """One county's ledger of a year (?year=, default its latest year with a source)."""
    county = _county(request, code)
    return _page(request, county, _year(request, selectors.fund_years(request.user, county_code=county.code)))


def _write(request, county: Region, key: str, form, call, success: str):
    """Validate `form`, call the service; on any error re-show the page with the form as typed."""
    year = _year(request, [])
    if form.is_valid():
        try:
            year = call(form.cleaned_data) or year
        except ValidationError as error:
            apply_service_errors(error, form)
        else:
            messages.success(request, success)
            return redirect(_county_url(county, year))
    return _page(request, county, year, status=400, **{key: form})


@login_required
@require_POST
def source_new(request, code):
    county = _ledger_county(request, code)
    form = FundSourceForm(request.POST)

    def call(data):
        return services.create_fund_source(user=request.user, county_code=county.code, **data).year

    return _write(request, county, "source_form", form, call, "资金来源已录入。")


@login_required
@require_POST
def allocation_new(request, code):
    county = _ledger_county(request, code)
    form = _allocation_form(request.user, county, _year(request, []), request.POST)

    def call(data):
        allocation = services.allocate(
            user=request.user,
            source_id=data["source"],
            project_id=data["project"],
            aid_measure_id=data["aid_measure"],
            amount=data["amount"],
            allocated_on=data["allocated_on"],
            note=data["note"],
        )
        return allocation.source.year

    return _write(request, county, "allocation_form", form, call, "资金已分配。")


@login_required
@require_POST
def disbursement_new(request, code):
    county = _ledger_county(request, code)
    form = _disbursement_form(request.user, county, _year(request, []), request.POST)

    def call(data):
        return services.disburse(user=request.user, allocation_id=data.pop("allocation"), **data).allocation.source.year

    return _write(request, county, "disbursement_form", form, call, "报账已登记。")


def _reverse(request, code, kind: str, pk: int, service):
    county = _ledger_county(request, code)
    year = _year(request, [])
    form = ReversalForm(request.POST)
    if form.is_valid():
        try:
            service(user=request.user, reason=form.cleaned_data["reason"], **{f"{kind}_id": pk})
        except ValidationError as error:
            apply_service_errors(error, form)
        else:
            messages.success(request, "已冲销。")
            return redirect(_county_url(county, year))
    reversal = {"kind": kind, "pk": pk, "form": form, "errors": [m for ms in form.errors.values() for m in ms]}
    return _page(request, county, year, status=400, reversal=reversal)


@login_required
@require_POST
def allocation_reverse(request, code, pk):
    return _reverse(request, code, "allocation", pk, services.reverse_allocation)


@login_required
@require_POST
def disbursement_reverse(request, code, pk):
    return _reverse(request, code, "disbursement", pk, services.reverse_disbursement)
