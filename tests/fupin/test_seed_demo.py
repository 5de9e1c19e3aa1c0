import hashlib
import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from stdnum.cn import ric

from core.models import User
from core.regions import RegionLevel
from fupin.demo import load_demo, province
from households.codes import Relation
from households.idnumbers import birth_date_of, gender_of, id_number_hash, mask_id_number
from households.models import Helper, HistoricalLoad, Household, Member
from households.names import pinyin_full, pinyin_initials
from villages.models import County, Region, Village, VillagePopulation

pytestmark = pytest.mark.django_db(transaction=True)


def fingerprint() -> str:
    """Everything generated except ciphertext (random IV) and timestamps."""
    digest = hashlib.sha256()
    for row in Region.objects.order_by("code").values_list("code", "name", "level", "parent_id"):
        digest.update(repr(row).encode())
    for row in Household.objects.order_by("id").values_list(
        "household_no", "village_id", "head_name", "main_cause", "other_causes", "status", "exit_year", "member_count"
    ):
        digest.update(repr(row).encode())
    for row in Member.objects.order_by("id").values_list("name", "id_number_hash", "relation", "birth_date", "health"):
        digest.update(repr(row).encode())
    for row in Village.objects.order_by("region_id").values_list("region_id", "is_poor_village", "exit_year"):
        digest.update(repr(row).encode())
    for row in VillagePopulation.objects.order_by("village_id", "year").values_list(
        "village_id", "year", "rural_population"
    ):
        digest.update(repr(row).encode())
    return digest.hexdigest()


def wipe():
    from assessment.models import Application, ReductionPlan, SampleSurvey
    from assistance.models import AidUnit, TeamMember, UnitAssignment, VillageTeam
    from monitoring.models import DepartmentList, MonitoringLead, MonitoringObject

    # The story's applications, plans and surveys, the load's audit row and its loader (the
    # demo province user) hold on to the regions; the monitoring records, leads and lists to households and users.
    Application.objects.all().delete()
    MonitoringLead.objects.all().delete()
    DepartmentList.objects.all().delete()
    MonitoringObject.objects.all().delete()
    ReductionPlan.objects.all().delete()
    SampleSurvey.objects.all().delete()
    HistoricalLoad.objects.all().delete()
    User.objects.filter(is_demo=True).delete()
    Member.objects.all().delete()
    Household.objects.all().delete()
    Helper.objects.all().delete()  # 结对帮扶's helpers hold on to their regions
    TeamMember.objects.update(successor=None)  # a replaced member names the successor (PROTECT)
    for model in (TeamMember, VillageTeam, UnitAssignment, AidUnit):  # 驻村工作队 and 帮扶单位 hold regions
        model.objects.all().delete()
    VillagePopulation.objects.all().delete()
    County.objects.all().delete()
    for level in ("village", "township", "county", "city", "province"):
        Region.objects.filter(level=level).delete()


def test_the_seed_is_deterministic():
    load_demo(households=400, seed=7)
    first = fingerprint()
    wipe()
    load_demo(households=400, seed=7)
    assert fingerprint() == first
    wipe()
    load_demo(households=400, seed=8)
    assert fingerprint() != first


def test_the_seed_is_the_same_when_its_townships_are_generated_in_one_process_per_core(monkeypatch):
    """Province scale spawns one generating process per core; the people and their years do not change."""
    load_demo(households=400, seed=7)
    in_this_process = fingerprint()
    wipe()
    monkeypatch.setattr(province, "PARALLEL_FROM", 0)
    spawned = []
    real_pool = province.multiprocessing.get_context

    def counted(method):
        spawned.append(method)
        return real_pool(method)

    monkeypatch.setattr(province.multiprocessing, "get_context", counted)
    load_demo(households=400, seed=7)
    assert spawned == (["spawn"] if (os.cpu_count() or 1) > 1 else [])
    assert fingerprint() == in_this_process
    assert Member.objects.values("id_number_hash").distinct().count() == Member.objects.count()


def test_the_seed_has_the_demo_province_shape_and_valid_id_numbers():
    written = load_demo(households=600, seed=1)
    assert written["households"] == Household.objects.count() == 600
    assert Region.objects.filter(level=RegionLevel.PROVINCE).count() == 1
    assert Region.objects.filter(level=RegionLevel.CITY).count() == 2
    assert Region.objects.filter(level=RegionLevel.COUNTY).count() == 4
    # Every county is a poverty county and 摘帽 by 2020 (fupin/demo/story.py).
    assert County.objects.filter(is_poverty_county=True).count() == 4
    assert Region.objects.filter(level=RegionLevel.TOWNSHIP).count() == 20
    members = list(Member.objects.all())
    assert written["members"] == len(members)
    assert 2.5 < len(members) / 600 < 4.5
    for member in members:
        number = member.id_number
        assert ric.is_valid(number), number
        assert member.birth_date == birth_date_of(number)
        assert member.gender == gender_of(number)
        assert member.id_number_hash == id_number_hash(number)
        assert member.id_number_masked == mask_id_number(number)
    assert len({member.id_number for member in members}) == len(members)
    heads = Member.objects.filter(relation=Relation.HEAD).values_list("household_id", flat=True)
    assert sorted(heads) == sorted(Household.objects.values_list("id", flat=True))
    # The COPY seed fills the search columns as the registry services do (households/names.py).
    for name, initials, pinyin in Household.objects.values_list("head_name", "head_name_initials", "head_name_pinyin"):
        assert (initials, pinyin) == (pinyin_initials(name), pinyin_full(name)) and pinyin

    # By the end of 2020 no household is left 未脱贫; 一般农户 are on record for monitoring.
    statuses = set(Household.objects.values_list("status", flat=True))
    assert statuses == {"EXITED", "REMOVED", "CANCELLED", "ORDINARY"}
    assert len(set(Household.objects.values_list("main_cause", flat=True))) >= 8
    assert VillagePopulation.objects.count() == Region.objects.filter(level="village").count() * 7


