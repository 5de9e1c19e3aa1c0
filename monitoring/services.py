"""Write paths of monitoring (docs/domain.md §12): every rule about a monitoring record lives here, once.

Scope first (a household outside the user's region is a 404), then the role (core/permissions),
then the rules, refused with `ValidationError` keyed by field, in Chinese. Each write keeps
`Household.monitoring_category` equal to the category of the household's open record, in the
same transaction, and the record's history (pghistory) says why it changed.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pghistory
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone

from core.errors import StaleEdit
from core.parsing import parse_money
from core.permissions import Action, require
from core.policy import PolicyParameterMissing
from core.scoping import get_visible_or_404
from core.text import clean_text
from households.codes import HouseholdStatus, MonitoringCategory
from households.models import Household
from households.services import refresh_warning_count

from .codes import MAX_RISK_TYPES, OPEN_STATUSES, DiscoveryWay, EliminationMode, MonitoringStatus, RiskType
from .income import assessed_income, line_for
from .models import MonitoringObject

# Which households a category admits (docs/domain.md §12.2).
CATEGORY_HOUSEHOLDS = {
    MonitoringCategory.UNSTABLE_EXITED: {HouseholdStatus.EXITED},
    MonitoringCategory.MARGINAL: {HouseholdStatus.ORDINARY},
    MonitoringCategory.SUDDEN_HARDSHIP: {HouseholdStatus.EXITED, HouseholdStatus.ORDINARY},
}
CATEGORY_REFUSALS = {
    MonitoringCategory.UNSTABLE_EXITED: "脱贫不稳定户只能是已脱贫户。",
    MonitoringCategory.MARGINAL: "边缘易致贫户只能是一般农户（从未建档立卡的农户）。",
    MonitoringCategory.SUDDEN_HARDSHIP: "突发严重困难户只能是已脱贫户或一般农户。",
}
OPEN_RECORD_REFUSAL = "该户已有识别中或监测中的监测记录，不能重复发起。"

# The moves of a record's status: an identification is decided (纳入 or not), a monitored
# household's risk is eliminated (docs/domain.md §12.6, §12.7).
TRANSITIONS = {
    MonitoringStatus.IDENTIFYING: {MonitoringStatus.MONITORED, MonitoringStatus.NOT_INCLUDED},
    MonitoringStatus.MONITORED: {MonitoringStatus.ELIMINATED},
}


def validate_risk_types(risk_types: list[str]) -> list[str]:
    """1 to MAX_RISK_TYPES distinct codes of RiskType; the problems, in Chinese."""
    problems = []
    if not risk_types:
        problems.append("请至少选择一项风险类型。")
    if len(risk_types) > MAX_RISK_TYPES:
        problems.append(f"风险类型最多选{MAX_RISK_TYPES}项。")
    if any(code not in RiskType.values for code in risk_types):
        problems.append("风险类型含有无效的选项。")
    if len(set(risk_types)) != len(risk_types):
        problems.append("风险类型不能重复。")
    return problems


def _set_household_category(household_id: int, category: str) -> None:
    """The household's category is its open record's ("" when none); its version rises (an edit in flight is stale)."""
    Household.objects.filter(pk=household_id).update(monitoring_category=category, version=F("version") + 1)
    refresh_warning_count(household_id)  # an open record needs a helper (households/quality.py helper_need)


@transaction.atomic
def start_identification(
    *,
    user,
    household_id: int,
    way: str = DiscoveryWay.CADRE_VISIT,
    discovered_on: date,
    category: str,
    risk_types: list[str],
    income_12_months: Decimal,
    compliant_costs: Decimal = Decimal(0),
    housing_unsafe: bool = False,
    child_out_of_school: bool = False,
    without_medical_insurance: bool = False,
    water_unsafe: bool = False,
    no_labour_capacity: bool = False,
    consent_signed_on: date | None = None,
    note: str = "",
    today: date | None = None,
) -> MonitoringObject:
    """入户核实 (干部排查): open a 识别中 record for a household after a visit (docs/domain.md §12.6 step 1).

    Guarantees: the household is in the user's scope (else 404) and the user may take
    START_MONITORING; the household has no open record (also the database's
    monitoring_one_open_record); 1–5 risk types; the category fits the household (脱贫不稳定户:
    an exited one, 边缘易致贫户: a 一般农户, 突发严重困难户: either); the 承诺授权书 is signed.
    The income per person and the province's line of the discovery year are stored with it.
    """
    today = today or timezone.localdate()
    household = get_visible_or_404(Household.objects.select_for_update(), user, pk=household_id)
    require(user, Action.START_MONITORING)
    errors: dict[str, list[str]] = {}
    amounts: dict[str, Decimal] = {}
    if MonitoringObject.objects.filter(household=household, status__in=OPEN_STATUSES).exists():
        errors["household"] = [OPEN_RECORD_REFUSAL]
    if category not in MonitoringCategory.values:
        errors["category"] = ["监测对象类别不是有效的选项。"]
    elif household.status not in CATEGORY_HOUSEHOLDS[category]:
        errors["category"] = [f"{CATEGORY_REFUSALS[category]}该户为{household.get_status_display()}。"]
    if way not in DiscoveryWay.values:
        errors["way"] = ["发现方式不是有效的选项。"]
    risk_types = list(risk_types or [])
    if problems := validate_risk_types(risk_types):
        errors["risk_types"] = problems
    if discovered_on > today:
        errors["discovered_on"] = ["发现日期不能晚于今天。"]
    if consent_signed_on is None:
        errors["consent_signed_on"] = ["入户核实须由农户签署承诺授权书（授权核查存款、车辆、房产等），请填写签署日期。"]
    elif consent_signed_on > today or consent_signed_on < discovered_on:
        errors["consent_signed_on"] = ["承诺授权书签署日期应在发现日期与今天之间。"]
    if household.member_count < 1:
        errors["household"] = [*errors.get("household", []), "该户没有在册成员，无法计算人均收入。"]
    for field, amount in (("income_12_months", income_12_months), ("compliant_costs", compliant_costs)):
        try:
            amounts[field] = parse_money(amount, field=field)
        except ValidationError as error:
            errors.update(error.message_dict)
    line = None
    if "discovered_on" not in errors:
        try:
            line = line_for(household.village_id, discovered_on.year)
        except PolicyParameterMissing:
            errors["discovered_on"] = [f"未找到本省{discovered_on.year}年的监测范围，请先录入。"]
    if errors:
        raise ValidationError(errors)

    record = MonitoringObject(
        household=household,
        category=category,
        risk_types=risk_types,
        status=MonitoringStatus.IDENTIFYING,
        discovery_way=way,
        discovered_on=discovered_on,
        income_12_months=amounts["income_12_months"],
        compliant_costs=amounts["compliant_costs"],
        member_count=household.member_count,
        income_per_person=assessed_income(**amounts, members=household.member_count),
        line_year=line.year,
        line_amount=line.amount,
        line_verified=line.is_verified,
        housing_unsafe=housing_unsafe,
        child_out_of_school=child_out_of_school,
        without_medical_insurance=without_medical_insurance,
        water_unsafe=water_unsafe,
        no_labour_capacity=no_labour_capacity,
        consent_signed=True,
        consent_signed_on=consent_signed_on,
        note=note,
        created_by=user,
    )
    with pghistory.context(reason=f"{DiscoveryWay(way).label}：入户核实，发起监测识别"):
        try:
            with transaction.atomic():
                record.save()
        except IntegrityError as error:  # a concurrent start for the same household won
            if "monitoring_one_open_record" not in str(error):
                raise
            raise ValidationError({"household": [OPEN_RECORD_REFUSAL]}) from error
        _set_household_category(household.pk, category)
    return record


@transaction.atomic
def apply_decision(
    *, monitoring_object_id: int, to_status: str, on: date, elimination_mode: str = "", reason: str
) -> MonitoringObject:
    """Apply a decided step to a record: 识别中 → 监测中 / 未纳入, 监测中 → 已消除风险.

    For the identification and 风险消除 workflows (assessment), whose engine has already checked
    the scope and the role of the step; nothing else calls it. A household without labour capacity
    is never eliminated (docs/domain.md §12.8); an elimination names its mode (§12.7). The
    household's category follows: kept while the record is open, cleared when it closes.
    """
    record = MonitoringObject.objects.select_for_update().get(pk=monitoring_object_id)
    if to_status not in TRANSITIONS.get(record.status, set()):
        raise ValidationError(
            {"status": [f"监测记录为{record.get_status_display()}，不能改为{MonitoringStatus(to_status).label}。"]}
        )
    if to_status == MonitoringStatus.ELIMINATED:
        if record.no_labour_capacity:
            raise ValidationError({"status": ["整户无劳动能力的监测对象不标注风险消除，继续兜底保障和监测。"]})
        if elimination_mode not in EliminationMode.values:
            raise ValidationError({"elimination_mode": ["请选择风险消除方式。"]})
        record.eliminated_on, record.elimination_mode = on, elimination_mode
    if to_status == MonitoringStatus.MONITORED:
        record.identified_on = on
    if to_status == MonitoringStatus.NOT_INCLUDED:
        record.closed_on = on
    record.status = to_status
    with pghistory.context(reason=reason):
        record.save()
        _set_household_category(record.household_id, record.category if record.is_open else "")
    return record


class StaleRecord(StaleEdit):
    """The monitoring record changed since the user loaded it (the API answers 412, a page says so)."""

    message = "该监测记录已被他人修改，请刷新页面后重新编辑。"


NOTE_MAX = 2000  # 情况说明: a paragraph or two, as the API's note field accepts


@transaction.atomic
def update_findings(
    *,
    user,
    monitoring_object_id: int,
    expected_updated_at: datetime,
    risk_types: list[str],
    housing_unsafe: bool,
    child_out_of_school: bool,
    without_medical_insurance: bool,
    water_unsafe: bool,
    no_labour_capacity: bool,
    note: str = "",
    reason: str = "",
) -> MonitoringObject:
    """Correct an open record's risks and findings (三保障, water, labour capacity, note) (docs/domain.md §12.10).

    Guarantees: the record is in scope (404) and the role may take EDIT_MONITORING_FINDINGS; the
    record is open (识别中 or 监测中); it has not changed since the user loaded it
    (`expected_updated_at`, else StaleRecord); 1–5 risk types; a risk that has a measure stays.
    The income figures, the line and the category are what the decision was judged on and are
    not edited here (new figures come with 风险消除). The history records `reason`.
    """
    record = get_visible_or_404(MonitoringObject.objects.select_for_update(), user, pk=monitoring_object_id)
    require(user, Action.EDIT_MONITORING_FINDINGS)
    if expected_updated_at is None or record.updated_at != expected_updated_at:
        raise StaleRecord()
    errors: dict[str, list[str]] = {}
    if not record.is_open:
        errors["status"] = [f"监测记录已{record.get_status_display()}，不能再修改。"]
    risk_types = list(risk_types or [])
    if problems := validate_risk_types(risk_types):
        errors["risk_types"] = problems
    else:
        answered = dict(
            record.measures.exclude(risk_type__in=risk_types).values_list("risk_type").annotate(n=Count("id"))
        )
        if answered:
            named = "、".join(f"“{RiskType(code).label}”（{n}项）" for code, n in sorted(answered.items()))
            errors["risk_types"] = [f"风险{named}已有帮扶措施，不能删除。"]
    texts = {}
    for field, value, multiline in (("note", note, True), ("reason", reason, False)):
        value = (value or "").strip()
        try:
            texts[field] = clean_text(value, field=field, multiline=multiline) if value else ""
        except ValidationError as error:
            errors.update(error.message_dict)
    if len(texts.get("note", "")) > NOTE_MAX:
        errors["note"] = [f"情况说明最多{NOTE_MAX}字。"]
    if errors:
        raise ValidationError(errors)
    record.risk_types = risk_types
    record.housing_unsafe = bool(housing_unsafe)
    record.child_out_of_school = bool(child_out_of_school)
    record.without_medical_insurance = bool(without_medical_insurance)
    record.water_unsafe = bool(water_unsafe)
    record.no_labour_capacity = bool(no_labour_capacity)
    record.note = texts["note"]
    why = f"修改风险和核实情况：{texts['reason']}" if texts["reason"] else "修改风险和核实情况"
    with pghistory.context(reason=why):
        record.save()
    return record
