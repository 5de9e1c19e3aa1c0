"""用户管理 without the Django admin: province staff (and the admin) manage the accounts of their province.

Scope and permission as everywhere (core/scoping.py, core/permissions.py): a manager sees the users
whose region lies in the manager's subtree (another province's user is absent: 404), and only a role
holding Action.MANAGE_USERS may act (403). Accounts with admin rights (the admin role, staff,
superusers) are not managed here: they are absent too and stay the Django admin's. Nobody
deactivates or resets their own account here.

Bulk creation reads one sheet (the template of `template_sheets`) through the households' upload
guard and bounded reader; every row is checked, and nothing is written unless every row passes
(`plan_accounts` previews, `create_accounts` checks the same rows again and writes them in one
transaction). The checked rows travel from the preview to the confirmation signed for that manager,
never trusted. Initial passwords are random, returned once, and the caller keeps them only for the
one download of the password workbook, which is written in memory (`passwords_workbook`).

The shell holds this module because it needs villages' regions and households' upload reader,
which the kernel (where User lives) may not import. Every action is recorded in Django admin's
LogEntry (who, what, to whom, when), so /admin/ shows the same history.
"""

from __future__ import annotations

import io
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from axes.utils import reset as reset_lockouts
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.password_validation import validate_password
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.http import Http404
from rest_framework.authtoken.models import Token

from core.codes import ROLE_SCOPE_LEVEL, Role
from core.excel import DropDown, Sheet, write_workbook
from core.models import User
from core.parsing import is_ascii_digits, normalise_digits
from core.permissions import Action, require
from core.regions import LEVEL_DIGITS, RegionLevel
from core.scoping import prefix_range, scope_prefix
from core.text import text_problem
from households.imports.guard import UploadRefused, store_checked_upload, upload_problems
from households.imports.sheets import first_sheet_rows  # the one bounded reader of one-table uploads
from villages.models import Region

# Creating an account hashes its password (PBKDF2, about half a second): a sheet must finish
# within the request, so a batch is at most this many accounts.
MAX_ROWS = 100
MANAGED_ROLES = tuple(ROLE_SCOPE_LEVEL)  # every role but the admin
ROLE_OF_LABEL = {str(Role(role).label): role for role in MANAGED_ROLES}
DEFAULT_ROLE = Role.TOWNSHIP_CLERK
HEADERS = ["乡镇代码", "乡镇名称", "用户名", "姓名", "角色"]
# Header → field; the aliases say the same for a role above the township.
COLUMNS = {
    "乡镇代码": "code",
    "区划代码": "code",
    "所属区划代码": "code",
    "乡镇名称": "region_name",
    "区划名称": "region_name",
    "所属区划": "region_name",
    "用户名": "username",
    "姓名": "name",
    "角色": "role",
}
PHONE_HEADERS = ("手机", "手机号", "手机号码", "联系电话")
HEADER_SCAN_ROWS = 5
LEVEL_LABEL = {str(level): str(label) for level, label in RegionLevel.choices}
PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"  # noqa: S105 - no 0/O, 1/l/I
PASSWORD_LENGTH = 12
PLAN_MAX_AGE = 3600  # seconds a preview may be confirmed in


@dataclass(frozen=True)
class RowError:
    """What is wrong with one cell: the sheet row (as Excel numbers it), the column, why (Chinese)."""

    row: int
    column: str
    reason: str


@dataclass(frozen=True)
class Account:
    """One account to create, as checked: the row it came from, the values it will have."""

    row: int
    username: str
    name: str
    role: str
    region_code: str
    region_name: str

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)


@dataclass
class Plan:
    """A sheet checked: the accounts it would create, the errors that stop it, notes for the preview."""

    accounts: list[Account]
    errors: list[RowError]
    notes: list[str]
    token: str = ""  # the checked rows signed for the manager who previewed them


class AccountsRefused(Exception):
    """Some rows failed: nothing was written; `errors` are RowErrors in sheet order."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} account rows refused")
        self.errors = errors


# --- reading: the users a manager sees ----------------------------------------------------------


def managed_users(manager):
    """The accounts `manager` may see here: non-admin users whose region is in the manager's subtree."""
    users = User.objects.filter(role__in=MANAGED_ROLES, is_staff=False, is_superuser=False)
    prefix = scope_prefix(manager)
    if prefix is None:
        return users.none()
    if prefix == "":
        return users
    low, high = prefix_range(prefix)
    users = users.filter(region_id__gte=low)
    return users.filter(region_id__lt=high) if high else users


