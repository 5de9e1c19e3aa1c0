"""Who may do what: one table of role × action, checked inside the services (docs/architecture.md).

Scope and permission are two questions asked in this order. Scope first: a service looks its
object up through `visible_to(user)`, so an object outside the user's region is absent and
the answer is 404, whatever the role. Permission second: `require(user, action)` refuses a role
that may not take the action with a `PermissionDenied` carrying a Chinese reason (403). Views,
the API, imports and tasks call the same services, so they obey the same table; pages ask
`allows(user, action)` only to decide which buttons to show.

Review steps of a workflow are not in this table: the step table (assessment/workflow.py) says
which role acts at each step, and the engine checks it.
"""

from django.core.exceptions import PermissionDenied
from django.db import models

from .codes import Role


class Action(models.TextChoices):
    # The registry (households).
    REGISTER_HOUSEHOLD = "register_household", "登记农户"
    EDIT_HOUSEHOLD = "edit_household", "修改农户信息"
    CHANGE_MEMBERS = "change_members", "成员增减"
    RECORD_INCOME = "record_income", "登记收入"
    RECORD_AID_MEASURE = "record_aid_measure", "登记帮扶措施"
    PAIR_HELPER = "pair_helper", "结对帮扶责任人"
    IMPORT_COLLECTION_FORM = "import_collection_form", "导入采集表"
    LOAD_HISTORICAL_RECORDS = "load_historical_records", "历史数据导入"
    UNMASK_PERSONAL_DATA = "unmask_personal_data", "查看完整个人信息"
    # Applications (assessment): starting them; the steps are the step table's.
    SUBMIT_HOUSEHOLD_APPLICATION = "submit_household_application", "提出农户识别、退出、返贫、清退、销户申请"
    SUBMIT_VILLAGE_EXIT = "submit_village_exit", "提出贫困村退出"
    SUBMIT_COUNTY_EXIT = "submit_county_exit", "提出贫困县摘帽"
    FILE_OBJECTION = "file_objection", "登记公示异议"
    RESOLVE_OBJECTION = "resolve_objection", "处理公示异议"
    REOPEN_YEAR = "reopen_year", "重新开放或锁定年度"
    RECORD_ASSESSMENT_DATA = "record_assessment_data", "录入抽样调查与减贫计划"
    # Projects and funds.
    DECLARE_PROJECT = "declare_project", "申报、修改项目及公示"
    WRITE_LEDGER = "write_ledger", "记资金台账"
    # 防返贫监测 (monitoring): a clerk's visit opens an identification (docs/domain.md §12.5).
    START_MONITORING = "start_monitoring", "发起防返贫监测识别"
    REQUEST_RISK_ELIMINATION = "request_risk_elimination", "申请监测对象风险消除"
    # The township's queue of leads and the county's department lists (docs/domain.md §12.11).
    HANDLE_LEAD = "handle_lead", "核实监测线索"
    UPLOAD_DEPARTMENT_LIST = "upload_department_list", "上传部门筛查名单"
    # An open record's 帮扶措施 and its findings (docs/domain.md §12.10).
    RECORD_MONITORING_MEASURE = "record_monitoring_measure", "登记防返贫监测帮扶措施"
    EDIT_MONITORING_FINDINGS = "edit_monitoring_findings", "修改监测记录的风险和核实情况"
    # 帮扶力量: 帮扶单位 and 定点帮扶, 驻村工作队 and their members (docs/domain.md §9.3–§9.5).
    MANAGE_AID_UNIT = "manage_aid_unit", "登记帮扶单位和定点帮扶"
    MANAGE_VILLAGE_TEAM = "manage_village_team", "派驻和调整驻村工作队"
    # 帮扶日志: a visit to a household, recorded by the township or the county (docs/domain.md §9.6).
    RECORD_VISIT = "record_visit", "记录帮扶走访"
    # Reports.
    EXPORT = "export", "导出报表"
    EXPORT_PERSONAL_DATA = "export_personal_data", "导出完整个人信息"
    # 用户管理: the accounts of one's own province, without the Django admin (fupin/accounts.py).
    MANAGE_USERS = "manage_users", "管理本省用户账号"


_CLERK, _COUNTY = Role.TOWNSHIP_CLERK, Role.COUNTY_REVIEWER
_CITY, _PROVINCE = Role.CITY_REVIEWER, Role.PROVINCE_STAFF
_READERS = {_CLERK, _COUNTY, _CITY, _PROVINCE}

