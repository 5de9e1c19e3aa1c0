"""The load test's users and what each works on (bench/loadtest.py writes it; bench/locustfile.py reads it).

Four kinds, in the shares a province's working day has them: township clerks (half: list, search,
open, edit, register a 监测识别), a second clerk per township doing the 乡镇 review steps of what
the clerks submitted (each township one reviewer, so no two users race for one step), county
reviewers (queue, applications, lists and figures of their county) and provincial staff (figures,
statistics, regions, exports). Each user gets a session made here, as a login would make it.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection
from django.utils.crypto import get_random_string

from core.codes import Role
from core.models import User
from core.regions import RegionLevel, code_of_prefix, code_prefix, sql_code_prefix
from households.codes import HouseholdStatus
from households.models import Household
from monitoring.codes import OPEN_STATUSES
from monitoring.models import MonitoringObject
from villages.models import Region

SHARES = {"clerk": 0.5, "township_reviewer": 0.2, "county": 0.2, "province": 0.1}
HOUSEHOLDS_PER_CLERK = 60
SUBMISSIONS_PER_CLERK = 12


def session_for(user: User) -> str:
    """A logged-in session of `user`, as django.contrib.auth.login stores it."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "core.auth.ScopedModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def load_user(username: str, role: str, region_code: str) -> User:
    user, _ = User.objects.update_or_create(
        username=username, defaults={"role": role, "region_id": region_code, "is_active": True, "first_name": "压测"}
    )
    return user


def busiest_townships(count: int) -> list[str]:
    with connection.cursor() as cursor:
        township = sql_code_prefix("village_id", RegionLevel.TOWNSHIP)
        cursor.execute(
            f"SELECT {township} FROM households_household GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT %s",  # noqa: S608
            [count],
        )
        return [code_of_prefix(row[0]) for row in cursor.fetchall()]


def load_plan(users: int) -> dict:
    """Create the load users (load_…) with sessions and each one's households; returns the plan."""
    counts = {kind: max(1, round(users * share)) for kind, share in SHARES.items()}
    townships = busiest_townships(counts["township_reviewer"])
    counts["township_reviewer"] = len(townships)  # one reviewer per township, however few there are
    counts["clerk"] = users - counts["township_reviewer"] - counts["county"] - counts["province"]
    open_records = MonitoringObject.objects.filter(status__in=OPEN_STATUSES).values("household_id")
    plan = {
        "households": Household.objects.count(),
        "csrf": get_random_string(32),
        "clerk": [],
        "township_reviewer": [],
        "county": [],
        "province": [],
    }
    pools = {}
    for township in townships:
        prefix = code_prefix(township, RegionLevel.TOWNSHIP)
        # Households on the register (a 清退 or 自然销户 one is read-only: an edit of it is refused).
        in_township = Household.objects.within_prefix(prefix).exclude(
            status__in=[HouseholdStatus.REMOVED, HouseholdStatus.CANCELLED]
        )
        clerks_here = max(1, counts["clerk"] // len(townships) + 1)
        free = (
            in_township.filter(status=HouseholdStatus.EXITED)
            .exclude(id__in=open_records)
            .order_by("id")
            .values_list("id", flat=True)[: clerks_here * SUBMISSIONS_PER_CLERK]
        )
        pools[township] = {
            "households": list(in_township.order_by("id").values_list("id", flat=True)[:HOUSEHOLDS_PER_CLERK]),
            "initials": sorted(
                {initials[:2] for initials in in_township.values_list("head_name_initials", flat=True)[:200]}
            ),
            "free": list(free),
        }
    for index in range(counts["clerk"]):
        township = townships[index % len(townships)]
        pool = pools[township]
        user = load_user(f"load_clerk_{index:03d}", Role.TOWNSHIP_CLERK, township)
        submissions, pool["free"] = pool["free"][:SUBMISSIONS_PER_CLERK], pool["free"][SUBMISSIONS_PER_CLERK:]
        plan["clerk"].append(
            {
                "username": user.username,
                "session": session_for(user),
                "township": township,
                "households": pool["households"],
                "initials": pool["initials"] or ["M"],
                "submit": submissions,
            }
        )
    for index, township in enumerate(townships):
        user = load_user(f"load_review_{index:03d}", Role.TOWNSHIP_CLERK, township)
        plan["township_reviewer"].append({"username": user.username, "session": session_for(user)})
    counties = list(Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").values_list("code", flat=True))
    for index in range(counts["county"]):
        county = counties[index % len(counties)]
        user = load_user(f"load_county_{index:03d}", Role.COUNTY_REVIEWER, county)
        prefix = code_prefix(county, RegionLevel.COUNTY)
        plan["county"].append(
            {
                "username": user.username,
                "session": session_for(user),
                "county": county,
                "townships": list(
                    Region.objects.filter(level=RegionLevel.TOWNSHIP, code__startswith=prefix).values_list(
                        "code", flat=True
                    )[:20]
                ),
                "households": list(
                    Household.objects.within_prefix(prefix).order_by("id").values_list("id", flat=True)[:100]
                ),
            }
        )
    province = Region.objects.filter(level=RegionLevel.PROVINCE).values_list("code", flat=True).first()
    regions = [province, *counties, *townships[:10]]
    for index in range(counts["province"]):
        user = load_user(f"load_province_{index:03d}", Role.PROVINCE_STAFF, province)
        plan["province"].append({"username": user.username, "session": session_for(user), "regions": regions})
    return plan
