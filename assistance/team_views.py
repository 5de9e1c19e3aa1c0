"""Pages of 帮扶单位, 定点帮扶 and 驻村工作队 (docs/domain.md §9.3–§9.5). Thin: each parses its input,
calls assistance/units.py or teams.py (scope, role and rules are there) and renders; a refusal
comes back on the form with status 400."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.forms import BLANK, BootstrapMixin, apply_service_errors
from core.parsing import optional_region_code
from core.permissions import Action, allows, require
from core.regions import RegionLevel, code_prefix
from core.scoping import get_visible_or_404
from villages.models import Region

from . import team_imports, teams, units
from .codes import TeamRole, UnitLevel, UnitType
from .models import TeamMember

PAGE_SIZE = 300  # a county holds a few hundred villages, so a few hundred teams
MAX_CHOICES = 2000


def date_input():
    return forms.DateInput(attrs={"type": "date"})


# --- forms (parse only; the services hold the rules) -------------------------------------------


class UnitForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label="单位名称", max_length=100)
    unit_type = forms.ChoiceField(label="单位类型", choices=BLANK + UnitType.choices)
    level = forms.ChoiceField(label="单位层级", choices=BLANK + UnitLevel.choices)
    region_code = forms.ChoiceField(label="登记区划", required=False)

    def __init__(self, *args, user, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["region_code"]
            return
        offices = Region.objects.visible_to(user).exclude(level=RegionLevel.VILLAGE).order_by("code")
        self.fields["region_code"].choices = [(r.code, r.name) for r in offices[:MAX_CHOICES]]
        self.fields["region_code"].initial = user.region_id


class AssignForm(BootstrapMixin, forms.Form):
    region_code = forms.ChoiceField(label="帮扶对象（县或村）")
    start_date = forms.CharField(label="开始日期", widget=date_input())
    end_date = forms.CharField(label="结束日期（可不填）", required=False, widget=date_input())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        targets = Region.objects.visible_to(user).filter(level__in=units.ASSIGNABLE_LEVELS).select_related("parent")
        self.fields["region_code"].choices = BLANK + [
            (r.code, f"{r.parent.name if r.parent else ''}{r.name}（{r.code}）") for r in targets[:MAX_CHOICES]
        ]


class EndForm(BootstrapMixin, forms.Form):
    end_date = forms.CharField(label="结束日期", widget=date_input())


class TeamForm(BootstrapMixin, forms.Form):
    village_code = forms.ChoiceField(label="驻村（行政村）")
    unit_id = forms.ChoiceField(label="派出单位", required=False)
    start_date = forms.CharField(label="派驻日期", widget=date_input())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        villages = Region.objects.visible_to(user).filter(level=RegionLevel.VILLAGE).select_related("parent")
        self.fields["village_code"].choices = BLANK + [
            (v.code, f"{v.parent.name}{v.name}（{v.code}）") for v in villages.order_by("code")[:MAX_CHOICES]
        ]
        self.fields["unit_id"].choices = BLANK + [(u.pk, u.name) for u in units.units_for(user)[:MAX_CHOICES]]


class MemberForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    unit = forms.CharField(label="工作单位", max_length=100)
    role = forms.ChoiceField(label="职务", choices=BLANK + TeamRole.choices)
    phone = forms.CharField(label="联系电话", max_length=40, required=False)
    start_date = forms.CharField(label="到岗日期", widget=date_input())


class ReplaceForm(MemberForm):
    reason = forms.CharField(label="更换原因", max_length=200, widget=forms.Textarea(attrs={"rows": 2}))
    end_date = forms.CharField(
        label="原队员离岗日期（可不填）", required=False, widget=date_input(), help_text="不填则为接替人到岗前一日"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].required = False
        self.fields["role"].help_text = "不选则与原队员相同"


class MemberEndForm(EndForm):
    reason = forms.CharField(label="离岗原因", max_length=200, widget=forms.Textarea(attrs={"rows": 2}))


class RosterForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label="花名册文件（.xlsx）",
        help_text="第一行表头：村代码（或村名）、姓名、工作单位、职务、联系电话、到岗日期、派出单位",
    )


# The services' field names where a form names its field otherwise.
FORM_FIELD = {"village": "village_code", "region": "region_code"}


def _refused(form, error: ValidationError):
    if hasattr(error, "error_dict"):
        renamed = {}
        for key, problems in error.message_dict.items():
            target = FORM_FIELD.get(key, key)
            renamed[target if target in form.fields else key] = problems
        if "unit" in renamed and "unit" not in form.fields and "unit_id" in form.fields:
            renamed["unit_id"] = renamed.pop("unit")
        error = ValidationError(renamed)
    apply_service_errors(error, form)
    return form.error_summary()


# --- 帮扶单位 and 定点帮扶 ------------------------------------------------------------------------


@login_required
def unit_list(request):
    """帮扶单位 the user may read, by type, and the 定点帮扶 of the scope."""
    chosen = request.GET.get("unit_type", "")
    found = units.units_for(request.user).select_related("region")
    if chosen in UnitType.values:
        found = found.filter(unit_type=chosen)
    context = {
        "units": found[:PAGE_SIZE],
        "types": UnitType.choices,
        "chosen": chosen,
        "assignments": units.assignments_for(request.user).filter(end_date__isnull=True)[:PAGE_SIZE],
        "can_manage": allows(request.user, Action.MANAGE_AID_UNIT),
        "nav_active": "units",
    }
    return render(request, "assistance/units.html", context)


@login_required
def unit_form(request, pk=None):
    """登记 or 修改 a 帮扶单位."""
    unit = units.editable_unit(request.user, pk) if pk else None  # scope first: 404 outside, 403 elsewhere's
    require(request.user, Action.MANAGE_AID_UNIT)
    initial = {"name": unit.name, "unit_type": unit.unit_type, "level": unit.level} if unit else None
    form = UnitForm(request.POST or None, initial=initial, user=request.user, editing=unit is not None)
    errors = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if unit:
                saved = units.edit_unit(user=request.user, unit_id=unit.pk, **data)
            else:
                saved = units.create_unit(user=request.user, **data)
        except ValidationError as error:
            errors = _refused(form, error)
        else:
            messages.success(request, f"已保存帮扶单位：{saved.name}。")
            return redirect("assistance:unit_detail", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "unit": unit, "errors": errors or form.error_summary(), "nav_active": "units"}
    return render(request, "assistance/units_form.html", context, status=status)


def _unit_context(request, unit, **extra):
    return {
        "unit": unit,
        "assignments": units.assignments_for(request.user).filter(unit=unit),
        "teams": teams.teams_for(request.user).filter(unit=unit)[:PAGE_SIZE],
        "can_manage": allows(request.user, Action.MANAGE_AID_UNIT),
        "assign_form": extra.pop("assign_form", None) or AssignForm(user=request.user),
        "end_form": EndForm(),
        "nav_active": "units",
        **extra,
    }


@login_required
def unit_detail(request, pk):
    unit = units.readable_unit(request.user, pk)
    return render(request, "assistance/units_detail.html", _unit_context(request, unit))


@login_required
@require_POST
def unit_assign(request, pk):
    unit = units.readable_unit(request.user, pk)
    form = AssignForm(request.POST, user=request.user)
    form.is_valid()
    try:
        units.assign_unit(
            user=request.user,
            unit_id=unit.pk,
            region_code=request.POST.get("region_code", ""),
            start_date=request.POST.get("start_date", ""),
            end_date=request.POST.get("end_date", ""),
        )
    except ValidationError as error:
        form.errors.clear()
        errors = _refused(form, error)
        context = _unit_context(request, unit, assign_form=form, errors=errors)
        return render(request, "assistance/units_detail.html", context, status=400)
    messages.success(request, "已登记定点帮扶。")
    return redirect("assistance:unit_detail", pk=unit.pk)


@login_required
@require_POST
def assignment_end(request, pk):
    assignment = get_visible_or_404(units.assignments_for(request.user), request.user, pk=pk)
    try:
        units.end_assignment(user=request.user, assignment_id=assignment.pk, end_date=request.POST.get("end_date", ""))
    except ValidationError as error:
        for problems in error.message_dict.values():
            for problem in problems:
                messages.error(request, f"结束定点帮扶未成功：{problem}")
    else:
        messages.success(request, "已结束定点帮扶。")
    return redirect("assistance:unit_detail", pk=assignment.unit_id)


# --- 驻村工作队 ---------------------------------------------------------------------------------


@login_required
def team_list(request):
    """驻村工作队 of the scope: by township or village (a code prefix), in post only if asked; the 疑点 count."""
    chosen = {"township": request.GET.get("township", ""), "village": request.GET.get("village", "")}
    try:
        village = optional_region_code(chosen, "village")
        township = optional_region_code(chosen, "township")
    except ValidationError:  # a hand-edited address: the whole list
        village = township = None
        chosen = {"township": "", "village": ""}
    prefix = village or (code_prefix(township, RegionLevel.TOWNSHIP) if township else None)
    in_post_only = request.GET.get("in_post") == "1"
    found = teams.team_list(request.user, prefix=prefix, in_post_only=in_post_only)
    townships = Region.objects.visible_to(request.user).filter(level=RegionLevel.TOWNSHIP).order_by("code")
    context = {
        "teams": found[:PAGE_SIZE],
        "townships": townships[:MAX_CHOICES],
        "chosen_township": chosen["township"],
        "chosen_village": chosen["village"],
        "in_post_only": in_post_only,
        "gaps": teams.gap_counts(request.user),
        "can_manage": allows(request.user, Action.MANAGE_VILLAGE_TEAM),
        "nav_active": "teams",
    }
    return render(request, "assistance/teams.html", context)


@login_required
def missing_teams(request):
    """疑点: villages of the scope that need a 驻村工作队 and have none in post, with the counts."""
    villages = Region.objects.visible_to(request.user)
    context = {
        "villages": teams.villages_without_team(villages)[:PAGE_SIZE],
        "gaps": teams.gap_counts(request.user),
        "can_manage": allows(request.user, Action.MANAGE_VILLAGE_TEAM),
        "nav_active": "teams",
    }
    return render(request, "assistance/teams_missing.html", context)


@login_required
def team_create(request):
    require(request.user, Action.MANAGE_VILLAGE_TEAM)
    form = TeamForm(request.POST or None, initial={"village_code": request.GET.get("village", "")}, user=request.user)
    errors = []
    if request.method == "POST":
        form.is_valid()
        try:
            team = teams.create_team(
                user=request.user,
                village_code=request.POST.get("village_code", ""),
                start_date=request.POST.get("start_date", ""),
                unit_id=request.POST.get("unit_id") or None,
            )
        except ValidationError as error:
            form.errors.clear()
            errors = _refused(form, error)
        else:
            messages.success(request, "已派驻驻村工作队，请增加队员。")
            return redirect("assistance:team_detail", pk=team.pk)
    context = {"form": form, "errors": errors, "nav_active": "teams"}
    return render(request, "assistance/teams_create.html", context, status=400 if errors else 200)


def _team_context(request, team, **extra):
    members = list(team.members.select_related("successor").order_by("end_date", "role", "start_date", "id"))
    return {
        "team": team,
        "in_post": [member for member in members if member.end_date is None],
        "past": [member for member in members if member.end_date is not None],
        "gap": teams.team_gap(team.village_id),
        "others": teams.teams_for(request.user).filter(village=team.village).exclude(pk=team.pk),
        "can_manage": allows(request.user, Action.MANAGE_VILLAGE_TEAM) and team.end_date is None,
        "end_form": extra.pop("end_form", None) or EndForm(),
        "nav_active": "teams",
        **extra,
    }


@login_required
def team_detail(request, pk):
    team = get_visible_or_404(teams.teams_for(request.user), request.user, pk=pk)
    return render(request, "assistance/teams_detail.html", _team_context(request, team))


@login_required
@require_POST
def team_end(request, pk):
    team = get_visible_or_404(teams.teams_for(request.user), request.user, pk=pk)
    form = EndForm(request.POST)
    try:
        teams.end_team(user=request.user, team_id=team.pk, end_date=request.POST.get("end_date", ""))
    except ValidationError as error:
        errors = _refused(form, error)
        context = _team_context(request, team, end_form=form, errors=errors)
        return render(request, "assistance/teams_detail.html", context, status=400)
    messages.success(request, "工作队已期满，在岗队员同日离岗。")
    return redirect("assistance:team_detail", pk=team.pk)


def _member_page(request, *, team, form, title, call, success, member=None):
    """A member's form page (增加, 更换, 离岗): GET shows it, POST calls the service."""
    errors = []
    if request.method == "POST":
        form.is_valid()
        try:
            call({name: request.POST.get(name, "") for name in form.fields})
        except ValidationError as error:
            form.errors.clear()
            errors = _refused(form, error)
        else:
            messages.success(request, success)
            return redirect("assistance:team_detail", pk=team.pk)
    context = {"team": team, "member": member, "form": form, "title": title, "errors": errors, "nav_active": "teams"}
    return render(request, "assistance/teams_member_form.html", context, status=400 if errors else 200)


