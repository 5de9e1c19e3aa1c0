"""驻村工作队 and their members (docs/domain.md §9.4, §9.5): every rule about a team lives here, once.

Scope first (a team of a village outside the user's scope is a 404), then the role
(MANAGE_VILLAGE_TEAM: county reviewers; township clerks read the teams of their township), then
the rules, refused with a `ValidationError` keyed by field, in Chinese, before anything is written.
Invariants: one open team per village (also the database's village_team_one_open_per_village),
one 第一书记 in post per team (team_one_first_secretary_in_post); a member's post lies within
the team's term; a member leaves with a reason, and a replaced one names the successor. A
member's phone is stored encrypted and shown masked. pghistory keeps every version, with the
reason. The 疑点 "no team in post" is `villages_without_team`, the one place it is defined.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.http import Http404
from django.utils import timezone

from core.parsing import normalise_digits, parse_date
from core.permissions import Action, require
from core.regions import RegionLevel
from core.scoping import get_visible_or_404
from households.services.validation import full_clean_or_raise
from monitoring.codes import OPEN_STATUSES
from monitoring.models import MonitoringObject
from villages.models import Region, Village

from .codes import TeamRole
from .models import AidUnit, TeamMember, VillageTeam
from .units import readable_unit

# As the household's phone is checked (households/forms.py): digits only, 7 to 20 of them.
PHONE = re.compile(r"[0-9]{7,20}", re.ASCII)
PHONE_REFUSAL = "联系电话只能是7至20位数字。"
TEAM_ENDED_REASON = "工作队期满"


# --- reads -------------------------------------------------------------------------------------


def teams_for(user):
    """驻村工作队 of the villages in the user's scope."""
    return VillageTeam.objects.visible_to(user).select_related("village__parent", "unit")


def members_for(user):
    """Members of the teams in the user's scope."""
    return TeamMember.objects.visible_to(user).select_related("team__village", "successor")


def team_list(user, *, prefix: str | None = None, in_post_only: bool = False, on: date | None = None):
    """Teams of the scope under a region prefix (a township's, a village's), newest first in each
    village; `in_post_only`: open teams with a member in post on `on` (today). Annotated with the
    members in post and the 第一书记 in post."""
    on = on or timezone.localdate()
    found = teams_for(user)
    if prefix:
        found = found.within_prefix(prefix)
    members_now = TeamMember.objects.filter(in_post(on), team=OuterRef("pk"))
    if in_post_only:
        found = found.filter(in_post(on), Exists(members_now))
    secretary = members_now.filter(role=TeamRole.FIRST_SECRETARY).order_by("-start_date").values("name")[:1]
    return found.annotate(
        members_in_post=Count("members", filter=in_post(on, "members__")),
        first_secretary=Subquery(secretary),
    ).order_by("village_id", "-start_date", "id")


def in_post(on: date, prefix: str = ""):
    """Q of a team or member row (fields under `prefix`) in post on `on`: started, and not ended before."""
    return Q(**{f"{prefix}start_date__lte": on}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": on})
    )


def villages_without_team(villages, *, on: date | None = None):
    """疑点 "需驻村但无在岗工作队" (docs/domain.md §9.4): the villages of `villages` (a Region queryset)
    that need a team — a registered poor village (exited ones too: teams stay after exit, §9.4), or
    a village with an open monitoring object (识别中, 监测中) — and have no team in post on `on`
    (today): an open team with at least one member in post. Annotated `is_poor` and
    `monitored` (open monitoring objects), in code order.
    """
    on = on or timezone.localdate()
    poor = Village.objects.filter(region=OuterRef("pk"), is_poor_village=True)
    open_records = MonitoringObject.objects.filter(household__village=OuterRef("pk"), status__in=OPEN_STATUSES)
    members_in_post = TeamMember.objects.filter(in_post(on), team=OuterRef("pk"))
    teams_in_post = VillageTeam.objects.filter(in_post(on), Exists(members_in_post), village=OuterRef("pk"))
    monitored = (
        MonitoringObject.objects.filter(household__village=OuterRef("pk"), status__in=OPEN_STATUSES)
        .order_by()
        .values("household__village")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        villages.filter(level=RegionLevel.VILLAGE)
        .annotate(is_poor=Exists(poor), has_monitored=Exists(open_records), has_team=Exists(teams_in_post))
        .filter(Q(is_poor=True) | Q(has_monitored=True), has_team=False)
        .annotate(monitored=monitored)
        .select_related("parent")
        .order_by("code")
    )


