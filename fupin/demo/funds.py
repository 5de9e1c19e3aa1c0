"""Demo project and funds of the poverty county, through the real services.

Idempotent: skipped once the demo fund source exists (everything is written in one
transaction, so it exists only with the rest). The dates lie in DEMO_YEAR, so the project's
公示 has ended and the county finds a project in 实施 with money allocated and partly paid.
"""

from datetime import date

from django.db import transaction

from core.models import User
from core.regions import RegionLevel
from funds import services
from funds.codes import FundLevel
from funds.models import FundSource
from households.codes import HouseholdStatus
from households.models import Household
from projects import services as project_services
from projects.codes import ProjectCategory
from villages.models import Region

from .province import DEMO_YEAR

DEMO_COUNTY = "622926000000"
DEMO_DOCUMENT = f"甘财农〔{DEMO_YEAR}〕18号"


def _demo_village(clerk) -> tuple[Region | None, list[Household]]:
    """The village of the clerk's first registered poor households (poor or exited; the project
    helps both), and two of them as beneficiaries. Households whose DEMO_YEAR an approved exit
    has locked take no new measure in it, so they are not chosen."""
    poor = (
        Household.objects.visible_to(clerk)
        .filter(status__in=[HouseholdStatus.POOR, HouseholdStatus.EXITED])
        .exclude(year_locks__year=DEMO_YEAR)
        .order_by("village_id", "id")
    )
    first = poor.first()
    if first is None:
        village = Region.objects.visible_to(clerk).filter(level=RegionLevel.VILLAGE).order_by("code").first()
        return village, []
    return first.village, list(poor.filter(village_id=first.village_id)[:2])


def _approved_project(clerk, clerk2, county, village: Region, households: list[Household]):
    project = project_services.declare_project(
        user=clerk,
        data={
            "name": f"{village.name}肉牛养殖产业扶贫项目",
            "category": ProjectCategory.INDUSTRY,
            "year": DEMO_YEAR,
            "budget": "600000.00",
            "implementing_unit": f"{village.parent.name}人民政府",
            "content": "新建标准化牛棚2座，购置基础母牛60头，配套饲草料基地200亩。",
            "performance_target": "带动建档立卡户人均增收1500元以上；项目验收合格率100%。",
            "poverty_link": "贫困户以到户资金入股合作社，按年分红；优先吸纳贫困劳动力务工。",
        },
        village_codes=[village.code],
    )
    for household in households:
        project_services.set_beneficiary(
            user=clerk, project_id=project.pk, household_id=household.pk, planned_amount="5000.00"
        )
    project_services.advance_project(user=clerk2, project_id=project.pk, comment="乡镇审核通过。")
    project_services.advance_project(user=county, project_id=project.pk, comment="县级论证通过。")
    project_services.post_notice(
        user=county,
        region_code=village.code,
        title=f"{project.name}入库公示",
        content="项目名称、实施地点、建设内容、资金规模、绩效目标和带贫减贫机制见附表。监督电话：12317。",
        place=f"{village.name}村务公开栏",
        start_date=date(DEMO_YEAR, 2, 1),
        project_id=project.pk,
    )
    for comment in ("公示期满无异议，入库。", "县扶贫开发领导小组批复。", "开工建设。"):
        project = project_services.advance_project(user=county, project_id=project.pk, comment=comment)
    return project


@transaction.atomic
def seed_demo_funds() -> dict:
    if not Region.objects.filter(code=DEMO_COUNTY).exists():
        return {"skipped": True}
    if FundSource.objects.filter(county_id=DEMO_COUNTY, document_no=DEMO_DOCUMENT).exists():
        return {"skipped": True}
    users = {
        user.username: user for user in User.objects.filter(username__in=["demo_clerk", "demo_clerk2", "demo_county"])
    }
    clerk, clerk2, county = users["demo_clerk"], users["demo_clerk2"], users["demo_county"]
    village, households = _demo_village(clerk)
    if village is None:
        return {"skipped": True}
    project = _approved_project(clerk, clerk2, county, village, households)
    source = services.create_fund_source(
        user=county,
        county_code=DEMO_COUNTY,
        level=FundLevel.CENTRAL,
        year=DEMO_YEAR,
        document_no=DEMO_DOCUMENT,
        purpose="中央财政专项扶贫资金（扶贫发展）",
        amount="1200000.00",
        received_on=date(DEMO_YEAR, 3, 20),
    )
    allocation = services.allocate(
        user=county,
        source_id=source.pk,
        project_id=project.pk,
        amount="500000.00",
        allocated_on=date(DEMO_YEAR, 4, 1),
        note="按项目批复下达。",
    )
    services.disburse(
        user=county,
        allocation_id=allocation.pk,
        amount="200000.00",
        paid_on=date(DEMO_YEAR, 6, 30),
        voucher_no=f"记-{DEMO_YEAR}-0618",
        note="开工首期款（4:5:1 中的 40%）。",
    )
    return {"project": project.pk, "source": source.pk, "beneficiaries": len(households)}