@login_required
def member_add(request, pk):
    team = get_visible_or_404(teams.teams_for(request.user), request.user, pk=pk)
    require(request.user, Action.MANAGE_VILLAGE_TEAM)
    return _member_page(
        request,
        team=team,
        form=MemberForm(request.POST or None, initial={"start_date": team.start_date.isoformat()}),
        title="增加队员",
        call=lambda data: teams.add_member(user=request.user, team_id=team.pk, **data),
        success="已增加队员。",
    )


@login_required
def member_replace(request, pk):
    member = get_visible_or_404(TeamMember.objects.select_related("team__village"), request.user, pk=pk)
    require(request.user, Action.MANAGE_VILLAGE_TEAM)
    initial = {"unit": member.unit}
    return _member_page(
        request,
        team=member.team,
        member=member,
        form=ReplaceForm(request.POST or None, initial=initial),
        title=f"更换队员：{member}",
        call=lambda data: teams.replace_member(user=request.user, member_id=member.pk, **data),
        success="已更换队员，原队员的离岗日期、原因和接替人已记录。",
    )


@login_required
def member_end(request, pk):
    member = get_visible_or_404(TeamMember.objects.select_related("team__village"), request.user, pk=pk)
    require(request.user, Action.MANAGE_VILLAGE_TEAM)
    return _member_page(
        request,
        team=member.team,
        member=member,
        form=MemberEndForm(request.POST or None),
        title=f"队员离岗：{member}",
        call=lambda data: teams.end_member(user=request.user, member_id=member.pk, **data),
        success="已记录队员离岗。",
    )


@login_required
def roster_import(request):
    """导入驻村工作队花名册: all rows or none; a failing row is reported with its number and reason."""
    require(request.user, Action.MANAGE_VILLAGE_TEAM)
    form = RosterForm(request.POST or None, request.FILES or None)
    errors, row_errors, result = [], [], None
    if request.method == "POST":
        try:
            result = team_imports.import_roster(user=request.user, uploaded=request.FILES.get("file"))
        except team_imports.RosterRefused as refused:
            row_errors = refused.rows
            errors = ["花名册有错误，未导入任何一行；请按行号修改后重新上传。"]
        except ValidationError as error:
            errors = _refused(form, error)
        else:
            messages.success(request, f"已导入{result['members']}名队员（新派驻工作队{result['teams']}个）。")
            return redirect("assistance:teams")
    context = {
        "form": form,
        "errors": errors,
        "row_errors": row_errors,
        "headers": team_imports.HEADERS,
        "nav_active": "teams",
    }
    return render(request, "assistance/teams_import.html", context, status=400 if errors else 200)
