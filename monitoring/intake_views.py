"""Pages of the ways in (docs/domain.md §12.11): the public 农户自主申报 page, the township's queue of
leads, and the county's department lists. Thin: each calls monitoring/leads.py or departments.py."""

import tempfile

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms.utils import ErrorDict
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from core.clients import client_key
from core.downloads import private_download
from core.forms import BLANK, BootstrapMixin
from core.permissions import Action, allows
from core.regions import RegionLevel
from core.scoping import get_visible_or_404
from villages.models import Region

from . import departments, leads
from .codes import Department, DiscoveryWay, LeadStatus, RiskType
from .models import DepartmentList, MonitoringLead

PAGE_SIZE = 200
LEADS_PER_PAGE = 50
# The workflow's identification form, which takes ?lead=<id>&household=<id> and calls leads.take_lead.
IDENTIFY_URL_NAME = "assessment:monitoring_identify"


# --- 农户自主申报 (public) -----------------------------------------------------------------------


class SelfReportForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label="姓名", max_length=leads.NAME_MAX, help_text="申报人（本人或亲属）的姓名")
    phone = forms.CharField(label="联系电话", max_length=20, help_text="11位手机号码，或带区号的固定电话")
    risk_type = forms.ChoiceField(label="困难类型（可不选）", choices=BLANK + RiskType.choices, required=False)
    description = forms.CharField(
        label="遇到的困难",
        max_length=leads.DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="如：家人生病住院花费较大、因灾房屋受损、务工收入中断等",
    )
    challenge_answer = forms.CharField(label="验证题", max_length=10)
    challenge = forms.CharField(widget=forms.HiddenInput, required=False)


def report_index(request):
    """Pick 县 → 乡 → 村 by name (the region tree is public); a village leads to its report page."""
    code = request.GET.get("region", "")
    region = Region.objects.filter(code=code).exclude(level=RegionLevel.VILLAGE).first() if code else None
    children = Region.objects.filter(parent=region) if region else Region.objects.filter(parent__isnull=True)
    path = []
    node = region
    while node is not None:
        path.insert(0, node)
        node = node.parent
    return render(
        request, "monitoring/report_index.html", {"region": region, "path": path, "children": children.order_by("code")}
    )


def report_form(request, village_code):
    """The public form: a 待核实 lead in the township's queue, or the form again with the reasons."""
    village = leads.public_village(village_code)
    if village is None:
        raise Http404("未找到该行政村。")
    question, token = leads.issue_challenge(village.code)
    if request.method != "POST":
        form = SelfReportForm(initial={"challenge": token})
        return render(request, "monitoring/report.html", {"village": village, "form": form, "question": question})
    data = {name: request.POST.get(name, "") for name in SelfReportForm.base_fields}
    try:
        lead = leads.submit_self_report(
            village_code=village.code,
            name=data["name"],
            phone=data["phone"],
            description=data["description"],
            risk_type=data["risk_type"],
            challenge_token=data["challenge"],
            challenge_answer=data["challenge_answer"],
            address=client_key(request),
        )
    except ValidationError as error:
        # Typed values come back (the answer does not: a new question is asked).
        form = SelfReportForm(data={**data, "challenge_answer": "", "challenge": token})
        form.cleaned_data, form._errors = {}, ErrorDict()  # the service's reasons only, not the form's
        for field, problems in error.message_dict.items():
            target = "challenge_answer" if field == "challenge" else field
            form.add_error(target if target in form.fields else None, problems)
        status = 429 if isinstance(error, leads.ReportRateLimited) else 400
        context = {"village": village, "form": form, "question": question, "non_field": form.non_field_errors()}
        response = render(request, "monitoring/report.html", context, status=status)
        if isinstance(error, leads.ReportRateLimited):
            response["Retry-After"] = str(error.retry_after)
        return response
    return render(request, "monitoring/report_done.html", {"village": village, "reference": leads.reference_of(lead)})


# --- the township's queue -------------------------------------------------------------------------


