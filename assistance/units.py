"""帮扶单位 and 定点帮扶 (docs/domain.md §9.3): every rule about a unit and its assignments lives here, once.

A unit is registered by a region (the county or province that manages it) and edited there only;
it is read wherever it works: by the region that registered it, and by every region it is
assigned to (定点帮扶) or sends a 驻村工作队 to, so a county sees the central unit that helps it.
Scope first (an assignment's region outside the user's scope is a 404), then the role
(MANAGE_AID_UNIT: county reviewers and province staff), then the rules, refused with a
`ValidationError` keyed by field, in Chinese. History is kept by pghistory, with the reason.
"""

from __future__ import annotations

from datetime import date

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from core.parsing import parse_date
from core.permissions import Action, require
from core.regions import RegionLevel
from core.scoping import get_visible_or_404, scope_prefix
from households.services.validation import full_clean_or_raise
from villages.models import Region

from .codes import UnitLevel, UnitType
from .models import AidUnit, UnitAssignment, VillageTeam

# 定点帮扶 is of a county (单位包县) or of a village (单位包村) (docs/domain.md §9.3).
ASSIGNABLE_LEVELS = (RegionLevel.COUNTY, RegionLevel.VILLAGE)
# A unit is registered by an office that manages units, never by a village.
REGISTERING_LEVELS = (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP)


def units_for(user):
    """The units the user may read: registered in scope, or assigned to or sending a team into the scope."""
    prefix = scope_prefix(user)
    if prefix is None:
        return AidUnit.objects.none()
    if prefix == "":
        return AidUnit.objects.all()
    assigned = UnitAssignment.objects.within_prefix(prefix).filter(unit=OuterRef("pk"))
    sending = VillageTeam.objects.within_prefix(prefix).filter(unit=OuterRef("pk"))
    registered = AidUnit.objects.within_prefix(prefix).values("pk")
    return AidUnit.objects.filter(Q(pk__in=registered) | Exists(assigned) | Exists(sending))


def assignments_for(user):
    """定点帮扶 of the regions in the user's scope, newest first."""
    return UnitAssignment.objects.visible_to(user).select_related("unit", "region")


def readable_unit(user, unit_id) -> AidUnit:
    """A unit the user may read (units_for), or 404."""
    try:
        return units_for(user).select_related("region").get(pk=unit_id)
    except (AidUnit.DoesNotExist, ValueError, TypeError) as error:
        raise Http404("未找到或无权查看。") from error


def editable_unit(user, unit_id, *, lock: bool = False) -> AidUnit:
    """A unit registered in the user's scope; one only read here is refused (403), one unseen is a 404."""
    found = AidUnit.objects.visible_to(user)
    unit = (found.select_for_update() if lock else found).filter(pk=unit_id).first()
    if unit is None:
        seen = readable_unit(user, unit_id)
        raise PermissionDenied(f"该帮扶单位由{seen.region.name}登记，只能由登记地修改。")
    return unit


def _unit_fields(errors: dict, *, name, unit_type, level) -> None:
    if unit_type not in UnitType.values:
        errors["unit_type"] = ["请选择单位类型。"]
    if level not in UnitLevel.values:
        errors["level"] = ["请选择单位层级。"]
    if not (name or "").strip():
        errors["name"] = ["请填写单位名称。"]


def _check_unique_name(unit: AidUnit, errors: dict) -> None:
    others = AidUnit.objects.filter(region_id=unit.region_id, name=unit.name).exclude(pk=unit.pk)
    if unit.name and others.exists():
        errors["name"] = [f"{unit.region.name}已登记同名帮扶单位。"]