def test_the_load_is_one_historical_load_though_logged_township_by_township(monkeypatch):
    """Each township's back-dated log is written and folded as its rows are copied: the record
    is still one 历史数据导入, every loaded household logged under its name, and the poor years
    folded part by part are those the whole log gives."""
    from django.db import transaction

    from households.codes import AdjustmentKind
    from households.models import AdjustmentRecord
    from households.poverty import refresh_poverty_years

    monkeypatch.setattr(province, "PARALLEL_FROM", 0)
    written = load_demo(households=600, seed=3)
    load = HistoricalLoad.objects.get()
    assert load.household_count == written["households"] - written["ordinary_households"]
    assert load.member_count == written["members"] - Member.objects.filter(household__status="ORDINARY").count()
    assert load.original_name == "演示省份历史数据（种子3）"
    loaded_log = AdjustmentRecord.objects.filter(reason__startswith="历史数据导入")
    assert set(loaded_log.values_list("reason", flat=True)) == {f"历史数据导入：{load.original_name}"}
    assert loaded_log.values("household_id").distinct().count() == load.household_count
    assert set(loaded_log.values_list("created_by", flat=True)) == {load.loaded_by_id}
    # The households that exited and returned before the system get both steps, under the same name.
    assert loaded_log.filter(kind=AdjustmentKind.RETURNED).exists()

    loaded = Household.objects.filter(pk__in=loaded_log.values("household_id")).order_by("id")
    folded = list(loaded.values_list("id", "poor_years", "exit_years"))
    assert all(poor_years is not None for _, poor_years, _ in folded)
    assert sum(1 for _, poor_years, _ in folded if poor_years) > 0
    with transaction.atomic():
        refresh_poverty_years([pk for pk, _, _ in folded])
        assert list(loaded.values_list("id", "poor_years", "exit_years")) == folded
        transaction.set_rollback(True)


def test_seed_demo_command_is_idempotent():
    out = StringIO()
    call_command("seed_demo", households=300, stdout=out)
    assert "已加载演示数据" in out.getvalue()
    again = StringIO()
    call_command("seed_demo", households=300, stdout=again)
    assert "跳过加载" in again.getvalue()
    assert Household.objects.count() == 300
    assert "demo_clerk" in again.getvalue()
    # The assessment demo: applications waiting for the county, incidence and ratings, made once.
    from assessment.models import Application, CountyRating, IncidenceRate
    from assessment.selectors import review_queue
    from core.models import User

    applications = Application.objects.count()
    assert applications >= 1
    county = User.objects.get(username="demo_county")
    waiting = review_queue(county, timezone.localdate())
    # The county's decision step: 县审定 of the registry's kinds, 县级审定 of a monitoring identification.
    assert all(application.awaiting_step_name in ("县审定", "县级审定") for application in waiting)
    assert IncidenceRate.objects.filter(year=2020, region_id="620000000000").exists()
    assert CountyRating.objects.filter(year=2020, period="YEAR").count() == 4
    call_command("seed_demo", households=300, stdout=StringIO())
    assert Application.objects.count() == applications


@pytest.mark.django_db
@pytest.mark.parametrize("households", [2_000_000, 10_000_000])
def test_the_province_scale_layout_has_unique_well_formed_codes(households):
    import random

    from core.regions import level_of
    from fupin.demo import build_regions

    regions = build_regions(households, random.Random(1))
    codes = [region.code for region in regions]
    assert len(codes) == len(set(codes))
    villages = [region for region in regions if region.level == RegionLevel.VILLAGE]
    assert len(villages) == households // 100
    townships = [region for region in regions if region.level == RegionLevel.TOWNSHIP]
    # Past 148 townships a county (the cost curve's 10,000,000), townships hold more villages.
    assert len(townships) == (4 * 125 if households == 2_000_000 else 4 * 148)
    for region in regions:
        assert level_of(region.code) == region.level, region.code
        assert region.parent_id is None or region.code.startswith(region.parent_id.rstrip("0")[:2])
