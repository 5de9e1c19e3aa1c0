from django.db import models


# Roles (docs/architecture.md (Where each kind of rule lives)); the scope level each one is given.
class Role(models.TextChoices):
    TOWNSHIP_CLERK = "township_clerk", "乡镇录入员"
    COUNTY_REVIEWER = "county_reviewer", "县级审核员"
    CITY_REVIEWER = "city_reviewer", "市级审核员"
    PROVINCE_STAFF = "province_staff", "省级人员"
    ADMIN = "admin", "系统管理员"


ROLE_SCOPE_LEVEL = {
    Role.TOWNSHIP_CLERK: "township",
    Role.COUNTY_REVIEWER: "county",
    Role.CITY_REVIEWER: "city",
    Role.PROVINCE_STAFF: "province",
}


# Evidence labels of docs/domain.md §0.1.
class Evidence(models.TextChoices):
    SOURCE = "SRC", "有出处"
    MEMORY = "MEM", "据记忆（可信）"
    UNVERIFIED = "MEM?", "未核实"
    PROPOSAL = "PROPOSAL", "设计建议"


# Keys of PolicyParameter (docs/domain.md §13).
class ParameterKey(models.TextChoices):
    POVERTY_LINE = "POVERTY_LINE", "扶贫标准（元/人·年）"
    VILLAGE_EXIT_MAX_RATE = "VILLAGE_EXIT_MAX_RATE", "贫困村退出贫困发生率上限"
    VILLAGE_EXIT_MAX_RATE_WEST = "VILLAGE_EXIT_MAX_RATE_WEST", "贫困村退出贫困发生率上限（西部）"
    COUNTY_EXIT_MAX_RATE = "COUNTY_EXIT_MAX_RATE", "贫困县退出贫困发生率上限"
    COUNTY_EXIT_MAX_RATE_WEST = "COUNTY_EXIT_MAX_RATE_WEST", "贫困县退出贫困发生率上限（西部）"
    MAX_WRONG_EXIT_RATE = "MAX_WRONG_EXIT_RATE", "错退率上限"
    MAX_OMISSION_RATE = "MAX_OMISSION_RATE", "漏评率上限"
    MIN_PUBLIC_APPROVAL = "MIN_PUBLIC_APPROVAL", "群众认可度下限"
    HOUSEHOLD_NOTICE_DAYS = "HOUSEHOLD_NOTICE_DAYS", "贫困户公示天数"
    MONITORING_NOTICE_DAYS = "MONITORING_NOTICE_DAYS", "监测对象公示天数"
    FUND_PROJECT_NOTICE_DAYS = "FUND_PROJECT_NOTICE_DAYS", "资金项目公告公示天数"
    COUNTY_EXIT_NOTICE_WORKDAYS = "COUNTY_EXIT_NOTICE_WORKDAYS", "贫困县退出公示工作日"
    MONITORING_INCOME_MULTIPLIER = "MONITORING_INCOME_MULTIPLIER", "监测范围（扶贫标准倍数）"
    MAX_OTHER_CAUSES = "MAX_OTHER_CAUSES", "其他致贫原因最多项数"
    PROJECT_MGMT_FEE_MAX = "PROJECT_MGMT_FEE_MAX", "项目管理费比例上限"
    PLAN_OVERRUN_REAPPROVAL = "PLAN_OVERRUN_REAPPROVAL", "超计划需重新审批比例"
    MAX_AMOUNT = "MAX_AMOUNT", "单笔金额上限（元）"
    MONITORING_DECISION_MAX_DAYS = "MONITORING_DECISION_MAX_DAYS", "监测识别办结时限（天）"
    MONITORING_STABLE_MONTHS = "MONITORING_STABLE_MONTHS", "风险消除收入稳定月数"
    # 帮扶责任人结对户数上限, one key per 隶属关系 (households.codes.HelperLevel; docs/domain.md §9.2).
    HELPER_LIMIT_PROVINCE = "HELPER_LIMIT_PROVINCE", "省直帮扶责任人结对户数上限"
    HELPER_LIMIT_CITY = "HELPER_LIMIT_CITY", "市直帮扶责任人结对户数上限"
    HELPER_LIMIT_COUNTY = "HELPER_LIMIT_COUNTY", "县直帮扶责任人结对户数上限"
    HELPER_LIMIT_TOWNSHIP = "HELPER_LIMIT_TOWNSHIP", "乡镇帮扶责任人结对户数上限"
    HELPER_LIMIT_VILLAGE = "HELPER_LIMIT_VILLAGE", "村级帮扶责任人结对户数上限"
    VISIT_INTERVAL_DAYS = "VISIT_INTERVAL_DAYS", "入户走访间隔上限（天）"
    # The 民族 a new household's form starts with, per county (value: the Ethnicity code; docs/domain.md §4).
    DEFAULT_ETHNICITY = "DEFAULT_ETHNICITY", "默认民族（代码）"
    # A text parameter (PolicyParameter.text): the 监督电话 printed on 公示 lists, per county (docs/domain.md §10.5).
    SUPERVISION_PHONE = "SUPERVISION_PHONE", "公示监督电话"


class NotificationKind(models.TextChoices):
    """What a 站内消息 (core.models.Notification) tells its recipient."""

    REVIEW = "REVIEW", "待审核"
    RETURNED = "RETURNED", "退回修改"
    APPROVED = "APPROVED", "已批准"
    REJECTED = "REJECTED", "未通过"
    OBJECTION = "OBJECTION", "公示异议"
    PUBLICITY_ENDING = "PUBLICITY_ENDING", "公示期满"
    JOB_DONE = "JOB_DONE", "任务完成"
    JOB_FAILED = "JOB_FAILED", "任务失败"