def team_gap(village_code: str, *, on: date | None = None) -> Region | None:
    """The village, annotated, when it shows the 疑点 of villages_without_team; else None."""
    return villages_without_team(Region.objects.filter(code=village_code), on=on).first()


def village_team_summary(user, village_code: str) -> dict:
    """What a village's page shows of its 驻村工作队: the open team, its members in post, the 疑点."""
    team = teams_for(user).filter(village_id=village_code, end_date__isnull=True).first()
    members = list(team.members.filter(end_date__isnull=True).order_by("role", "start_date")) if team else []
    return {"team": team, "members": members, "gap": team_gap(village_code)}


def gap_counts(user, *, on: date | None = None) -> dict:
    """How many villages of the scope need a team, and how many of them have none in post, by reason."""
    on = on or timezone.localdate()
    villages = Region.objects.visible_to(user).filter(level=RegionLevel.VILLAGE)
    missing = villages_without_team(villages, on=on)
    poor = Village.objects.filter(region=OuterRef("pk"), is_poor_village=True)
    open_records = MonitoringObject.objects.filter(household__village=OuterRef("pk"), status__in=OPEN_STATUSES)
    needing = villages.annotate(is_poor=Exists(poor), has_monitored=Exists(open_records))
    needing = needing.filter(Q(is_poor=True) | Q(has_monitored=True))
    return {
        "needing": needing.count(),
        "missing": missing.count(),
        "missing_poor": missing.filter(is_poor=True).count(),
        "missing_monitored": missing.filter(has_monitored=True).count(),
    }


# --- writes ------------------------------------------------------------------------------------