def user_list(manager, filters: dict):
    """用户列表: the manager's users filtered by role, region (its subtree), active and a name or username."""
    require(manager, Action.MANAGE_USERS)
    users = managed_users(manager).select_related("region")
    if filters.get("role"):
        users = users.filter(role=filters["role"])
    if filters.get("region"):
        region = filters["region"]
        low, high = prefix_range(region.code[: LEVEL_DIGITS[region.level]])
        users = users.filter(region_id__gte=low)
        users = users.filter(region_id__lt=high) if high else users
    if filters.get("active") in ("1", "0"):
        users = users.filter(is_active=filters["active"] == "1")
    if filters.get("q"):
        text = filters["q"]
        users = users.filter(Q(username__icontains=text) | Q(first_name__icontains=text) | Q(last_name__icontains=text))
    return users.order_by("region_id", "role", "username")


def filter_regions(manager):
    """The regions a manager may filter the list by: the province, its cities and counties in scope."""
    levels = (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY)
    return Region.objects.visible_to(manager).filter(level__in=levels).order_by("code")


def managed_user(manager, user_id) -> User:
    """One account the manager may manage: out of scope (or an admin account) is 404, then the role's 403."""
    try:
        target = managed_users(manager).select_related("region").get(pk=user_id)
    except (User.DoesNotExist, ValueError, TypeError) as error:
        raise Http404("未找到或无权查看。") from error
    require(manager, Action.MANAGE_USERS)
    return target


def history(target: User):
    """Who did what to this account, newest first (Django admin's LogEntry, also shown in /admin/)."""
    content_type = ContentType.objects.get_for_model(User)
    return (
        LogEntry.objects.filter(content_type=content_type, object_id=str(target.pk))
        .select_related("user")
        .order_by("-action_time")
    )


# --- single accounts: reset the password, deactivate, reactivate --------------------------------


def new_password(user: User) -> str:
    """A random password that Django's validators accept for `user` (letters and digits, no look-alikes)."""
    while True:
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))
        if not (any(char.isdigit() for char in password) and any(char.isalpha() for char in password)):
            continue
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password


def _not_yourself(manager, target: User, what: str) -> None:
    if target.pk == manager.pk:
        raise ValidationError(f"不能{what}自己的账号。")


def _log(manager, targets, flag: int, message: str) -> None:
    LogEntry.objects.log_actions(manager.pk, targets, flag, message, single_object=len(targets) == 1)


def reset_password(*, user, target_id) -> str:
    """Give `target` a new random password and return it (shown once, never stored in clear).

    The old password stops working everywhere: its sessions end (Django's session hash), its API
    token is deleted, and its login lockout (django-axes) is lifted so that the new one works at once.
    """
    with transaction.atomic():
        target = managed_user(user, target_id)
        _not_yourself(user, target, "重置")
        target = User.objects.select_for_update().get(pk=target.pk)
        password = new_password(target)
        target.set_password(password)
        target.must_change_password = True
        target.save(update_fields=["password", "must_change_password"])
        Token.objects.filter(user=target).delete()
        _log(user, [target], CHANGE, "重置密码（用户管理）")
    reset_lockouts(username=target.username)
    return password


def change_own_password(form) -> None:
    """A user's own new password (Django's PasswordChangeForm, valid): it replaces one handed out."""
    form.user.must_change_password = False
    form.save()


def set_active(*, user, target_id, active: bool) -> User:
    """停用 or 启用 an account: a deactivated account can no longer log in (core/auth.py)."""
    with transaction.atomic():
        target = managed_user(user, target_id)
        _not_yourself(user, target, "停用或启用")
        target = User.objects.select_for_update().get(pk=target.pk)
        if target.is_active == active:
            raise ValidationError("该账号已是启用状态。" if active else "该账号已是停用状态。")
        target.is_active = active
        target.save(update_fields=["is_active"])
        _log(user, [target], CHANGE, "启用账号（用户管理）" if active else "停用账号（用户管理）")
    return target


# --- bulk creation from a sheet -------------------------------------------------------------