@transaction.atomic
def create_unit(*, user, name: str, unit_type: str, level: str, region_code: str | None = None) -> AidUnit:
    """登记帮扶单位 in a region of the user's scope (the user's own region when none is named).

    Guarantees: MANAGE_AID_UNIT; the region is in scope and not a village; a name once per region.
    """
    require(user, Action.MANAGE_AID_UNIT)
    code = region_code or user.region_id
    region = Region.objects.visible_to(user).filter(code=code or "").first()
    errors: dict[str, list[str]] = {}
    if region is None or region.level not in REGISTERING_LEVELS:
        errors["region"] = ["请选择您管辖范围内的省、市、县或乡镇作为登记区划。"]
    _unit_fields(errors, name=name, unit_type=unit_type, level=level)
    unit = AidUnit(name=(name or "").strip(), unit_type=unit_type, level=level, region=region)
    if not errors:
        _check_unique_name(unit, errors)
        try:
            full_clean_or_raise(unit, exclude=["region", *errors])
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    with pghistory.context(reason="登记帮扶单位"):
        unit.save()
    return unit


@transaction.atomic
def edit_unit(*, user, unit_id: int, name: str, unit_type: str, level: str) -> AidUnit:
    """修改帮扶单位: its name, type and level, by the region that registered it."""
    unit = editable_unit(user, unit_id, lock=True)
    require(user, Action.MANAGE_AID_UNIT)
    errors: dict[str, list[str]] = {}
    _unit_fields(errors, name=name, unit_type=unit_type, level=level)
    unit.name, unit.unit_type, unit.level = (name or "").strip(), unit_type, level
    if not errors:
        _check_unique_name(unit, errors)
        try:
            full_clean_or_raise(unit, exclude=["region", *errors])
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    with pghistory.context(reason="修改帮扶单位"):
        unit.save()
    return unit


@transaction.atomic
def assign_unit(*, user, unit_id: int, region_code: str, start_date, end_date=None) -> UnitAssignment:
    """定点帮扶: a unit the user may read assigned to a county or village of the scope for a period.

    Guarantees: MANAGE_AID_UNIT; one open assignment per unit and region (also the database's
    unit_assignment_one_open_per_pair); the period ends on or after it starts.
    """
    unit = readable_unit(user, unit_id)
    require(user, Action.MANAGE_AID_UNIT)
    errors: dict[str, list[str]] = {}
    region = Region.objects.visible_to(user).select_for_update().filter(code=region_code or "").first()
    if region is None or region.level not in ASSIGNABLE_LEVELS:
        errors["region"] = ["请选择您管辖范围内的县或行政村。"]
    start, end = _period(errors, start_date, end_date)
    if region is not None and "region" not in errors and end is None:
        current = UnitAssignment.objects.filter(unit=unit, region=region, end_date__isnull=True).first()
        if current is not None:
            since = f"{current.start_date:%Y-%m-%d}起"
            errors["region"] = [f"{unit.name}已在{region.name}定点帮扶（{since}），请勿重复登记。"]
    if errors:
        raise ValidationError(errors)
    with pghistory.context(reason="登记定点帮扶"):
        return UnitAssignment.objects.create(unit=unit, region=region, start_date=start, end_date=end)


@transaction.atomic
def end_assignment(*, user, assignment_id: int, end_date) -> UnitAssignment:
    """结束定点帮扶 on a date on or after its start."""
    assignment = get_visible_or_404(UnitAssignment.objects.select_for_update(), user, pk=assignment_id)
    require(user, Action.MANAGE_AID_UNIT)
    end = parse_date(end_date, field="end_date")
    if assignment.end_date is not None:
        raise ValidationError({"end_date": [f"该定点帮扶已于{assignment.end_date:%Y-%m-%d}结束。"]})
    if end < assignment.start_date:
        raise ValidationError({"end_date": [f"结束日期不能早于开始日期（{assignment.start_date:%Y-%m-%d}）。"]})
    assignment.end_date = end
    with pghistory.context(reason="结束定点帮扶"):
        assignment.save(update_fields=["end_date"])
    return assignment


def _period(errors: dict, start_date, end_date) -> tuple[date | None, date | None]:
    start = end = None
    try:
        start = parse_date(start_date, field="start_date")
    except ValidationError as error:
        errors.update(error.message_dict)
    if end_date not in (None, ""):
        try:
            end = parse_date(end_date, field="end_date")
        except ValidationError as error:
            errors.update(error.message_dict)
    if start and end and end < start:
        errors["end_date"] = ["结束日期不能早于开始日期。"]
    return start, end