def clean_phone(value, *, field: str = "phone") -> str | None:
    """A phone as the household's is checked: blank is None; full-width digits are read as ASCII."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(int(value)) if float(value).is_integer() else str(value)  # a spreadsheet number cell
    text = normalise_digits(str(value))
    if not text:
        return None
    if not PHONE.fullmatch(text):
        raise ValidationError({field: [PHONE_REFUSAL]})
    return text


def _date(errors: dict, value, field: str) -> date | None:
    try:
        return parse_date(value, field=field)
    except ValidationError as error:
        errors.update(error.message_dict)
        return None


def _reason(errors: dict, value, field: str = "reason") -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        errors[field] = ["请填写原因。"]
    elif len(text) > TeamMember._meta.get_field("end_reason").max_length:
        errors[field] = ["原因最多200字。"]
    return text


@transaction.atomic
def create_team(*, user, village_code: str, start_date, unit_id: int | None = None) -> VillageTeam:
    """派驻驻村工作队 to a village of the scope from a date, sent by a unit the user may read (or none named).

    Guarantees: MANAGE_VILLAGE_TEAM; a village (not a township or county); no open team in the
    village (the village row is locked, so two requests cannot both pass the check).
    """
    village = Region.objects.visible_to(user).select_for_update().filter(code=village_code or "").first()
    require(user, Action.MANAGE_VILLAGE_TEAM)
    errors: dict[str, list[str]] = {}
    if village is None or village.level != RegionLevel.VILLAGE:
        errors["village"] = ["请选择您管辖范围内的行政村（驻村工作队只派驻到村）。"]
    else:
        current = VillageTeam.objects.filter(village=village, end_date__isnull=True).first()
        if current is not None:
            errors["village"] = [
                f"{village.name}已有在岗的驻村工作队（{current.start_date:%Y-%m-%d}起派驻），请先结束其任期再派驻新的工作队。"
            ]
    start = _date(errors, start_date, "start_date")
    unit = None
    if unit_id not in (None, ""):
        unit = units_readable_or_none(user, unit_id)
        if unit is None:
            errors["unit"] = ["请选择您可查看的帮扶单位。"]
    if errors:
        raise ValidationError(errors)
    with pghistory.context(reason="派驻驻村工作队"):
        return VillageTeam.objects.create(village=village, unit=unit, start_date=start)


def units_readable_or_none(user, unit_id) -> AidUnit | None:
    try:
        return readable_unit(user, unit_id)
    except Http404:  # the caller says which field
        return None


def _member_fields(errors: dict, *, name, unit, role, phone) -> str | None:
    if role not in TeamRole.values:
        errors["role"] = ["请选择职务。"]
    if not (name or "").strip():
        errors["name"] = ["请填写姓名。"]
    if not (unit or "").strip():
        errors["unit"] = ["请填写工作单位。"]
    try:
        return clean_phone(phone)
    except ValidationError as error:
        errors.update(error.message_dict)
        return None


def _check_first_secretary(errors: dict, team: VillageTeam, role: str, *, leaving: TeamMember | None = None) -> None:
    if role != TeamRole.FIRST_SECRETARY:
        return
    current = team.members.filter(role=TeamRole.FIRST_SECRETARY, end_date__isnull=True)
    if leaving is not None:
        current = current.exclude(pk=leaving.pk)
    if first := current.first():
        errors["role"] = [f"该工作队已有在岗的第一书记（{first.name}），请通过“更换”办理接替。"]


def _build_member(errors: dict, team, *, name, unit, role, phone, start) -> TeamMember:
    member = TeamMember(
        team=team, name=(name or "").strip(), unit=(unit or "").strip(), role=role, phone=phone, start_date=start
    )
    try:
        full_clean_or_raise(member, exclude=["team", "successor", "phone", *errors])
    except ValidationError as error:
        errors.update(error.message_dict)
    return member


def _open_team(user, team_id) -> VillageTeam:
    team = get_visible_or_404(VillageTeam.objects.select_for_update(), user, pk=team_id)
    require(user, Action.MANAGE_VILLAGE_TEAM)
    return team


@transaction.atomic
def add_member(*, user, team_id: int, name: str, unit: str, role: str, start_date, phone=None) -> TeamMember:
    """增加队员 of an open team: 到岗日期 on or after the team's start; one 第一书记 in post."""
    team = _open_team(user, team_id)
    errors: dict[str, list[str]] = {}
    if team.end_date is not None:
        errors["team"] = [f"该工作队已于{team.end_date:%Y-%m-%d}期满，不能再增加队员。"]
    phone = _member_fields(errors, name=name, unit=unit, role=role, phone=phone)
    start = _date(errors, start_date, "start_date")
    if start and start < team.start_date:
        errors["start_date"] = [f"到岗日期不能早于工作队派驻日期（{team.start_date:%Y-%m-%d}）。"]
    _check_first_secretary(errors, team, role)
    if name and team.members.filter(name=name.strip(), end_date__isnull=True).exists():
        errors["name"] = [f"{name.strip()}已是该工作队的在岗队员，请勿重复增加。"]
    member = _build_member(errors, team, name=name, unit=unit, role=role, phone=phone, start=start)
    if errors:
        raise ValidationError(errors)
    with pghistory.context(reason="增加驻村工作队员"):
        member.save()
    return member


def _member_in_post(user, member_id) -> TeamMember:
    member = get_visible_or_404(TeamMember.objects.select_for_update(), user, pk=member_id)
    VillageTeam.objects.select_for_update().filter(pk=member.team_id).first()  # one change of a team at a time
    require(user, Action.MANAGE_VILLAGE_TEAM)
    if member.end_date is not None:
        raise ValidationError({"member": [f"{member.name}已于{member.end_date:%Y-%m-%d}离岗。"]})
    return member


