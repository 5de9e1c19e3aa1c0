from django.db import models


# Application kinds (DESIGN.md §Workflows; domain-reference §2.1–2.5).
class ApplicationKind(models.TextChoices):
    IDENTIFICATION = "IDENTIFICATION", "识别"
    HOUSEHOLD_EXIT = "HOUSEHOLD_EXIT", "户退出"
    VILLAGE_EXIT = "VILLAGE_EXIT", "村退出"
    COUNTY_EXIT = "COUNTY_EXIT", "县摘帽"
    RETURN = "RETURN", "返贫"


HOUSEHOLD_KINDS = {ApplicationKind.IDENTIFICATION, ApplicationKind.HOUSEHOLD_EXIT, ApplicationKind.RETURN}


class ApplicationStatus(models.TextChoices):
    DRAFT = "DRAFT", "草稿"
    IN_REVIEW = "IN_REVIEW", "审核中"
    APPROVED = "APPROVED", "已批准"
    REJECTED = "REJECTED", "未通过"


class StepStatus(models.TextChoices):
    WAITING = "WAITING", "未开始"
    OPEN = "OPEN", "进行中"
    DONE = "DONE", "已完成"
    REJECTED = "REJECTED", "退回"
    CANCELLED = "CANCELLED", "终止"


# Rating periods: the year combines the quarters (domain-reference §5.2, 20/20/20/40).
class RatingPeriod(models.TextChoices):
    Q1 = "Q1", "第一季度"
    Q2 = "Q2", "第二季度"
    Q3 = "Q3", "第三季度"
    Q4 = "Q4", "第四季度"
    YEAR = "YEAR", "全年"


QUARTERS = [RatingPeriod.Q1, RatingPeriod.Q2, RatingPeriod.Q3, RatingPeriod.Q4]


# Grades of the county rating (domain-reference §5.2, a PROPOSAL: the client's numbers are data).
class Grade(models.TextChoices):
    A = "A", "A（好）"
    B = "B", "B（较好）"
    C = "C", "C（一般）"
    D = "D", "D（较差）"