# City and province read and review; they do not edit the registry. The admin manages users,
# regions and parameters (in /admin/), not households.
POLICY: dict[str, frozenset[str]] = {
    Action.REGISTER_HOUSEHOLD: frozenset({_CLERK, _COUNTY}),
    Action.EDIT_HOUSEHOLD: frozenset({_CLERK, _COUNTY}),
    Action.CHANGE_MEMBERS: frozenset({_CLERK, _COUNTY}),
    Action.RECORD_INCOME: frozenset({_CLERK, _COUNTY}),
    Action.RECORD_AID_MEASURE: frozenset({_CLERK, _COUNTY}),
    Action.PAIR_HELPER: frozenset({_CLERK, _COUNTY}),
    Action.IMPORT_COLLECTION_FORM: frozenset({_CLERK, _COUNTY}),
    Action.LOAD_HISTORICAL_RECORDS: frozenset({_COUNTY, _PROVINCE}),
    Action.UNMASK_PERSONAL_DATA: frozenset(_READERS),  # and the households.view_full_id permission
    Action.SUBMIT_HOUSEHOLD_APPLICATION: frozenset({_CLERK}),
    Action.SUBMIT_VILLAGE_EXIT: frozenset({_CLERK}),
    Action.SUBMIT_COUNTY_EXIT: frozenset({_COUNTY}),
    Action.FILE_OBJECTION: frozenset({_CLERK, _COUNTY, _CITY, _PROVINCE}),
    Action.RESOLVE_OBJECTION: frozenset({_CLERK, _COUNTY, _CITY, _PROVINCE}),  # the engine narrows it further
    Action.REOPEN_YEAR: frozenset({_COUNTY}),
    Action.RECORD_ASSESSMENT_DATA: frozenset({_CITY, _PROVINCE}),
    Action.DECLARE_PROJECT: frozenset({_CLERK, _COUNTY}),
    Action.WRITE_LEDGER: frozenset({_COUNTY}),
    Action.START_MONITORING: frozenset({_CLERK}),
    Action.REQUEST_RISK_ELIMINATION: frozenset({_CLERK}),
    Action.HANDLE_LEAD: frozenset({_CLERK}),
    Action.UPLOAD_DEPARTMENT_LIST: frozenset({_COUNTY}),
    Action.RECORD_MONITORING_MEASURE: frozenset({_CLERK, _COUNTY}),
    Action.EDIT_MONITORING_FINDINGS: frozenset({_CLERK, _COUNTY}),
    Action.MANAGE_AID_UNIT: frozenset({_COUNTY, _PROVINCE}),
    Action.MANAGE_VILLAGE_TEAM: frozenset({_COUNTY}),
    Action.RECORD_VISIT: frozenset({_CLERK, _COUNTY}),
    Action.EXPORT: frozenset(_READERS),
    Action.EXPORT_PERSONAL_DATA: frozenset(_READERS),  # and the households.view_full_id permission
    Action.MANAGE_USERS: frozenset({_PROVINCE, Role.ADMIN}),  # the admin's scope is every province
}

# Actions that also need the Django permission to see personal data in full.
_NEEDS_FULL_ID = {Action.UNMASK_PERSONAL_DATA, Action.EXPORT_PERSONAL_DATA}


def allows(user, action: str) -> bool:
    """Whether the user's role may take `action` (scope is the caller's lookup, not this)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.role not in POLICY[action]:
        return False
    return action not in _NEEDS_FULL_ID or user.has_perm("households.view_full_id")


def refusal(user, action: str) -> str:
    """Why the user may not take `action`, in Chinese: who may, from the table."""
    role = user.get_role_display() if getattr(user, "role", "") else "当前账号"
    if getattr(user, "role", "") in POLICY[action] and action in _NEEDS_FULL_ID:
        return f"{role}须经授权（查看完整个人信息权限）方可{Action(action).label}。"
    who = "、".join(Role(allowed).label for allowed in Role.values if allowed in POLICY[action])
    return f"{role}无权{Action(action).label}（由{who}办理）。"


def require(user, action: str) -> None:
    """Refuse (403, in Chinese) a user whose role may not take `action`."""
    if not allows(user, action):
        raise PermissionDenied(refusal(user, action))
