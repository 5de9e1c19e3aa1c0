from django.db import models


# Application kinds (docs/architecture.md (How to add…: a workflow kind); docs/domain.md §5–6).
class ApplicationKind(models.TextChoices):
    IDENTIFICATION = "IDENTIFICATION", "识别"
    HOUSEHOLD_EXIT = "HOUSEHOLD_EXIT", "户退出"
    VILLAGE_EXIT = "VILLAGE_EXIT", "村退出"
    COUNTY_EXIT = "COUNTY_EXIT", "县摘帽"
    RETURN = "RETURN", "返贫"
    # 清退 (错评剔除) and 自然销户 follow their procedures too (docs/domain.md §5.7, §5.8).
    REMOVAL = "REMOVAL", "清退"
    CLOSURE = "CLOSURE", "自然销户"
    # 防止返贫动态监测 from 2021: a monitoring record's identification and its 风险消除 (docs/domain.md §12.12).
    MONITORING_IDENTIFICATION = "MONITORING_IDENTIFICATION", "监测识别"
    RISK_ELIMINATION = "RISK_ELIMINATION", "风险消除"


HOUSEHOLD_KINDS = {
    ApplicationKind.IDENTIFICATION,
    ApplicationKind.HOUSEHOLD_EXIT,
    ApplicationKind.RETURN,
    ApplicationKind.REMOVAL,
    ApplicationKind.CLOSURE,
}
# Kinds whose target is a monitoring record (and its household); the record's status is what they decide.
MONITORING_KINDS = {ApplicationKind.MONITORING_IDENTIFICATION, ApplicationKind.RISK_ELIMINATION}
# Household kinds whose village survey answers 两不愁三保障 (docs/domain.md §5.2).
SURVEY_KINDS = {ApplicationKind.IDENTIFICATION, ApplicationKind.HOUSEHOLD_EXIT, ApplicationKind.RETURN}


class ApplicationStatus(models.TextChoices):
    DRAFT = "DRAFT", "草稿"
    IN_REVIEW = "IN_REVIEW", "审核中"
    # 退回修改: back with the submitter, who corrects and resubmits (a new round of the steps).
    RETURNED = "RETURNED", "退回修改"
    APPROVED = "APPROVED", "已批准"
    REJECTED = "REJECTED", "不予通过"
    # 终止: stopped by an upheld 异议 (docs/domain.md §5.10).
    ENDED = "ENDED", "已终止"
    # 撤回: closed by its submitter before any review is pending (a draft, or 退回修改); final.
    WITHDRAWN = "WITHDRAWN", "已撤回"


# Statuses in which an application is still open: one per target and kind (the unique constraint).
OPEN_STATUSES = [ApplicationStatus.DRAFT, ApplicationStatus.IN_REVIEW, ApplicationStatus.RETURNED]


# What a user may do to an application; the names of the page's actions and the API's routes.
class ApplicationAction(models.TextChoices):
    SUBMIT = "submit", "提交"
    APPROVE = "approve", "同意"
    SEND_BACK = "send_back", "退回修改"
    REJECT = "reject", "不予通过"
    RESUBMIT = "resubmit", "修改后重新提交"
    OBJECT = "object", "登记异议"
    RESOLVE = "resolve", "处理异议"
    REOPEN = "reopen", "重新开放"
    RELOCK = "relock", "重新锁定"
    WITHDRAW = "withdraw", "撤回申请"


# What an upheld 异议 does to its application: the resolver chooses (docs/domain.md §5.10).
class ObjectionConsequence(models.TextChoices):
    SEND_BACK = "send_back", "退回修改"
    END = "end", "终止申请"


class StepStatus(models.TextChoices):
    WAITING = "WAITING", "未开始"
    OPEN = "OPEN", "进行中"
    DONE = "DONE", "已完成"
    RETURNED = "RETURNED", "退回修改"
    REJECTED = "REJECTED", "不予通过"
    CANCELLED = "CANCELLED", "终止"


# Rating periods: the year combines the quarters (docs/domain.md §8.2, 20/20/20/40).
class RatingPeriod(models.TextChoices):
    Q1 = "Q1", "第一季度"
    Q2 = "Q2", "第二季度"
    Q3 = "Q3", "第三季度"
    Q4 = "Q4", "第四季度"
    YEAR = "YEAR", "全年"


QUARTERS = [RatingPeriod.Q1, RatingPeriod.Q2, RatingPeriod.Q3, RatingPeriod.Q4]


# Grades of the county rating (docs/domain.md §8.2, a PROPOSAL: the client's numbers are data).
class Grade(models.TextChoices):
    A = "A", "A（好）"
    B = "B", "B（较好）"
    C = "C", "C（一般）"
    D = "D", "D（较差）"
