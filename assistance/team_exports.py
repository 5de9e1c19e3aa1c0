"""驻村工作队花名册 (Excel), a report of the shell's export pipeline (fupin/exports.py: scoped at request
and at run, EXPORT to ask, EXPORT_PERSONAL_DATA and the households.view_full_id permission for full
phones, audited). One row per member, in post or not; a team without members is one row without
a member. The columns the roster import reads (assistance/team_imports.py) carry its header names.
"""

from core.excel import Sheet
from households.idnumbers import mask_phone

from .codes import TeamRole
from .models import TeamMember, VillageTeam

CHUNK = 5000
HEADERS = [
    "县",
    "乡镇",
    "村名",
    "村代码",
    "派出单位",
    "派驻日期",
    "期满日期",
    "姓名",
    "职务",
    "工作单位",
    "联系电话",
    "到岗日期",
    "离岗日期",
    "离岗原因",
    "接替人",
]
TEAM_COLUMNS = (
    "team__village__parent__parent__name",
    "team__village__parent__name",
    "team__village__name",
    "team__village_id",
    "team__unit__name",
    "team__start_date",
    "team__end_date",
)


def team_roster(user, prefix: str, *, full: bool = False, **_) -> Sheet:
    """Every member of the teams under `prefix` the user may see; phones masked unless `full`."""
    members = (
        TeamMember.objects.visible_to(user)
        .within_prefix(prefix)
        .order_by("team__village_id", "team__start_date", "team_id", "role", "start_date", "id")
        .values_list(
            *TEAM_COLUMNS,
            "name",
            "role",
            "unit",
            "phone",
            "start_date",
            "end_date",
            "end_reason",
            "successor__name",
        )
    )
    empty = (
        VillageTeam.objects.visible_to(user)
        .within_prefix(prefix)
        .filter(members__isnull=True)
        .order_by("village_id", "start_date", "id")
        .values_list(*(column.removeprefix("team__") for column in TEAM_COLUMNS))
    )
    roles = {code: str(label) for code, label in TeamRole.choices}

    def generate():
        for values in members.iterator(chunk_size=CHUNK):
            team, (name, role, unit, phone, start, end, reason, successor) = values[:7], values[7:]
            shown = (phone or "") if full else mask_phone(phone or "")
            yield [*team, name, roles.get(role, role), unit, shown, start, end, reason, successor or ""]
        for team in empty.iterator(chunk_size=CHUNK):
            yield [*team, *[""] * 8]

    widths = {3: 14, 4: 16, 5: 24, 10: 24}
    return Sheet("驻村工作队花名册", HEADERS, generate(), widths=widths, text_columns=frozenset({4, 11}))


def roster_count(user, prefix: str) -> int:
    return TeamMember.objects.visible_to(user).within_prefix(prefix).count()