@login_required
def lead_list(request):
    selected = {"status": request.GET.get("status", ""), "way": request.GET.get("way", "")}
    page = Paginator(leads.with_open_record(leads.lead_queue(request.user, selected)), LEADS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()  # the filters, kept in the page links
    query.pop("page", None)
    return render(
        request,
        "monitoring/leads.html",
        {
            "page": page,
            "query": query.urlencode(),
            "new_count": leads.lead_queue(request.user, {"status": LeadStatus.NEW}).count(),
            "filters": [
                ("status", "状态", LeadStatus.choices, selected["status"]),
                ("way", "来源", MonitoringLead._meta.get_field("way").choices, selected["way"]),
            ],
            "nav_active": "leads",
        },
    )


class CloseLeadForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label="不纳入理由", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


def _lead_context(request, lead, **extra):
    query = request.GET.get("q", "").strip()
    handles = allows(request.user, Action.HANDLE_LEAD) and lead.status == LeadStatus.NEW
    candidates = []
    if handles and lead.household_id:
        lead.household.open_record_id = lead.open_record_id
        candidates = [lead.household]
    elif handles and query:
        candidates = leads.households_for_lead(request.user, lead, query)
    try:
        identify_url = reverse(IDENTIFY_URL_NAME)
    except NoReverseMatch:  # the identification form is the workflow's; until it exists, no button
        identify_url = ""
    return {
        "lead": lead,
        "reference": leads.reference_of(lead) if lead.way == DiscoveryWay.SELF_REPORT else "",
        "phone": leads.masked_phone(lead),
        "reveals": leads.phone_reveals(lead)[:20],
        "handles": handles,
        "can_reveal": lead.way == DiscoveryWay.SELF_REPORT and allows(request.user, Action.HANDLE_LEAD),
        "query": query,
        "candidates": candidates,
        "identify_url": identify_url,
        "close_form": extra.pop("close_form", None) or CloseLeadForm(),
        "nav_active": "leads",
        **extra,
    }


@login_required
def lead_detail(request, pk):
    lead = get_visible_or_404(leads.with_open_record(leads.lead_queue(request.user)), request.user, pk=pk)
    return render(request, "monitoring/lead_detail.html", _lead_context(request, lead))


@login_required
@require_POST
def lead_close(request, pk):
    lead = get_visible_or_404(leads.with_open_record(leads.lead_queue(request.user)), request.user, pk=pk)
    form = CloseLeadForm(request.POST)
    try:
        leads.close_lead(user=request.user, lead_id=lead.pk, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
        context = _lead_context(request, lead, close_form=form, errors=form.error_summary())
        return render(request, "monitoring/lead_detail.html", context, status=400)
    messages.success(request, "已记录：核实后不纳入。")
    return redirect("monitoring:lead_detail", pk=lead.pk)


@login_required
@require_POST
def lead_phone(request, pk):
    """htmx: the full phone of a self-report for the township clerk; each showing recorded."""
    lead = get_visible_or_404(MonitoringLead.objects.all(), request.user, pk=pk)
    phone = leads.reveal_phone(user=request.user, lead_id=lead.pk)
    response = render(request, "monitoring/lead_phone.html", {"phone": phone})
    response["Cache-Control"] = "no-store"
    return response


# --- 部门筛查预警 (county) -------------------------------------------------------------------------


class DepartmentListForm(BootstrapMixin, forms.Form):
    department = forms.ChoiceField(label="预警部门", choices=BLANK + Department.choices)
    risk_type = forms.ChoiceField(label="风险类型", choices=BLANK + RiskType.choices)
    file = forms.FileField(label="名单文件（.xlsx）", help_text="第一行表头：姓名、身份证号，可另有“说明”列")


@login_required
def department_list_page(request):
    form = DepartmentListForm()
    status = 200
    if request.method == "POST":
        form = DepartmentListForm(request.POST, request.FILES)
        form.is_valid()
        try:
            job = departments.start_department_list(
                user=request.user,
                uploaded=request.FILES.get("file"),
                department=request.POST.get("department", ""),
                risk_type=request.POST.get("risk_type", ""),
            )
        except ValidationError as error:
            form.errors.clear()
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
            status = 400
        else:
            return redirect("monitoring:department_list_detail", pk=job.pk)
    return render(
        request,
        "monitoring/department_lists.html",
        {
            "form": form,
            "errors": form.error_summary() if form.is_bound else [],
            "can_upload": allows(request.user, Action.UPLOAD_DEPARTMENT_LIST),
            "lists": departments.department_lists(request.user)[:PAGE_SIZE],
            "nav_active": "department_lists",
        },
        status=status,
    )


@login_required
def department_list_detail(request, pk):
    job = get_visible_or_404(DepartmentList.objects.select_related("county", "user"), request.user, pk=pk)
    template = "monitoring/_department_list_status.html" if request.htmx else "monitoring/department_list_detail.html"
    return render(request, template, {"job": job, "nav_active": "department_lists"})


@login_required
def department_list_report(request, pk):
    """部门比对报告 (.xlsx): the alerts (households masked) and the unmatched rows' numbers and reasons."""
    job = get_visible_or_404(DepartmentList.objects.all(), request.user, pk=pk)
    if job.status != DepartmentList.Status.DONE:
        raise Http404("名单尚未比对完成。")
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response once sent
    departments.write_report(job, handle)
    handle.seek(0)
    return private_download(handle, f"部门比对报告-{job.get_department_display()}-{job.pk}.xlsx")
