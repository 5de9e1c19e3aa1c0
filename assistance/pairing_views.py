"""Pages of 结对帮扶 (docs/domain.md §9.1–§9.2): a village's pairing list, the helpers, a helper's
households and their move, and the coverage per region. Thin: the rules are in assistance/pairing.py
(through households.services.support.open_pairings) and assistance/coverage.py.

Stable element ids for the browser tests: the village page's form is #pairing-form, the 全选
checkbox #select-all (label "全选"), each household's checkbox name="households", the helper
select #id_helper (label "帮扶责任人"), the start date #id_start_date, the submit #pair-submit ("结对").
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.forms import BLANK, BootstrapMixin, apply_service_errors
from core.parsing import parse_int
from core.permissions import Action, allows
from core.regions import RegionLevel, county_of
from core.scoping import get_visible_or_404
from households.codes import HelperLevel, HouseholdStatus, MonitoringCategory
from households.models import Helper, HelperAssignment, Household
from households.quality import needs_helper_q
from households.services.support import helper_limit
from villages.models import Region

from . import coverage, pairing, pairing_imports

HELPER_CHOICES = 300  # helpers offered in a select; the name search narrows them
HELPERS_PER_PAGE = 50
MAX_ROWS = pairing.MAX_BATCH
ISO_DATE = "%Y-%m-%d"  # what <input type="date"> accepts as its value
PAIRED_CHOICES = [("", "全部"), ("no", "未结对"), ("yes", "已结对")]
MONITORED_CHOICES = [("", "全部"), ("yes", "监测对象"), ("no", "非监测对象")]
SCOPE_CHOICES = [("need", "需要帮扶责任人的农户"), ("all", "全部在册农户")]
STATUS_CHOICES = [("", "全部")] + [
    (value, label)
    for value, label in HouseholdStatus.choices
    if value in (HouseholdStatus.POOR, HouseholdStatus.EXITED, HouseholdStatus.ORDINARY, HouseholdStatus.CANDIDATE)
]


def iso_date_input():
    return forms.DateInput(format=ISO_DATE, attrs={"type": "date"})


class LimitCache:
    """Each helper's limit, one policy lookup per (level, region) on a page."""

    def __init__(self, year: int):
        self.year, self.known = year, {}

    def __call__(self, helper: Helper) -> int:
        key = (helper.level, helper.region_id)
        if key not in self.known:
            self.known[key] = helper_limit(helper, year=self.year)
        return self.known[key]


def helpers_in_scope(user, query: str = ""):
    helpers = Helper.objects.visible_to(user).annotate(
        open_count=Count("assignments", filter=Q(assignments__end_date__isnull=True))
    )
    if query:
        helpers = helpers.filter(Q(name__icontains=query) | Q(unit__icontains=query))
    return helpers.order_by("name", "id")


def helper_label(helper, limits: LimitCache) -> str:
    return (
        f"{helper.name}（{helper.unit}，{helper.get_level_display()}）"
        f"已结对{helper.open_count}户/上限{limits(helper)}户"
    )