def template_sheets(manager) -> list[Sheet]:
    """The blank sheet (codes and usernames as text, 角色 a list), 填表说明, and the manager's townships."""
    require(manager, Action.MANAGE_USERS)
    townships = (
        Region.objects.visible_to(manager)
        .filter(level=RegionLevel.TOWNSHIP)
        .select_related("parent")
        .order_by("code")
        .values_list("code", "name", "parent__name")
    )
    notes = [
        ["每行一个账号；第一行为表头，列的顺序不限。"],
        ["乡镇代码：12位统计用区划代码（文本格式）；也可只填乡镇名称（本省内同名时须填代码）。"],
        ["角色：默认为乡镇录入员；县级审核员、市级审核员、省级人员的“乡镇代码”列填其县、市、省的区划代码。"],
        ["用户名：字母、数字或 @ . + - _，不能与已有账号重复；姓名必填。"],
        [f"每次最多 {MAX_ROWS} 个账号；任何一行有误则整个文件不导入。"],
        ["导入成功后，系统为每个账号生成初始密码，只显示一次，可下载一次；请尽快分发并提醒用户修改密码。"],
    ]
    return [
        Sheet(
            title="账号",
            headers=HEADERS,
            rows=[],
            widths={1: 16, 2: 16, 3: 18, 4: 12, 5: 14},
            text_columns=frozenset({1, 3}),
            drop_downs=[DropDown(column=5, values=tuple(ROLE_OF_LABEL), strict=True, prompt="默认为乡镇录入员")],
        ),
        Sheet(title="填表说明", headers=["说明"], rows=notes, widths={1: 90}),
        Sheet(
            title="本省乡镇",
            headers=["乡镇代码", "乡镇名称", "所属县"],
            rows=([code, name, county] for code, name, county in townships),
            text_columns=frozenset({1}),
        ),
    ]


def plan_accounts(*, user, uploaded) -> Plan:
    """Read and check a sheet without writing: the accounts it would create, or the rows that stop it.

    A file that is not a readable .xlsx of this layout is refused as ValidationError keyed `file`.
    """
    require(user, Action.MANAGE_USERS)
    if uploaded is None:
        raise ValidationError({"file": ["请选择要上传的账号表（.xlsx）。"]})
    if problems := upload_problems(uploaded):
        raise ValidationError({"file": problems})
    with tempfile.TemporaryDirectory(prefix="accounts-") as directory:
        try:
            path = Path(directory) / store_checked_upload(uploaded, Path(directory))
            rows, notes = read_sheet(path)
        except UploadRefused as refused:
            raise ValidationError({"file": refused.messages}) from refused
    accounts, errors = check_rows(user, rows)
    plan = Plan(accounts, errors, notes)
    if not errors:
        plan.token = sign_accounts(user, accounts)
    return plan


def read_sheet(path: Path) -> tuple[list[tuple[int, dict]], list[str]]:
    """(row number, {field: cell}) of the first sheet's data rows, and notes on what was not read."""
    header: dict[int, str] | None = None
    rows: list[tuple[int, dict]] = []
    notes: list[str] = []
    for number, cells in first_sheet_rows(path):
        if header is None:
            texts = [_text(cell) for cell in cells]
            if "用户名" in texts:
                header = {index: COLUMNS[text] for index, text in enumerate(texts) if text in COLUMNS}
                _check_header(set(header.values()))
                ignored = [text for text in texts if text and text not in COLUMNS]
                if phones := [text for text in ignored if text in PHONE_HEADERS]:
                    notes.append(f"“{phones[0]}”列未导入：用户账号不保存手机号码。")
                if others := [text for text in ignored if text not in PHONE_HEADERS]:
                    notes.append(f"以下列未读取：{'、'.join(others[:10])}。")
            elif number >= HEADER_SCAN_ROWS:
                raise UploadRefused(
                    f"前{HEADER_SCAN_ROWS}行中找不到表头（应有{'、'.join(HEADERS)}）。请使用系统提供的模板。"
                )
            continue
        values = {field: cells[index] if index < len(cells) else None for index, field in header.items()}
        if all(_text(value) == "" for value in values.values()):
            continue
        if len(rows) >= MAX_ROWS:
            raise UploadRefused(f"账号表超过 {MAX_ROWS} 行，请分批导入。")
        rows.append((number, values))
    if header is None:
        raise UploadRefused(f"找不到表头（应有{'、'.join(HEADERS)}）。请使用系统提供的模板。")
    if not rows:
        raise UploadRefused("账号表中没有数据行。")
    return rows, notes


