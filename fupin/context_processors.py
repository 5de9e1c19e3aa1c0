from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from assessment.selectors import waiting_for
from core import notifications
from core.codes import Role
from core.permissions import Action, allows

_ACTIONS = frozenset(Action.values)


@lru_cache(maxsize=1024)
def _path(name: str, script_prefix: str, urlconf: str, *args: str) -> str:
    return reverse(name, urlconf=urlconf, args=args)


def link(name: str, *args: str) -> str:
    """A navigation link's path. The links are fixed, so each is reversed once per process (and
    per script prefix and URLconf): reverse() costs 15–30 µs, and every page draws about 25 of them."""
    return _path(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF, *args)


class Allowed:
    """`allowed.<action>` in templates: whether core.permissions allows the user that action (shows buttons only)."""

    def __init__(self, user):
        self.user = user

    def __getitem__(self, action: str) -> bool:
        return action in _ACTIONS and allows(self.user, action)


def navigation(request):
    """The left navigation, from the permission table (core/permissions.py), and `allowed` for pages."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [("首页", link("home"), "home")]
    items.append(("建档立卡户", link("households:list"), "households"))
    if allows(user, Action.REGISTER_HOUSEHOLD):
        items.append(("新增贫困户", link("households:create"), "household_create"))
    if allows(user, Action.IMPORT_COLLECTION_FORM):
        items.append(("导入采集表", link("households:import"), "import"))
    items.append(("防返贫监测", link("monitoring:list"), "monitoring"))
    items.append(("监测统计", link("monitoring:dashboard"), "monitoring_dashboard"))
    if user.region_id:
        items.append(("监测线索", link("monitoring:leads"), "leads"))
    if user.region_id and user.role != Role.TOWNSHIP_CLERK:
        items.append(("部门筛查预警", link("monitoring:department_lists"), "department_lists"))
    if user.role != Role.ADMIN:
        items.append(("审核待办", link("assessment:queue"), "queue"))
    if user.region_id:
        items.append(("贫困发生率与考核", link("assessment:dashboard"), "dashboard"))
        items.append(("统计分析", link("assessment:statistics"), "statistics"))
        items.append(("项目库", link("projects:list"), "projects"))
    if user.region_id and user.role != Role.TOWNSHIP_CLERK:
        # The ledger is the county's (docs/domain.md §11.4); a township clerk's scope holds none of it.
        items.append(("扶贫资金", link("funds:index"), "funds"))
    # 帮扶力量 (docs/domain.md §9): one group in the navigation; each part adds its links to it.
    assistance_nav = []
    if user.region_id:
        assistance_nav.append(("驻村工作队", link("assistance:teams"), "teams"))
        assistance_nav.append(("帮扶单位", link("assistance:units"), "units"))
        assistance_nav.append(("结对帮扶覆盖率", link("assistance:coverage"), "coverage"))
        assistance_nav.append(("帮扶责任人", link("assistance:helpers"), "helpers"))
        assistance_nav.append(("帮扶日志", link("assistance:visits"), "visits"))
        assistance_nav.append(("未按期走访", link("assistance:not_visited"), "not_visited"))
    if allows(user, Action.EXPORT):
        items.append(("导出", link("exports"), "exports"))
    if user.region_id:
        items.append(("区划浏览", link("regions:detail", user.region_id), "regions"))
    items.append(("接口文档", link("swagger-ui"), "api"))
    items.append(("操作手册", link("help"), "help"))
    if allows(user, Action.MANAGE_USERS):
        items.append(("用户管理", link("users:list"), "users"))
    items.append(("修改密码", link("users:password"), "password"))
    if user.role == Role.ADMIN or user.is_superuser:
        items.append(("系统管理", link("admin:index"), "admin"))
    return {
        "nav_items": items,
        "assistance_nav": assistance_nav,
        "allowed": Allowed(user),
        # The bell's and 审核待办's counts: one indexed count each, only when a page shows them (lazy).
        "unread_notifications": SimpleLazyObject(lambda: notifications.unread_count(user)),
        "queue_count": SimpleLazyObject(lambda: waiting_for(user, timezone.localdate()).count()),
    }
