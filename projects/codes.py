from django.db import models

from core.codes import Role
from households.codes import AidCategory


# 项目类别: the nine categories of the project library (docs/domain.md §10.4).
class ProjectCategory(models.TextChoices):
    INDUSTRY = "01", "产业发展"
    INFRASTRUCTURE = "02", "基础设施"
    RELOCATION = "03", "易地搬迁"
    EDUCATION = "04", "教育"
    HEALTH = "05", "健康"
    EMPLOYMENT = "06", "就业"
    FINANCE = "07", "金融"
    ECOLOGY = "08", "生态"
    OTHER = "99", "其他"


# 项目状态: 申报 → 审核 → 论证 → 审定(入库), then the lifecycle (docs/domain.md §10.3).
class ProjectStatus(models.TextChoices):
    DECLARED = "DECLARED", "申报"
    TOWNSHIP_REVIEWED = "TOWNSHIP_REVIEWED", "乡审核"
    COUNTY_APPRAISED = "COUNTY_APPRAISED", "县论证"
    IN_LIBRARY = "IN_LIBRARY", "入库"
    APPROVED = "APPROVED", "批复"
    IMPLEMENTING = "IMPLEMENTING", "实施"
    ACCEPTED = "ACCEPTED", "验收"
    COMPLETED = "COMPLETED", "完成"


PROJECT_FLOW = list(ProjectStatus)

# Who moves a project into each status: the township reviews and accepts its own projects,
# the county appraises, enters the library, approves, starts and closes (docs/domain.md §10.2).
ADVANCE_ROLES = {
    ProjectStatus.TOWNSHIP_REVIEWED: {Role.TOWNSHIP_CLERK, Role.COUNTY_REVIEWER},
    ProjectStatus.COUNTY_APPRAISED: {Role.COUNTY_REVIEWER},
    ProjectStatus.IN_LIBRARY: {Role.COUNTY_REVIEWER},
    ProjectStatus.APPROVED: {Role.COUNTY_REVIEWER},
    ProjectStatus.IMPLEMENTING: {Role.COUNTY_REVIEWER},
    ProjectStatus.ACCEPTED: {Role.TOWNSHIP_CLERK, Role.COUNTY_REVIEWER},
    ProjectStatus.COMPLETED: {Role.COUNTY_REVIEWER},
}

# Statuses in which the project's content may still be edited (before it enters the library).
EDITABLE_STATUSES = {ProjectStatus.DECLARED, ProjectStatus.TOWNSHIP_REVIEWED, ProjectStatus.COUNTY_APPRAISED}
# Statuses in which money may be allocated to the project: only approved (批复) plans are paid.
FUNDABLE_STATUSES = {
    ProjectStatus.APPROVED,
    ProjectStatus.IMPLEMENTING,
    ProjectStatus.ACCEPTED,
    ProjectStatus.COMPLETED,
}

# The 帮扶措施 category a beneficiary household's measure takes from its project.
MEASURE_CATEGORY = {
    ProjectCategory.INDUSTRY: AidCategory.INDUSTRY,
    ProjectCategory.INFRASTRUCTURE: AidCategory.OTHER,
    ProjectCategory.RELOCATION: AidCategory.RELOCATION,
    ProjectCategory.EDUCATION: AidCategory.EDUCATION,
    ProjectCategory.HEALTH: AidCategory.HEALTH,
    ProjectCategory.EMPLOYMENT: AidCategory.EMPLOYMENT,
    ProjectCategory.FINANCE: AidCategory.FINANCE,
    ProjectCategory.ECOLOGY: AidCategory.ECOLOGY,
    ProjectCategory.OTHER: AidCategory.OTHER,
}


# 公示 before a decision, 公告 after it (docs/domain.md §10.5).
class NoticeKind(models.TextChoices):
    PUBLICITY = "PUBLICITY", "公示"
    ANNOUNCEMENT = "ANNOUNCEMENT", "公告"
