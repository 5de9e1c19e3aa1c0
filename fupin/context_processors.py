from django.urls import reverse

from core.codes import Role


def navigation(request):
    """The left navigation, by role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [("首页", reverse("home"), "home")]
    items.append(("建档立卡户", reverse("households:list"), "households"))
    if user.role in (Role.TOWNSHIP_CLERK, Role.COUNTY_REVIEWER) or user.is_superuser:
        items.append(("新增贫困户", reverse("households:create"), "household_create"))
        items.append(("导入采集表", reverse("households:import"), "import"))
    if user.role != Role.ADMIN:
        items.append(("审核待办", reverse("assessment:queue"), "queue"))
    if user.region_id:
        items.append(("贫困发生率与考核", reverse("assessment:dashboard"), "dashboard"))
        items.append(("项目库", reverse("projects:list"), "projects"))
    if user.region_id and user.role != Role.TOWNSHIP_CLERK:
        # The ledger is the county's (docs/domain.md §11.4); a township clerk's scope holds none of it.
        items.append(("扶贫资金", reverse("funds:index"), "funds"))
    items.append(("导出", reverse("exports"), "exports"))
    if user.region_id:
        items.append(("区划浏览", reverse("regions:detail", args=[user.region_id]), "regions"))
    items.append(("接口文档", reverse("swagger-ui"), "api"))
    if user.role == Role.ADMIN or user.is_superuser:
        items.append(("系统管理", reverse("admin:index"), "admin"))
    return {"nav_items": items}