def _check_header(fields: set[str]) -> None:
    missing = [header for header, field in (("用户名", "username"), ("姓名", "name")) if field not in fields]
    if not fields & {"code", "region_name"}:
        missing.append("乡镇代码（或乡镇名称）")
    if missing:
        raise UploadRefused(f"表头缺少必填列：{'、'.join(missing)}。请使用系统提供的模板。")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed into a number cell: 12 digits are exact in a double
    return str(value).strip()


class _Regions:
    """The regions of the manager's scope (no villages), by code and by level and name."""

    def __init__(self, manager):
        self.prefix = scope_prefix(manager) or ""
        rows = (
            Region.objects.visible_to(manager).exclude(level=RegionLevel.VILLAGE).values_list("code", "name", "level")
        )
        self.by_code = {code: (name, level) for code, name, level in rows}
        self.by_name: dict[tuple[str, str], list[str]] = {}
        for code, (name, level) in self.by_code.items():
            self.by_name.setdefault((level, name), []).append(code)
        self.scope_name = self.by_code.get(self.prefix.ljust(12, "0"), ("您的管辖范围", ""))[0]


def check_rows(manager, rows: list[tuple[int, dict]]) -> tuple[list[Account], list[RowError]]:
    """Every row as an Account, or the reasons it cannot be one; the one rule of what a row may create."""
    regions = _Regions(manager)
    given = [(number, _text(values.get("username"))) for number, values in rows]
    wanted = {username.lower() for _, username in given if username}
    taken = set(
        User.objects.annotate(lowered=Lower("username")).filter(lowered__in=wanted).values_list("lowered", flat=True)
    )
    first_row: dict[str, int] = {}
    accounts, errors = [], []
    for number, values in rows:
        row_errors: list[RowError] = []

        def refuse(column: str, reason: str, number=number, row_errors=row_errors) -> None:
            row_errors.append(RowError(number, column, reason))

        role = _role(values, refuse)
        username = _username(values, refuse, taken, first_row, number)
        name = _text(values.get("name"))
        if not name:
            refuse("姓名", "姓名必填。")
        elif len(name) > 150 or text_problem(name):
            refuse("姓名", text_problem(name) or "姓名过长（最多150字）。")
        region = _region(values, role, regions, refuse)
        if row_errors:
            errors += row_errors
        else:
            accounts.append(Account(number, username, name, role, region[0], region[1]))
    return accounts, errors


def _role(values: dict, refuse) -> str | None:
    text = _text(values.get("role"))
    if not text:
        return DEFAULT_ROLE
    role = ROLE_OF_LABEL.get(text) or (text if text in MANAGED_ROLES else None)
    if role is None:
        refuse(
            "角色",
            f"“{text[:20]}”不是可创建的角色，应为{'、'.join(ROLE_OF_LABEL)}之一（系统管理员只能在系统管理中设置）。",
        )
    return role


def _username(values: dict, refuse, taken: set[str], first_row: dict[str, int], number: int) -> str:
    username = _text(values.get("username"))
    if not username:
        refuse("用户名", "用户名必填。")
        return username
    try:
        User.username_validator(username)
    except ValidationError:
        refuse("用户名", f"用户名“{username[:30]}”只能包含字母、数字和 @ . + - _。")
        return username
    if len(username) > 150:
        refuse("用户名", "用户名过长（最多150个字符）。")
    elif username.lower() in taken:
        refuse("用户名", f"用户名“{username}”已存在（与已有账号重复，不区分大小写）。")
    elif username.lower() in first_row:
        refuse("用户名", f"用户名“{username}”与第{first_row[username.lower()]}行重复。")
    else:
        first_row[username.lower()] = number
    return username


