"""Code tables of 帮扶力量 (docs/domain.md §9): the kinds of 帮扶单位 and the roles in a 驻村工作队."""

from django.db import models


# 帮扶单位类型 (docs/domain.md §9.3).
class UnitType(models.TextChoices):
    PARTY_GOVERNMENT = "1", "党政机关"
    PUBLIC_INSTITUTION = "2", "事业单位"
    STATE_ENTERPRISE = "3", "国有企业"
    PRIVATE_ENTERPRISE = "4", "民营企业"
    SOCIAL_ORGANISATION = "5", "社会组织"
    EAST_WEST_PARTNER = "6", "东西部协作"


# 帮扶单位层级 (docs/domain.md §9.3): 中央单位定点帮扶 sits above the province.
class UnitLevel(models.TextChoices):
    CENTRAL = "0", "中央"
    PROVINCE = "1", "省级"
    CITY = "2", "市级"
    COUNTY = "3", "县级"
    TOWNSHIP = "4", "乡镇"


# 驻村工作队职务 (docs/domain.md §9.4): the 第一书记 usually leads the team.
class TeamRole(models.TextChoices):
    FIRST_SECRETARY = "1", "第一书记"
    LEADER = "2", "队长"
    MEMBER = "3", "队员"
