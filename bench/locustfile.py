"""The working day of a province's users, for Locust (bench/loadtest.py runs it: `make loadtest`).

Each simulated user takes one identity of the plan (bench/load_users.py): its session, its region,
the households it works on. Weights are how often each action comes in a user's day; between two
actions a user reads the page for 2–8 seconds. A response other than the expected one is an error.
"""

import itertools
import json
import os
import random
from datetime import date

from locust import HttpUser, between, task

PLAN = json.loads(open(os.environ["LOADTEST_PLAN"], encoding="utf-8").read())  # noqa: SIM115 - read once
TODAY = date.today().isoformat()
_identities = {kind: itertools.cycle(PLAN[kind]) for kind in ("clerk", "township_reviewer", "county", "province")}


class PlannedUser(HttpUser):
    abstract = True
    kind = ""
    wait_time = between(2, 8)

    def on_start(self):
        self.identity = next(_identities[self.kind])
        self.client.cookies.set("sessionid", self.identity["session"])
        self.client.cookies.set("csrftoken", PLAN["csrf"])
        self.client.headers.update({"X-CSRFToken": PLAN["csrf"], "Referer": self.host + "/"})

    def page(self, url, name):
        self.client.get(url, name=name)


class Clerk(PlannedUser):
    """乡镇录入员: the township's households, one edit now and then, a 监测识别 after a visit."""

    kind = "clerk"
    fixed_count = len(PLAN["clerk"])

    def on_start(self):
        super().on_start()
        self.to_submit = list(self.identity["submit"])

    @task(4)
    def household_list(self):
        self.page("/households/", "户列表（本乡镇）")

    @task(2)
    def search(self):
        self.page(f"/households/?q={random.choice(self.identity['initials'])}", "户列表 拼音首字母检索")

    @task(4)
    def household_page(self):
        self.page(f"/households/{random.choice(self.identity['households'])}/", "户详情页")

    @task(1)
    def edit_through_api(self):
        household = random.choice(self.identity["households"])
        url = f"/api/v1/households/{household}/"
        response = self.client.get(url, name="API 户详情")
        if response.status_code != 200:
            return
        with self.client.patch(
            url,
            json={"group_name": f"第{random.randint(1, 8)}组"},
            headers={"If-Match": response.headers.get("ETag", "")},
            name="API 修改户（If-Match）",
            catch_response=True,
        ) as patch:
            # Another clerk of the township saved the same household in between: 412 is the
            # optimistic lock doing its job, not an error of the system.
            if patch.status_code in (200, 412):
                patch.success()

    @task(1)
    def submit_monitoring_identification(self):
        if not self.to_submit:
            return self.household_list()
        household = self.to_submit.pop()
        self.client.post(
            "/api/v1/applications/monitoring-identification/",
            json={
                "household": household,
                "discovered_on": TODAY,
                "category": "1",
                "risk_types": ["01"],
                "income_12_months": "1000",
                "compliant_costs": "0",
                "consent_signed_on": TODAY,
                "note": "压测：入户核实发现因病风险",
            },
            name="API 发起监测识别",
        )


class TownshipReviewer(PlannedUser):
    """The township's second clerk: 信息比对 and 民主评议 of what the clerks submitted."""

    kind = "township_reviewer"
    fixed_count = len(PLAN["township_reviewer"])

    @task(3)
    def queue(self):
        self.page("/assessment/queue/", "审核待办")

    @task(2)
    def review_one(self):
        response = self.client.get("/api/v1/applications/?queue=1", name="API 待我审核")
        if response.status_code != 200:
            return
        waiting = response.json().get("results") or []
        if not waiting:
            return
        application = waiting[0]["id"]
        self.page(f"/assessment/applications/{application}/", "申请详情页")
        self.client.post(
            f"/api/v1/applications/{application}/approve/",
            json={"comment": "压测：核实无误", "confirm": False},
            name="API 同意（乡镇步骤）",
        )


class CountyReviewer(PlannedUser):
    """县级审核员: the queue, the county's households and figures."""

    kind = "county"
    fixed_count = len(PLAN["county"])

    @task(3)
    def queue(self):
        self.page("/assessment/queue/", "审核待办")

    @task(2)
    def household_list(self):
        self.page("/households/", "户列表（全县）")

    @task(2)
    def township_list(self):
        self.page(f"/households/?region={random.choice(self.identity['townships'])}", "户列表（按乡镇筛选）")

    @task(2)
    def household_page(self):
        self.page(f"/households/{random.choice(self.identity['households'])}/", "户详情页")

    @task(1)
    def dashboard(self):
        self.page("/assessment/dashboard/", "贫困发生率与考核")

    @task(1)
    def monitoring_dashboard(self):
        self.page("/monitoring/dashboard/", "监测统计")

    @task(1)
    def statistics(self):
        self.page(f"/assessment/statistics/?region={self.identity['county']}", "统计分析")

    @task(1)
    def county_page(self):
        self.page(f"/regions/{self.identity['county']}/", "区划页")


class ProvinceStaff(PlannedUser):
    """省级人员: figures, statistics, regions, and an export now and then."""

    kind = "province"
    fixed_count = len(PLAN["province"])

    @task(2)
    def home(self):
        self.page("/", "首页")

    @task(2)
    def dashboard(self):
        self.page("/assessment/dashboard/", "贫困发生率与考核")

    @task(3)
    def region(self):
        self.page(f"/regions/{random.choice(self.identity['regions'])}/", "区划页")

    @task(2)
    def statistics(self):
        self.page(f"/assessment/statistics/?region={random.choice(self.identity['regions'])}", "统计分析")

    @task(1)
    def monitoring_dashboard(self):
        self.page("/monitoring/dashboard/", "监测统计")

    @task(1)
    def export(self):
        self.client.post(
            "/api/v1/exports/",
            json={"report": "incidence", "region": random.choice(self.identity["regions"])},
            name="API 申请导出",
        )