def _region(values: dict, role: str | None, regions: _Regions, refuse) -> tuple[str, str] | None:
    """(code, name) of the row's region: by code, else by name at the role's level; in scope and at that level."""
    code = normalise_digits(_text(values.get("code")))
    name = _text(values.get("region_name"))
    level = ROLE_SCOPE_LEVEL.get(role) if role else None
    if code:
        if len(code) != 12 or not is_ascii_digits(code):
            refuse("乡镇代码", f"“{code[:20]}”不是12位区划代码。")
            return None
        if not code.startswith(regions.prefix):
            refuse("乡镇代码", f"区划代码 {code} 不在{regions.scope_name}范围内，不能为其创建账号。")
            return None
        found = regions.by_code.get(code)
        if found is None:
            refuse("乡镇代码", f"未找到区划代码 {code}（应为{regions.scope_name}内的乡镇、县、市或省）。")
            return None
        if name and name != found[0]:
            refuse("乡镇名称", f"“{name[:20]}”与乡镇代码 {code}（{found[0]}）不一致。")
            return None
    elif name:
        search_level = level or RegionLevel.TOWNSHIP
        matches = regions.by_name.get((search_level, name), [])
        if not matches:
            refuse("乡镇名称", f"{regions.scope_name}内没有名为“{name[:20]}”的{LEVEL_LABEL[search_level]}级区划。")
            return None
        if len(matches) > 1:
            refuse("乡镇名称", f"{regions.scope_name}内有{len(matches)}个“{name[:20]}”，请填写乡镇代码。")
            return None
        code, found = matches[0], regions.by_code[matches[0]]
    else:
        refuse("乡镇代码", "请填写乡镇代码或乡镇名称。")
        return None
    if level and found[1] != level:
        refuse(
            "角色",
            f"{Role(role).label}的所属区划应为{LEVEL_LABEL[level]}级，{found[0]}（{code}）是{LEVEL_LABEL[found[1]]}级。",
        )
        return None
    return code, found[0]


def _plan_salt(manager) -> str:
    return f"fupin.accounts.plan.{manager.pk}"


def sign_accounts(manager, accounts: list[Account]) -> str:
    """The checked rows, signed for this manager: what the confirmation sends back (checked again there)."""
    rows = [[a.row, a.region_code, a.username, a.name, a.role] for a in accounts]
    return signing.dumps(rows, salt=_plan_salt(manager), compress=True)


def create_accounts(*, user, token: str) -> list[dict]:
    """Create the previewed accounts, all or none, in one transaction; each with its initial password.

    The rows are checked again (a username may have been taken since the preview); any failure
    raises AccountsRefused and writes nothing. Returns, per account, what the password list shows.
    """
    require(user, Action.MANAGE_USERS)
    try:
        signed = signing.loads(token or "", salt=_plan_salt(user), max_age=PLAN_MAX_AGE)
    except signing.BadSignature as error:  # SignatureExpired included
        raise ValidationError("预览已失效（超过1小时或内容不完整），请重新上传账号表。") from error
    rows = [
        (row, {"code": code, "username": username, "name": name, "role": role})
        for row, code, username, name, role in signed
    ]
    accounts, errors = check_rows(user, rows)
    if errors:
        raise AccountsRefused(errors)
    created = []
    try:
        with transaction.atomic():
            users = []
            for account in accounts:
                new = User(
                    username=account.username,
                    first_name=account.name,
                    role=account.role,
                    region_id=account.region_code,
                    must_change_password=True,
                )
                password = new_password(new)
                new.set_password(password)
                new.save()
                users.append(new)
                created.append(
                    {
                        "username": account.username,
                        "name": account.name,
                        "role": account.role_label,
                        "region": account.region_name,
                        "password": password,
                    }
                )
            _log(user, users, ADDITION, "批量创建账号（用户管理）")
    except IntegrityError as error:  # a username taken between the check and the write
        raise ValidationError("有用户名刚被其他人占用，未创建任何账号；请重新上传账号表。") from error
    return created


def passwords_workbook(created: list[dict]) -> bytes:
    """The initial passwords as an xlsx, written in memory (never to disk)."""
    sheet = Sheet(
        title="初始密码",
        headers=["用户名", "姓名", "角色", "所属区划", "初始密码"],
        rows=[[row["username"], row["name"], row["role"], row["region"], row["password"]] for row in created],
        widths={1: 18, 2: 12, 3: 14, 4: 18, 5: 18},
        text_columns=frozenset({1, 5}),
    )
    buffer = io.BytesIO()
    write_workbook(buffer, [sheet])
    return buffer.getvalue()
