"""The timed steps of `make bench`, in order. Later issues append theirs here."""

from django.core.management import call_command
from django.db import connection

from bench.harness import step, timed_repeats
from fupin.demo import demo_is_loaded, load_demo
from households.models import Household
from villages.models import Region
from villages.selectors import subtree_counts


@step("migrate")
def migrate(context):
    call_command("migrate", verbosity=0, interactive=False)
    return {"rows": 0}


@step("seed")
def seed(context):
    if context["reuse"] and demo_is_loaded():
        return {"rows": Household.objects.count(), "skipped": "BENCH_REUSE=1 and data present"}
    written = load_demo(households=context["households"])
    return {"rows": written["households"] + written["members"], **written}


def busiest_township() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT left(village_id, 9) FROM households_household GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        return cursor.fetchone()[0]


@step("scoped_household_count_township")
def scoped_household_count(context):
    """COUNT of one township's households through the scoping prefix (what a clerk's page runs)."""
    prefix = busiest_township()
    result = timed_repeats(lambda: Household.objects.filter(village__code__startswith=prefix).count(), repeats=200)
    return {**result, "township": prefix}


@step("scope_summary_county")
def scope_summary_county(context):
    """The four home-page counts of a county (a county reviewer's home page on a cache miss)."""
    county = Region.objects.filter(level="county").order_by("code").values_list("code", flat=True).first()
    return {**timed_repeats(lambda: subtree_counts(county[:6])["households"], repeats=20), "county": county}


@step("scope_summary_province")
def scope_summary_province(context):
    """The four home-page counts of the whole province (provincial staff, cache miss)."""
    return timed_repeats(lambda: subtree_counts("62")["households"], repeats=5)
