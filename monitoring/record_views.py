"""The record page's own actions: 帮扶措施 (add, end) and 修改风险和核实情况 (docs/domain.md §12.10).

A refused form comes back on the record page with what was typed and its errors beside the
fields (status 400); a done one redirects to the page with a message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.forms import FormAction, run_action
from core.permissions import Action, allows, require
from core.scoping import get_visible_or_404
from households.models import HelperAssignment

from . import measures, selectors, services
from .deadlines import monitoring_deadline
from .forms import EndMeasureForm, FindingsForm, MeasureForm
from .income import within_range

ACTIONS = {
    "measure": FormAction(
        "measure_form",
        lambda data, user, record: MeasureForm(
            data, record=record, prefix="measure", initial={"started_on": timezone.localdate()}
        ),
        lambda data, user, record: measures.add_measure(user=user, monitoring_object_id=record.pk, **data),
        "已登记帮扶措施。",
    ),
    "end_measure": FormAction(
        "end_form",
        lambda data, user, record: EndMeasureForm(data, prefix="end", initial={"ended_on": timezone.localdate()}),
        lambda data, user, record: measures.end_measure(user=user, **data),
        "已登记措施结束。",
    ),
    "findings": FormAction(
        "findings_form",
        lambda data, user, record: FindingsForm.of(record, data),
        lambda data, user, record: services.update_findings(user=user, monitoring_object_id=record.pk, **data),
        "已保存风险和核实情况。",
    ),
}
PERMISSION_OF = {
    "measure": Action.RECORD_MONITORING_MEASURE,
    "end_measure": Action.RECORD_MONITORING_MEASURE,
    "findings": Action.EDIT_MONITORING_FINDINGS,
}


def current_helpers(household_id: int) -> list[HelperAssignment]:
    """The household's 帮扶责任人 paired today (helpers stay on the household, docs/domain.md §9)."""
    today = timezone.localdate()
    return list(
        HelperAssignment.objects.filter(household_id=household_id, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("helper")
        .order_by("start_date", "pk")
    )


def record_context(user, record, bound=None) -> dict:
    """What the record page shows beside the record: measures by risk, helpers, and the forms the user may use.

    `bound` is {form name: the posted form} of a refused action, shown with its values and errors.
    """
    bound = bound or {}
    may_measure = allows(user, Action.RECORD_MONITORING_MEASURE)
    may_edit = allows(user, Action.EDIT_MONITORING_FINDINGS) and record.is_open
    forms = {}
    if may_measure and record.status in measures.MEASURE_STATUSES:
        forms["measure_form"] = ACTIONS["measure"].form(None, user, record)
    if may_edit:
        forms["findings_form"] = ACTIONS["findings"].form(None, user, record)
    forms.update(bound)
    return {
        "record": record,
        "deadline": monitoring_deadline(record),
        "within_range": within_range(record.income_per_person, record.line_amount),
        "risk_groups": measures.measures_by_risk(record),
        "helpers": current_helpers(record.household_id),
        "may_end_measure": may_measure,
        "today": timezone.localdate(),
        "nav_active": "monitoring",
        **forms,
    }


@login_required
@require_POST
def record_action(request, pk, action):
    """登记帮扶措施, 措施结束, 修改风险和核实情况 on the record page."""
    record = get_visible_or_404(selectors.monitoring_list(request.user), request.user, pk=pk)
    # A role that may not take the action is told so whatever it typed (403), as the service would.
    require(request.user, PERMISSION_OF[action])
    outcome = None
    try:
        outcome = run_action(request, ACTIONS[action], record)
    except services.StaleRecord as stale:
        messages.error(request, stale.message)
    if outcome is not None and outcome.done:
        return redirect("monitoring:detail", pk=record.pk)
    form = outcome.form if outcome is not None else ACTIONS[action].form(request.POST, request.user, record)
    if outcome is None:
        form.is_valid()  # the posted values shown again beside the stale message
    context = record_context(request.user, record, bound={ACTIONS[action].name: form})
    if action == "end_measure":
        context["end_measure_id"] = form.data.get("end-measure", "")
    return render(request, "monitoring/detail.html", context, status=400)
