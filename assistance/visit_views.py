"""Pages of the 帮扶日志 (docs/domain.md §9.6): record a visit from the household page, the log with
its filters, one visit and its scan, its correction by the recorder, the households not visited in
time. The log's Excel is a report of the export jobs (the 导出 page). Thin: every rule is in assistance/visits.py.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone

from core import attachments
from core.forms import BLANK, BootstrapMixin, apply_service_errors
from core.permissions import Action, allows, require
from core.regions import RegionLevel
from core.scoping import get_visible_or_404
from households.models import Helper, HelperAssignment, Household
from households.quality import helper_need
from villages.models import Region

from . import visits
from .models import Visit

PAGE_SIZE = 50
CHOICES_MAX = 1000  # villages or helpers offered in a filter; a larger scope types a code or an id


class VisitForm(BootstrapMixin, forms.Form):
    """Parses the page's input; assistance/visits.py decides what may be stored."""

    visited_on = forms.DateField(label="走访日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    helper = forms.ChoiceField(
        label="走访的帮扶责任人", required=False, help_text="该户当前结对的帮扶责任人；不选则记为录入人走访"
    )
    findings = forms.CharField(
        label="了解情况",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="家庭生产生活、收入、困难和诉求",
    )
    actions = forms.CharField(
        label="帮扶举措", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    follow_up = forms.CharField(
        label="后续跟进", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    attachment = forms.FileField(
        label="附件（照片或签字材料扫描件，可不传）",
        required=False,
        help_text=f"JPG、PNG 或 PDF，不超过 {attachments.max_bytes() // 2**20} MB；仅管辖范围内的用户可查看",
    )

    def __init__(self, *args, household: Household, correcting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        paired = HelperAssignment.objects.filter(household=household, end_date__isnull=True).select_related("helper")
        self.fields["helper"].choices = BLANK + [(str(pair.helper_id), str(pair.helper)) for pair in paired]
        self.fields["attachment"].widget.attrs["accept"] = "image/jpeg,image/png,application/pdf"
        if correcting:
            self.fields["attachment"].label = "替换附件（不选则保留原附件）"
            self.fields["reason"] = forms.CharField(label="更正原因", max_length=200)
            self.fields["reason"].widget.attrs["class"] = "form-control form-control-sm"

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["helper_id"] = data.pop("helper") or None
        data["upload"] = data.pop("attachment") or None
        return data


def _page_of(request, rows):
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()  # the filters, kept in the page links
    query.pop("page", None)
    return page, query.urlencode()


@login_required
def visit_new(request, pk):
    """记录走访 of one household; back to the household page when saved, the form with its reasons when not."""
    household = get_visible_or_404(Household.objects.select_related("village__parent"), request.user, pk=pk)
    require(request.user, Action.RECORD_VISIT)  # before typing a visit nobody may save
    form = VisitForm(
        request.POST or None,
        request.FILES or None,
        household=household,
        initial={"visited_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            visits.record_visit(user=request.user, household_id=household.pk, **form.service_data())
        except ValidationError as error:
            apply_service_errors(error, form)
        else:
            messages.success(request, "已记录走访。")
            return redirect("households:detail", household.pk)
    return render(
        request,
        "assistance/visit_form.html",
        {"form": form, "household": household, "nav_active": "visits"},
        status=400 if form.errors else 200,
    )


@login_required
def visit_edit(request, pk):
    """更正 a visit: only its recorder, with a reason kept in its history."""
    visit = get_visible_or_404(Visit.objects.select_related("household__village__parent"), request.user, pk=pk)
    require(request.user, Action.RECORD_VISIT)
    if visit.recorded_by_id != request.user.pk:
        raise PermissionDenied("走访记录只能由录入人更正。")
    initial = {name: getattr(visit, name) for name in ("visited_on", "findings", "actions", "follow_up")}
    form = VisitForm(
        request.POST or None,
        request.FILES or None,
        household=visit.household,
        correcting=True,
        initial={**initial, "helper": str(visit.helper_id or "")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            visits.correct_visit(user=request.user, visit_id=visit.pk, **form.service_data())
        except ValidationError as error:
            apply_service_errors(error, form)
        else:
            messages.success(request, "已更正走访记录。")
            return redirect("assistance:visit_detail", visit.pk)
    return render(
        request,
        "assistance/visit_form.html",
        {"form": form, "household": visit.household, "visit": visit, "nav_active": "visits"},
        status=400 if form.errors else 200,
    )


@login_required
def visit_detail(request, pk):
    visit = get_visible_or_404(
        Visit.objects.select_related("household__village__parent", "helper", "recorded_by"), request.user, pk=pk
    )
    return render(
        request,
        "assistance/visit_detail.html",
        {
            "visit": visit,
            "has_file": attachments.is_kept(visit.attachment),
            "corrections": visits.corrections(visit),
            "may_correct": visit.recorded_by_id == request.user.pk and allows(request.user, Action.RECORD_VISIT),
            "nav_active": "visits",
        },
    )


@login_required
def visit_attachment(request, pk):
    """The visit's scan, for a user who can see the visit (404 for anyone else, as for the visit)."""
    visit = get_visible_or_404(Visit.objects.all(), request.user, pk=pk)
    return attachments.attachment_response(visit.attachment, visit.attachment_name)


def _filter_choices(user) -> dict:
    villages = Region.objects.visible_to(user).filter(level=RegionLevel.VILLAGE).select_related("parent")
    helpers = Helper.objects.visible_to(user)
    village_rows = list(villages.order_by("code")[: CHOICES_MAX + 1])
    helper_rows = list(helpers.order_by("name", "id")[: CHOICES_MAX + 1])
    return {
        "villages": None if len(village_rows) > CHOICES_MAX else village_rows,
        "helpers": None if len(helper_rows) > CHOICES_MAX else helper_rows,
    }


@login_required
def visit_list(request):
    """帮扶日志 of the user's scope, newest first: by village, helper and date range, 50 a page."""
    selected = {name: request.GET.get(name, "").strip() for name in visits.LIST_FILTERS}
    errors = {}
    try:
        rows = visits.visit_list(request.user, selected)
    except ValidationError as error:  # a hand-edited address: the reasons, and the whole log
        errors = error.message_dict
        rows = visits.visit_list(request.user)
    page, query = _page_of(request, rows)
    return render(
        request,
        "assistance/visit_list.html",
        {
            "page": page,
            "query": query,
            "selected": selected,
            "errors": errors,
            "may_export": allows(request.user, Action.EXPORT) and bool(request.user.region_id),
            "nav_active": "visits",
            **_filter_choices(request.user),
        },
        status=400 if errors else 200,
    )


@login_required
def not_visited_list(request):
    """未按期走访: households needing a helper not visited within the interval, longest first (or shortest)."""
    region = request.GET.get("region", "").strip()
    order = request.GET.get("order", "")
    errors = {}
    try:
        rows = visits.not_visited(request.user, region_code=region or None)
    except ValidationError as error:
        errors, region = error.message_dict, ""
        rows = visits.not_visited(request.user)
    if order == "days":  # the shortest wait first, the never visited last
        rows = rows.order_by("days_since", "village_id", "id")
    rows = rows.select_related("village__parent").prefetch_related("helper_assignments__helper")
    page, query = _page_of(request, rows)
    for household in page:
        household.current_helpers = [pair.helper for pair in household.helper_assignments.all() if not pair.end_date]
        household.days = household.days_since.days if household.days_since is not None else None
        household.need = helper_need(household)
    today = timezone.localdate()
    return render(
        request,
        "assistance/visit_overdue.html",
        {
            "page": page,
            "query": query,
            "region": region,
            "order": order,
            "errors": errors,
            "interval": visits.visit_interval_days(request.user.region_id, today),
            "may_record": allows(request.user, Action.RECORD_VISIT),
            "nav_active": "not_visited",
            **_filter_choices(request.user),
        },
        status=400 if errors else 200,
    )
