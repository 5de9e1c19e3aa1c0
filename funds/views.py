"""扶贫资金 pages: the county ledger (sources → allocations → disbursements) and its 报账率.

Everyone in scope reads; Action.WRITE_LEDGER (the county office) writes through the services.
A refused entry re-shows the page with every typed value and the service's message by its field.
"""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.forms import FormAction, form_of, run_action
from core.parsing import optional_year
from core.permissions import Action, allows, require
from core.regions import RegionLevel
from core.scoping import get_visible_or_404
from villages.models import Region

from . import selectors, services
from .forms import AllocationForm, DisbursementForm, FundSourceForm, ReversalForm
from .models import Allocation, Disbursement

MEASURE_CHOICES = 500  # a county's household measures of a year, offered in the allocation form


def _year(request, years: list[int]) -> int:
    try:
        year = optional_year(request.GET, "year")
    except ValidationError:
        year = None  # a mistyped year in the address shows the default year, as no year does
    if year is not None:
        return year
    return years[0] if years else timezone.localdate().year


def _county(request, code: str) -> Region:
    return get_visible_or_404(Region.objects.filter(level=RegionLevel.COUNTY), request.user, pk=code)


def _ledger_county(request, code: str) -> Region:
    """The county, for a new entry: out of scope is 404; then the policy refuses a read-only role
    (403) before the form is read, as the service would."""
    county = _county(request, code)
    require(request.user, Action.WRITE_LEDGER)
    return county


def _county_url(county: Region, year: int) -> str:
    return f"{reverse('funds:county', args=[county.code])}?year={year}"


@dataclass(frozen=True)
class Ledger:
    """A county's ledger of a year: what its forms offer, and the page a refused entry comes back to."""

    county: Region
    year: int


def _source_form(data, user, ledger: Ledger) -> FundSourceForm:
    return FundSourceForm(data, initial={"year": ledger.year, "received_on": timezone.localdate()})


def _allocation_form(data, user, ledger: Ledger) -> AllocationForm:
    code = ledger.county.code
    return AllocationForm(
        data,
        sources=selectors.fund_sources(user, county_code=code, year=ledger.year).filter(remaining__gt=0),
        projects=selectors.fundable_projects(user, county_code=code),
        measures=selectors.county_aid_measures(user, county_code=code, year=ledger.year)[:MEASURE_CHOICES],
        initial={"allocated_on": timezone.localdate()},
    )


def _disbursement_form(data, user, ledger: Ledger) -> DisbursementForm:
    allocations = selectors.open_allocations(user, county_code=ledger.county.code, year=ledger.year)
    return DisbursementForm(data, allocations=allocations, initial={"paid_on": timezone.localdate()})


# Each entry of the ledger: its form, the service it calls (giving the year to show next), the message.
ENTRIES = {
    "source": FormAction(
        "source_form",
        _source_form,
        lambda data, user, ledger: services.create_fund_source(user=user, county_code=ledger.county.code, **data).year,
        "资金来源已录入。",
    ),
    "allocation": FormAction(
        "allocation_form",
        _allocation_form,
        lambda data, user, ledger: (
            services.allocate(
                user=user,
                source_id=data["source"],
                project_id=data["project"],
                aid_measure_id=data["aid_measure"],
                amount=data["amount"],
                allocated_on=data["allocated_on"],
                note=data["note"],
            ).source.year
        ),
        "资金已分配。",
    ),
    "disbursement": FormAction(
        "disbursement_form",
        _disbursement_form,
        lambda data, user, ledger: (
            services.disburse(user=user, allocation_id=data.pop("allocation"), **data).allocation.source.year
        ),
        "报账已登记。",
    ),
}
# 冲销 of one row (the target is its id), with the reason on record.
REVERSALS = {
    "allocation": FormAction(
        "reversal_form",
        form_of(ReversalForm),
        lambda data, user, pk: services.reverse_allocation(user=user, allocation_id=pk, reason=data["reason"]),
        "已冲销。",
    ),
    "disbursement": FormAction(
        "reversal_form",
        form_of(ReversalForm),
        lambda data, user, pk: services.reverse_disbursement(user=user, disbursement_id=pk, reason=data["reason"]),
        "已冲销。",
    ),
}


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
        "can_enter": allows(user, Action.WRITE_LEDGER),
        "reversal": bound.pop("reversal", None),
        "nav_active": "funds",
    }
    if context["can_enter"]:
        ledger = Ledger(county, year)
        for entry in ENTRIES.values():
            context[entry.name] = bound.get(entry.name) or entry.form(None, user, ledger)
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


def _enter(request, code: str, entry: str):
    """Validate the entry's form and call its service; a refusal re-shows the page with the form as typed."""
    county = _ledger_county(request, code)
    ledger = Ledger(county, _year(request, []))
    outcome = run_action(request, ENTRIES[entry], ledger)
    if outcome.done:
        return redirect(_county_url(county, outcome.result or ledger.year))
    return _page(request, county, ledger.year, status=400, **{ENTRIES[entry].name: outcome.form})


@login_required
@require_POST
def source_new(request, code):
    return _enter(request, code, "source")


@login_required
@require_POST
def allocation_new(request, code):
    return _enter(request, code, "allocation")


@login_required
@require_POST
def disbursement_new(request, code):
    return _enter(request, code, "disbursement")


# The entries a reversal may name, by kind, each within its county.
REVERSIBLE = {
    "allocation": lambda county: Allocation.objects.filter(source__county=county),
    "disbursement": lambda county: Disbursement.objects.filter(allocation__source__county=county),
}


def _reverse(request, code, kind: str, pk: int):
    """冲销 one entry: the county and the entry are looked up first (404), the service checks the role (403)."""
    county = _county(request, code)
    get_visible_or_404(REVERSIBLE[kind](county), request.user, pk=pk)
    year = _year(request, [])
    outcome = run_action(request, REVERSALS[kind], pk)
    if outcome.done:
        return redirect(_county_url(county, year))
    form = outcome.form
    reversal = {"kind": kind, "pk": pk, "form": form, "errors": [m for ms in form.errors.values() for m in ms]}
    return _page(request, county, year, status=400, reversal=reversal)


@login_required
@require_POST
def allocation_reverse(request, code, pk):
    return _reverse(request, code, "allocation", pk)


@login_required
@require_POST
def disbursement_reverse(request, code, pk):
    return _reverse(request, code, "disbursement", pk)