class PairForm(BootstrapMixin, forms.Form):
    """批量结对: a helper of the scope, or a new one registered on the way; from a date."""

    helper = forms.ChoiceField(label="帮扶责任人", required=False)
    name = forms.CharField(label="或新增：姓名", max_length=50, required=False)
    unit = forms.CharField(label="工作单位", max_length=100, required=False)
    level = forms.ChoiceField(label="隶属关系", choices=BLANK + HelperLevel.choices, required=False)
    phone = forms.RegexField(
        label="联系电话", regex=r"^[0-9]{7,20}$", required=False, error_messages={"invalid": "联系电话只能是数字。"}
    )
    start_date = forms.DateField(label="结对日期", widget=iso_date_input())

    def __init__(self, *args, helpers, limits, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["helper"].choices = BLANK + [(helper.pk, helper_label(helper, limits)) for helper in helpers]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("helper") and not (cleaned.get("name") and cleaned.get("unit") and cleaned.get("level")):
            raise ValidationError("请选择帮扶责任人，或填写新增帮扶责任人的姓名、工作单位和隶属关系。")
        return cleaned


def _village_households(user, village, selected: dict):
    households = (
        Household.objects.visible_to(user)
        .filter(village=village)
        .exclude(status__in=list(pairing.UNPAIRABLE))
        .annotate(has_helper=coverage.with_current_helper())
        .prefetch_related(
            Prefetch(
                "helper_assignments",
                queryset=HelperAssignment.objects.filter(end_date__isnull=True).select_related("helper"),
                to_attr="open_pairings",
            )
        )
    )
    if selected["scope"] != "all":
        households = households.filter(needs_helper_q())
    if selected["status"]:
        households = households.filter(status=selected["status"])
    if selected["paired"]:
        households = households.filter(has_helper=selected["paired"] == "yes")
    if selected["monitored"] == "yes":
        households = households.exclude(monitoring_category="")
    elif selected["monitored"] == "no":
        households = households.filter(monitoring_category="")
    return households.order_by("household_no", "pk")


def _ticked(values) -> set[int]:
    """The household ids ticked on the page, to tick them again when it comes back with errors."""
    ticked = set()
    for value in values:
        try:
            ticked.add(parse_int(value, field="households", minimum=1, maximum=2**63 - 1))
        except ValidationError:
            continue
    return ticked


def _choice(params, name: str, choices) -> str:
    value = params.get(name, "")
    return value if value in {key for key, _ in choices} else choices[0][0]


@login_required
def village_index(request):
    """Pick a village: the coverage page of the user's region, whose village rows lead to their pairing list."""
    return redirect("assistance:coverage")


@login_required
def village_pairing(request, code):
    village = get_visible_or_404(Region.objects.filter(level=RegionLevel.VILLAGE), request.user, code=code)
    params = request.GET
    selected = {
        "scope": _choice(params, "scope", SCOPE_CHOICES),
        "status": _choice(params, "status", STATUS_CHOICES),
        "paired": _choice(params, "paired", PAIRED_CHOICES),
        "monitored": _choice(params, "monitored", MONITORED_CHOICES),
    }
    helper_query = params.get("helper_q", "").strip()[:50]
    today = timezone.localdate()
    limits = LimitCache(today.year)
    form_kwargs = {"helpers": helpers_in_scope(request.user, helper_query)[:HELPER_CHOICES], "limits": limits}
    status = 200
    checked: set[int] = set()
    if request.method == "POST":
        form = PairForm(request.POST, **form_kwargs)
        if not form.is_valid():
            # A helper posted from outside the offered list (narrowed by a search) is still one of the scope.
            form = PairForm(request.POST, helpers=helpers_in_scope(request.user), limits=limits)
        checked = _ticked(request.POST.getlist("households"))
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["helper"]:
                    result = pairing.pair_households(
                        user=request.user,
                        helper_id=data["helper"],
                        household_ids=request.POST.getlist("households"),
                        start_date=data["start_date"],
                    )
                else:
                    result = pairing.pair_with_new_helper(
                        user=request.user,
                        helper={
                            "region_code": request.user.region_id or county_of(village.code),
                            "name": data["name"],
                            "unit": data["unit"],
                            "level": data["level"],
                            "phone": data["phone"],
                        },
                        household_ids=request.POST.getlist("households"),
                        start_date=data["start_date"],
                    )
            except ValidationError as error:
                apply_service_errors(error, form)
            else:
                messages.success(request, result.message)
                query = params.urlencode()
                return redirect(f"{reverse('assistance:pairing_village', args=[village.code])}?{query}")
        status = 400
    else:
        form = PairForm(initial={"start_date": today}, **form_kwargs)
    households = list(_village_households(request.user, village, selected)[:MAX_ROWS])
    return render(
        request,
        "assistance/pairing_village.html",
        {
            "village": village,
            "households": households,
            "form": form,
            "errors": form.error_summary() if form.is_bound else [],
            "checked": checked,
            "selected": selected,
            "helper_query": helper_query,
            "filters": [
                ("scope", "范围", SCOPE_CHOICES, selected["scope"]),
                ("status", "状态", STATUS_CHOICES, selected["status"]),
                ("paired", "是否已结对", PAIRED_CHOICES, selected["paired"]),
                ("monitored", "监测对象", MONITORED_CHOICES, selected["monitored"]),
            ],
            "figure": coverage.total(request.user, village),
            "can_pair": allows(request.user, Action.PAIR_HELPER),
            "max_rows": MAX_ROWS,
            "monitoring_labels": dict(MonitoringCategory.choices),
            "nav_active": "pairing",
        },
        status=status,
    )


@login_required
def helper_list(request):
    query = request.GET.get("q", "").strip()[:50]
    level = _choice(request.GET, "level", [("", "全部"), *HelperLevel.choices])
    helpers = helpers_in_scope(request.user, query).select_related("region")
    if level:
        helpers = helpers.filter(level=level)
    page = Paginator(helpers, HELPERS_PER_PAGE).get_page(request.GET.get("page"))
    limits = LimitCache(timezone.localdate().year)
    for helper in page:
        helper.limit = limits(helper)
        helper.over = helper.open_count > helper.limit
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "assistance/pairing_helpers.html",
        {
            "page": page,
            "query": query,
            "level": level,
            "levels": HelperLevel.choices,
            "params": params.urlencode(),
            "nav_active": "helpers",
        },
    )