@transaction.atomic
def replace_member(
    *,
    user,
    member_id: int,
    name: str,
    unit: str,
    start_date,
    reason: str,
    role: str | None = None,
    phone=None,
    end_date=None,
) -> TeamMember:
    """更换队员: the successor takes the post from `start_date`; the member leaves the day before (or
    on `end_date`) with the reason and the successor named, in one transaction. The successor's
    role is the member's unless another is given. Returns the successor.
    """
    member = _member_in_post(user, member_id)
    team = member.team
    role = role or member.role
    errors: dict[str, list[str]] = {}
    if team.end_date is not None:
        errors["team"] = [f"该工作队已于{team.end_date:%Y-%m-%d}期满。"]
    phone = _member_fields(errors, name=name, unit=unit, role=role, phone=phone)
    reason = _reason(errors, reason)
    start = _date(errors, start_date, "start_date")
    end = _date(errors, end_date, "end_date") if end_date not in (None, "") else None
    if start:
        if start < team.start_date:
            errors["start_date"] = [f"到岗日期不能早于工作队派驻日期（{team.start_date:%Y-%m-%d}）。"]
        given = end is not None
        end = end if given else start - timedelta(days=1)
        if given and end > start:
            errors["end_date"] = ["原队员离岗日期不能晚于接替人到岗日期。"]
        elif end < member.start_date:
            errors["end_date" if given else "start_date"] = [
                f"原队员离岗日期不能早于其到岗日期（{member.start_date:%Y-%m-%d}），接替人到岗日期须晚于该日。"
            ]
    _check_first_secretary(errors, team, role, leaving=member)
    successor = _build_member(errors, team, name=name, unit=unit, role=role, phone=phone, start=start)
    if errors:
        raise ValidationError(errors)
    with pghistory.context(reason=f"更换驻村工作队员：{reason}"):
        # The post ends first: the successor may be the next 第一书记 (one in post at a time).
        member.end_date, member.end_reason = end, reason
        member.save(update_fields=["end_date", "end_reason"])
        successor.save()
        member.successor = successor
        member.save(update_fields=["successor"])
    return successor


@transaction.atomic
def end_member(*, user, member_id: int, end_date, reason: str) -> TeamMember:
    """队员离岗 (召回, 期满) without a successor: the date and the reason."""
    member = _member_in_post(user, member_id)
    errors: dict[str, list[str]] = {}
    reason = _reason(errors, reason)
    end = _date(errors, end_date, "end_date")
    if end and end < member.start_date:
        errors["end_date"] = [f"离岗日期不能早于到岗日期（{member.start_date:%Y-%m-%d}）。"]
    if errors:
        raise ValidationError(errors)
    member.end_date, member.end_reason = end, reason
    with pghistory.context(reason=f"驻村工作队员离岗：{reason}"):
        member.save(update_fields=["end_date", "end_reason"])
    return member


@transaction.atomic
def end_team(*, user, team_id: int, end_date) -> VillageTeam:
    """工作队期满: the team's term ends on a date; members still in post leave on it ("工作队期满")."""
    team = _open_team(user, team_id)
    errors: dict[str, list[str]] = {}
    if team.end_date is not None:
        errors["end_date"] = [f"该工作队已于{team.end_date:%Y-%m-%d}期满。"]
    end = _date(errors, end_date, "end_date")
    if end and "end_date" not in errors:
        latest = team.members.filter(end_date__isnull=True).order_by("-start_date").first()
        if end < team.start_date:
            errors["end_date"] = [f"期满日期不能早于派驻日期（{team.start_date:%Y-%m-%d}）。"]
        elif latest is not None and end < latest.start_date:
            errors["end_date"] = [f"期满日期不能早于在岗队员{latest.name}的到岗日期（{latest.start_date:%Y-%m-%d}）。"]
    if errors:
        raise ValidationError(errors)
    with pghistory.context(reason=TEAM_ENDED_REASON):
        for member in team.members.select_for_update().filter(end_date__isnull=True):
            member.end_date, member.end_reason = end, TEAM_ENDED_REASON
            member.save(update_fields=["end_date", "end_reason"])
        team.end_date = end
        team.save(update_fields=["end_date"])
    return team
