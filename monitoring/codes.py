"""Code tables of 防止返贫动态监测 (docs/domain.md §12). Stored values are codes; labels are Chinese.

The national numeric codes of these tables were not found (docs/domain.md §14 item 4): the codes
here are the app's [PROPOSAL] (docs/domain.md §12.4, §12.5, §12.7) and map onto the national ones
once the province supplies them.
"""

from django.db import models

MAX_RISK_TYPES = 5  # the national system records up to five risks (docs/domain.md §12.4)


# 风险类型 (national table 100A27): labels per docs/domain.md §12.4 [MEM?]; codes the app's [PROPOSAL].
class RiskType(models.TextChoices):
    ILLNESS = "01", "因病"
    DISABILITY = "02", "因残"
    EDUCATION = "03", "因学"
    ACCIDENT = "04", "因意外事故"
    FAILED_BUSINESS = "05", "因产业项目失败"
    UNSTABLE_WORK = "06", "因务工就业不稳"
    DISASTER = "07", "因自然灾害"
    LACK_LABOUR = "08", "缺劳动力"
    UNSAFE_HOUSING = "09", "住房出现安全问题"
    SCHOOL_DROPOUT = "10", "家庭成员中有义务教育阶段适龄儿童少年失学辍学"
    UNSAFE_WATER = "11", "饮水安全问题"
    OTHER = "99", "其他"


# 监测对象状态 (docs/domain.md §12.6, §12.7): the app's [PROPOSAL].
class MonitoringStatus(models.TextChoices):
    IDENTIFYING = "IDENTIFYING", "识别中"
    MONITORED = "MONITORED", "监测中"
    ELIMINATED = "ELIMINATED", "已消除风险"
    NOT_INCLUDED = "NOT_INCLUDED", "未纳入"


# A household has at most one record in these (the monitoring_one_open_record constraint).
OPEN_STATUSES = (MonitoringStatus.IDENTIFYING, MonitoringStatus.MONITORED)


# 发现方式: the three ways in (docs/domain.md §12.5); codes the app's [PROPOSAL].
class DiscoveryWay(models.TextChoices):
    SELF_REPORT = "1", "农户自主申报"
    CADRE_VISIT = "2", "干部排查"
    DEPARTMENT_ALERT = "3", "部门筛查预警"


# 风险消除方式 (table dm_fxxcfs, docs/domain.md §12.7): values [MEM?], codes the app's [PROPOSAL].
class EliminationMode(models.TextChoices):
    AFTER_ASSISTANCE = "1", "帮扶后风险消除"
    NATURAL = "2", "风险自然消除"


# 帮扶措施类别 of monitoring (docs/domain.md §12.10, the 2023 schema's list); codes the app's [PROPOSAL].
class AssistanceCategory(models.TextChoices):
    INDUSTRY = "01", "产业帮扶"
    EMPLOYMENT = "02", "就业帮扶"
    FINANCE = "03", "金融帮扶"
    PUBLIC_POST = "04", "公益岗位帮扶"
    HOUSING = "05", "住房安全保障"
    WATER = "06", "饮水安全保障"
    HEALTH = "07", "健康帮扶"
    COMPULSORY_EDUCATION = "08", "义务教育保障"
    OTHER_EDUCATION = "09", "其他教育帮扶"
    SOCIAL_SECURITY = "10", "综合保障"
    SOCIAL_ASSISTANCE = "11", "社会帮扶"
    RELOCATION = "12", "搬迁"
    LIVING_CONDITIONS = "13", "生产生活条件改善"
    INFRASTRUCTURE = "14", "基础设施建设"


# 线索状态: a self-report or a department alert waits in the township's queue until a clerk
# starts an identification from it or closes it with a reason (docs/domain.md §12.5) [PROPOSAL].
class LeadStatus(models.TextChoices):
    NEW = "NEW", "待核实"
    IDENTIFYING = "IDENTIFYING", "已发起识别"
    CLOSED = "CLOSED", "核实后不纳入"


# 预警部门: who sends a screening list (docs/domain.md §12.5); codes the app's [PROPOSAL].
class Department(models.TextChoices):
    MEDICAL_INSURANCE = "YB", "医保部门"
    CIVIL_AFFAIRS = "MZ", "民政部门"
    DISABLED_FEDERATION = "CL", "残联"
    EMERGENCY = "YJ", "应急管理部门"
    EDUCATION = "JY", "教育部门"
    HOUSING = "ZJ", "住建部门"
    HUMAN_RESOURCES = "RS", "人社部门"
    OTHER = "QT", "其他部门"