class MoveForm(BootstrapMixin, forms.Form):
    to_helper = forms.ChoiceField(label="调整给")
    reason = forms.CharField(label="调整原因", max_length=pairing.MAX_REASON, widget=forms.Textarea(attrs={"rows": 2}))
    date = forms.DateField(label="调整日期", widget=iso_date_input())
    move_all = forms.BooleanField(label="调整该责任人的全部农户", required=False)

    def __init__(self, *args, helpers, limits, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_helper"].choices = BLANK + [(h.pk, helper_label(h, limits)) for h in helpers]


def _helper_context(request, helper, move_form, errors=()):
    current = (
        HelperAssignment.objects.visible_to(request.user)
        .filter(helper=helper, end_date__isnull=True)
        .select_related("household", "household__village")
        .order_by("household__household_no")
    )
    ended = (
        HelperAssignment.objects.visible_to(request.user)
        .filter(helper=helper, end_date__isnull=False)
        .select_related("household")
        .order_by("-end_date", "-pk")[:50]
    )
    load = pairing.helper_load(helper)
    limit = helper_limit(helper, year=timezone.localdate().year)
    return {
        "helper": helper,
        "current": current,
        "ended": ended,
        "load": load,
        "limit": limit,
        "outside": load - current.count(),
        "move_form": move_form,
        "errors": list(errors),
        "can_pair": allows(request.user, Action.PAIR_HELPER),
        "nav_active": "helpers",
    }


def _move_form(request, helper, data=None):
    today = timezone.localdate()
    others = helpers_in_scope(request.user).exclude(pk=helper.pk)
    limits = LimitCache(today.year)
    if data is None:
        return MoveForm(initial={"date": today}, helpers=others[:HELPER_CHOICES], limits=limits)
    return MoveForm(data, helpers=others, limits=limits)


@login_required
def helper_detail(request, pk):
    helper = get_visible_or_404(Helper.objects.all(), request.user, pk=pk)
    context = _helper_context(request, helper, _move_form(request, helper))
    return render(request, "assistance/pairing_helper.html", context)


@login_required
@require_POST
def helper_move(request, pk):
    helper = get_visible_or_404(Helper.objects.all(), request.user, pk=pk)
    form = _move_form(request, helper, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = pairing.move_households(
                user=request.user,
                from_helper_id=helper.pk,
                to_helper_id=data["to_helper"],
                household_ids=None if data["move_all"] else request.POST.getlist("households"),
                reason=data["reason"],
                on=data["date"],
            )
        except ValidationError as error:
            apply_service_errors(error, form)
        else:
            messages.success(request, result.message)
            return redirect("assistance:helper_detail", pk=helper.pk)
    context = _helper_context(request, helper, form, form.error_summary())
    return render(request, "assistance/pairing_helper.html", context, status=400)


@login_required
def coverage_page(request):
    start = coverage.start_region(request.user)
    code = request.GET.get("region", "")
    region = (
        get_visible_or_404(Region.objects.all(), request.user, code=code)
        if code and code != getattr(start, "code", None)
        else start
    )
    sort = _choice(request.GET, "sort", [(key, key) for key in coverage.SORTS])
    descending = request.GET.get("desc") == "1"
    rows = coverage.coverage_rows(request.user, region, sort=sort, descending=descending) if region else []
    path = []
    node = region
    while node is not None and Region.objects.visible_to(request.user).filter(code=node.code).exists():
        path.insert(0, node)
        node = node.parent
    return render(
        request,
        "assistance/coverage.html",
        {
            "region": region,
            "path": path,
            "rows": rows,
            "figure": coverage.total(request.user, region) if region else None,
            "sort": sort,
            "descending": descending,
            "columns": [
                ("code", "区划代码"),
                ("name", "区划"),
                ("needed", "需结对户数"),
                ("covered", "已结对户数"),
                ("missing", "未结对户数"),
                ("rate", "覆盖率"),
            ],
            "can_export": allows(request.user, Action.EXPORT),
            "nav_active": "coverage",
        },
    )


class PairingImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label="结对名单（.xlsx）",
        help_text="第一行表头：帮扶责任人姓名、工作单位、隶属关系、联系电话、户编号（或户主身份证号）、结对日期",
    )


@login_required
def pairing_import(request):
    """结对名单 import: all rows or none, each problem with its row number."""
    form = PairingImportForm()
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        form = PairingImportForm(request.POST, request.FILES)
        try:
            outcome = pairing_imports.import_pairings(user=request.user, uploaded=request.FILES.get("file"))
        except ValidationError as error:
            errors = [message for messages_ in error.message_dict.values() for message in messages_]
            status = 400
        else:
            messages.success(request, outcome.message)
            return redirect("assistance:pairing_import")
    return render(
        request,
        "assistance/pairing_import.html",
        {
            "form": form,
            "errors": errors,
            "can_pair": allows(request.user, Action.PAIR_HELPER),
            "nav_active": "pairing_import",
        },
        status=status,
    )
