"""Celery entry points: take years, take the lock, call the statistics; never PII or instances."""

from celery import shared_task
from django.db.models import Min
from django.utils import timezone

from core.locks import advisory_lock
from households.counts import forget_cached_counts
from households.models import Household

from .breakdowns import forget_cached_breakdowns
from .models import ReductionPlan, SampleSurvey
from .ratings import recompute_county_ratings
from .statistics import recompute_chain_rates, recompute_incidence_rates


def incidence_years() -> list[int]:
    """Every year from the earliest identification up to this year."""
    first = Household.objects.aggregate(first=Min("identified_year"))["first"]
    this_year = timezone.localdate().year
    return list(range(first or this_year, this_year + 1))


def assessed_years() -> list[int]:
    """Years with a reduction plan or a sample survey: the ones under assessment."""
    years = set(ReductionPlan.objects.values_list("year", flat=True))
    years |= set(SampleSurvey.objects.values_list("year", flat=True))
    return sorted(years)


# Idempotent upserts: a run whose worker was killed is put back and run again from the start.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def recompute_incidence(year: int | None = None) -> dict:
    """IncidenceRate for one year (or every year): one upsert each; a concurrent run waits."""
    written = {}
    for each_year in [year] if year else incidence_years():
        with advisory_lock("recompute_incidence", each_year, wait=True):
            written[each_year] = recompute_incidence_rates(each_year)
    return {"rows": written}


@shared_task(acks_late=True, reject_on_worker_lost=True)
def recompute_region_chain(village_code: str, years: list[int]) -> dict:
    """IncidenceRate of one village's chain (village … province) for some years, after a write.

    Takes the same per-year lock as the full run: a chain sums its neighbours' stored rows, so
    it must not interleave with another chain or the full upsert of that year.
    """
    written = {}
    for year in sorted({int(year) for year in years}):
        with advisory_lock("recompute_incidence", year, wait=True):
            written[year] = recompute_chain_rates(village_code, year)
    forget_cached_counts(village_code)
    forget_cached_breakdowns(village_code, sorted(written))
    return {"village": village_code, "rows": written}


def years_from(year: int) -> list[int]:
    """`year` and every later year up to this one: a change that takes effect in `year` moves them all."""
    return list(range(int(year), max(int(year), timezone.localdate().year) + 1))


def recompute_after_figures_changed(sender, *, village_code: str, years: list[int], **kwargs) -> None:
    """households' figures_changed: recompute that village's chain in the background.

    Poor at the end of a year carries into the next, so the earliest year given and every
    later one up to this year are recomputed.
    """
    recompute_region_chain.delay(village_code, years_from(min(years)))


@shared_task(acks_late=True)
def recompute_ratings(year: int | None = None) -> dict:
    """CountyRating for one year (or every assessed year); a concurrent run waits."""
    written = {}
    for each_year in [year] if year else assessed_years():
        with advisory_lock("recompute_ratings", each_year, wait=True):
            written[each_year] = recompute_county_ratings(each_year)
    return {"rows": written}


def recompute_ratings_after_ledger_change(sender, *, year: int, **kwargs) -> None:
    """funds' ledger_changed: 报账率 moved, so the year's ratings are recomputed in the background."""
    recompute_ratings.delay(year)
