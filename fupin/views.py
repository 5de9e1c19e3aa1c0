from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from assessment.figures import child_region_figures, scope_figures
from assessment.selectors import todo_counts
from core import transfer
from core.db_routers import read_from_replica
from core.models import ExportJob
from core.scoping import scope_prefix
from households.poverty import current_year

from .exports import reports, request_export
from .forms import ExportForm


@login_required
@read_from_replica()
def home(request):
    """The role-aware home page: 我的待办, the figures of the user's scope and of its child regions."""
    region = request.user.region
    year = current_year()
    return render(
        request,
        "fupin/home.html",
        {
            "region": region,
            "todos": todo_counts(request.user, timezone.localdate()),
            "summary": scope_figures(request.user, year),
            "children": child_region_figures(region, year) if region or scope_prefix(request.user) == "" else [],
        },
    )


@login_required
def exports(request):
    """导出: request a report for a region of my scope, and my jobs with progress and download links."""
    form = ExportForm(request.POST or None, user=request.user)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            job = request_export(user=request.user, **form.cleaned_data)
            messages.success(request, f"已提交导出任务 #{job.pk}，完成后可在下方下载。")
            return redirect("exports")
        except ValidationError as error:
            errors = [message for messages_ in error.message_dict.values() for message in messages_]
    jobs = ExportJob.objects.filter(user=request.user)[:30]
    template = "fupin/_export_jobs.html" if request.htmx else "fupin/exports.html"
    return render(
        request,
        template,
        {
            "form": form,
            "errors": errors,
            "jobs": jobs,
            "labels": {code: report.label for code, report in reports().items()},
            "running": any(job.status in ("PENDING", "RUNNING") for job in jobs),
            "nav_active": "exports",
        },
        status=400 if errors or form.errors else 200,
    )


@login_required
def export_download(request, pk):
    """The finished file of one of my jobs (never another user's)."""
    job = ExportJob.objects.filter(pk=pk, user=request.user).first()
    if job is None:
        raise Http404("文件不存在或尚未生成。")
    return transfer.download(job, filename=job.file_name, missing="文件不存在或尚未生成。")
