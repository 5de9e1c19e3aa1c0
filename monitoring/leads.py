"""The township's queue of leads (docs/domain.md §12.11): 农户自主申报 from the public page, and what a
clerk does with a lead — start an identification from it, or close it with the reason.

A lead is never a monitoring record by itself. The public page is anonymous, so what it accepts
is bounded here, once: a signed single-use arithmetic challenge, a count per client address (the
cache) and per village (the database, which holds even while Redis is away), checked text and
lengths, a mainland phone number. Nothing the page answers says whether a person is registered.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

import pghistory
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from core.models import AccessAudit
from core.parsing import normalise_digits, parse_int
from core.permissions import Action, require
from core.regions import RegionLevel
from core.scoping import get_visible_or_404
from core.text import clean_text
from households.idnumbers import mask_phone
from households.models import Household
from households.selectors import search_condition
from villages.models import Region

from .codes import OPEN_STATUSES, DiscoveryWay, LeadStatus, RiskType
from .models import MonitoringLead, MonitoringObject

# The public form's bounds.
NAME_MAX = 20  # a person's name; the column holds 50
DESCRIPTION_MIN, DESCRIPTION_MAX = 5, 1000
# Mobile: 1[3-9] and 9 digits. Landline: area code 0 + 2–3 digits, then 7–8 digits, with or without "-".
MOBILE = re.compile(r"1[3-9][0-9]{9}")
LANDLINE = re.compile(r"0[1-9][0-9]{1,2}-?[1-9][0-9]{6,7}")

# The challenge: valid for this long, once.
CHALLENGE_SALT = "monitoring.self_report.challenge"
CHALLENGE_MAX_AGE = 30 * 60
# Reports and attempts per client address and hour (cache), reports per village and hour (database).
REPORTS_PER_ADDRESS = 5
ATTEMPTS_PER_ADDRESS = 20
REPORTS_PER_VILLAGE = 30
WINDOW_SECONDS = 3600

RATE_LIMITED = "提交过于频繁，请一小时后再试；情况紧急的，请直接联系村委会或拨打12317防返贫监测帮扶热线。"
VILLAGE_LIMITED = "本村一小时内的申报较多，请稍后再试；情况紧急的，请直接联系村委会或拨打12317防返贫监测帮扶热线。"
CHALLENGE_EXPIRED = "验证题已过期或无效，请回答新的验证题。"
CHALLENGE_USED = "该验证题已使用过，请回答新的验证题。"
CHALLENGE_WRONG = "验证题答案不正确，请回答新的验证题。"
NOT_NEW = "该线索已处理（{status}），不能再处理。"


# The ways a lead comes in (干部排查 opens a record directly): the model's choices, stated once there.
LEAD_WAYS = MonitoringLead._meta.get_field("way").choices


class ReportRateLimited(ValidationError):
    """Too many reports or attempts: the page answers 429 with the message, and Retry-After
    `retry_after` (the seconds until the counting window ends; a whole window when unknown)."""

    def __init__(self, *args, retry_after: int = WINDOW_SECONDS, **kwargs):
        super().__init__(*args, **kwargs)
        self.retry_after = max(1, min(int(retry_after), WINDOW_SECONDS))


# --- the public page ---------------------------------------------------------------------------


def public_village(village_code: str) -> Region | None:
    """The village of a public report page (the region tree is public), or None."""
    if not (isinstance(village_code, str) and len(village_code) == 12 and village_code.isascii()):
        return None
    return Region.objects.filter(code=village_code, level=RegionLevel.VILLAGE).select_related("parent__parent").first()


def _answer_digest(nonce: str, answer: int) -> str:
    return salted_hmac(CHALLENGE_SALT, f"{nonce}:{answer}").hexdigest()


def issue_challenge(village_code: str) -> tuple[str, str]:
    """A question in Chinese and its signed token: the token names the village and holds only a
    keyed digest of the answer, so reading it does not answer it."""
    left, right = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    nonce = secrets.token_urlsafe(12)
    token = signing.dumps(
        {"n": nonce, "v": village_code, "h": _answer_digest(nonce, left + right)}, salt=CHALLENGE_SALT
    )
    return f"{left} 加 {right} 等于几？", token


def check_challenge(token: str, answer, village_code: str) -> None:
    """Refuse a token that is forged, expired, of another village or already used, or a wrong answer.

    Every token is spent by its first check, right or wrong: one question, one guess. While
    Redis is away the single use cannot be recorded; the token's age and the village's limit in
    the database still bound a replay.
    """
    try:
        payload = signing.loads(token or "", salt=CHALLENGE_SALT, max_age=CHALLENGE_MAX_AGE)
    except signing.BadSignature as error:  # SignatureExpired is one
        raise ValidationError({"challenge": [CHALLENGE_EXPIRED]}) from error
    if not isinstance(payload, dict) or payload.get("v") != village_code or not isinstance(payload.get("n"), str):
        raise ValidationError({"challenge": [CHALLENGE_EXPIRED]})
    if not cache.add(f"self-report:challenge:{payload['n']}", 1, timeout=CHALLENGE_MAX_AGE) and not _cache_down():
        raise ValidationError({"challenge": [CHALLENGE_USED]})
    try:
        given = parse_int(answer, field="challenge", minimum=0, maximum=100)
    except ValidationError as error:
        raise ValidationError({"challenge": [CHALLENGE_WRONG]}) from error
    if not constant_time_compare(_answer_digest(payload["n"], given), str(payload.get("h", ""))):
        raise ValidationError({"challenge": [CHALLENGE_WRONG]})


def _cache_down() -> bool:
    return bool(getattr(cache, "is_down", False))


def _address_key(kind: str, address: str) -> str:
    # A digest, not the address: the cache holds no client address in clear.
    return f"self-report:{kind}:" + hashlib.sha256(salted_hmac("self-report", address or "-").digest()).hexdigest()[:32]


def _count(key: str) -> int:
    """Add one to a counter of the current hour; 1 when the cache cannot count."""
    if cache.add(key, 0, timeout=WINDOW_SECONDS):
        cache.set(f"{key}:until", timezone.now().timestamp() + WINDOW_SECONDS, timeout=WINDOW_SECONDS)
    try:
        return int(cache.incr(key))
    except ValueError:  # the key expired between add and incr: a new hour
        cache.set(key, 1, timeout=WINDOW_SECONDS)
        cache.set(f"{key}:until", timezone.now().timestamp() + WINDOW_SECONDS, timeout=WINDOW_SECONDS)
        return 1


def _seconds_left(key: str) -> int:
    """Seconds until the window of counter `key` ends (a whole window when the cache does not know)."""
    until = cache.get(f"{key}:until")
    if not isinstance(until, (int, float)):
        return WINDOW_SECONDS
    return int(until - timezone.now().timestamp()) + 1


def count_attempt(address: str) -> None:
    """One POST of the public form from `address`; past ATTEMPTS_PER_ADDRESS an hour, or past
    REPORTS_PER_ADDRESS reports, refused with ReportRateLimited."""
    attempts, reports = _address_key("attempts", address), _address_key("reports", address)
    if _count(attempts) > ATTEMPTS_PER_ADDRESS:
        raise ReportRateLimited(
            {NON_FIELD_ERRORS: [RATE_LIMITED]}, code="rate_limited", retry_after=_seconds_left(attempts)
        )
    if int(cache.get(reports, 0) or 0) >= REPORTS_PER_ADDRESS:
        raise ReportRateLimited(
            {NON_FIELD_ERRORS: [RATE_LIMITED]}, code="rate_limited", retry_after=_seconds_left(reports)
        )


def normalise_phone(raw) -> str:
    """An 11-digit mobile or a landline (area code with 0, "-" kept when typed); else ValidationError."""
    text = re.sub(r"[\s()（）]", "", normalise_digits(str(raw or ""))).replace("－", "-").replace("—", "-")
    if text.startswith("+86"):
        text = text[3:]
    if MOBILE.fullmatch(text) or LANDLINE.fullmatch(text):
        return text
    raise ValidationError({"phone": ["请填写11位手机号码，或带区号的固定电话（如 0930-1234567）。"]})


def _report_fields(name, phone, description, risk_type) -> dict:
    errors: dict[str, list[str]] = {}
    values = {}
    for field, value, limit, multiline in (
        ("name", name, NAME_MAX, False),
        ("description", description, DESCRIPTION_MAX, True),
    ):
        text = str(value or "").strip()
        try:
            text = clean_text(text, field=field, multiline=multiline) if text else ""
        except ValidationError as error:
            errors.update(error.message_dict)
            continue
        if not text:
            errors[field] = ["请填写姓名。" if field == "name" else "请填写遇到的困难。"]
        elif len(text) > limit:
            errors[field] = [f"最多{limit}个字（现有{len(text)}个字）。"]
        elif field == "description" and len(text) < DESCRIPTION_MIN:
            errors[field] = [f"请至少用{DESCRIPTION_MIN}个字说明遇到的困难。"]
        values[field] = text
    try:
        values["phone"] = normalise_phone(phone)
    except ValidationError as error:
        errors.update(error.message_dict)
    if risk_type and risk_type not in RiskType.values:
        errors["risk_type"] = ["困难类型不是有效的选项。"]
    values["risk_type"] = risk_type or ""
    if errors:
        raise ValidationError(errors)
    return values


def submit_self_report(
    *,
    village_code: str,
    name,
    phone,
    description,
    risk_type: str = "",
    challenge_token: str,
    challenge_answer,
    address: str,
) -> MonitoringLead:
    """农户自主申报 from the public page: a 待核实 lead in the village's township queue.

    Order: the client address's attempt count (ReportRateLimited), the challenge, the fields
    (ValidationError keyed name / phone / description / risk_type / challenge), then the
    village's count of the last hour in the database. The lead names no household: the clerk
    finds it. Nothing is looked up in the registry, so the answer never says whether the person
    is registered.
    """
    village = public_village(village_code)
    if village is None:
        raise ValidationError({"village": ["未找到该行政村。"]})
    count_attempt(address)
    check_challenge(challenge_token, challenge_answer, village.code)
    values = _report_fields(name, phone, description, risk_type)
    now = timezone.now()
    recent = MonitoringLead.objects.filter(
        way=DiscoveryWay.SELF_REPORT, village=village, created_at__gte=now - timedelta(seconds=WINDOW_SECONDS)
    )
    if recent.count() >= REPORTS_PER_VILLAGE:
        # The village may report again when the oldest report of the last hour leaves the window.
        oldest = recent.order_by("created_at").values_list("created_at", flat=True).first()
        left = (oldest - now).total_seconds() + WINDOW_SECONDS + 1 if oldest else WINDOW_SECONDS
        raise ReportRateLimited({NON_FIELD_ERRORS: [VILLAGE_LIMITED]}, code="rate_limited", retry_after=left)
    with pghistory.context(reason="农户自主申报（公开页面）"):
        lead = MonitoringLead.objects.create(
            way=DiscoveryWay.SELF_REPORT,
            village=village,
            status=LeadStatus.NEW,
            reporter_name=values["name"],
            reporter_phone=values["phone"],
            description=values["description"],
            risk_type=values["risk_type"],
        )
    _count(_address_key("reports", address))
    return lead


def reference_of(lead: MonitoringLead) -> str:
    """The reference a reporter is given (and the clerk sees): keyed on the lead, not its number,
    so it cannot be guessed or counted."""
    digest = salted_hmac("monitoring.lead.reference", str(lead.pk)).hexdigest()[:10].upper()
    return f"SB{timezone.localtime(lead.created_at):%y%m%d}-{digest[:5]}-{digest[5:]}"


def masked_phone(lead: MonitoringLead) -> str:
    return mask_phone(lead.reporter_phone.replace("-", ""))


# --- the township's queue ----------------------------------------------------------------------


def lead_queue(user, filters: dict | None = None):
    """The leads of the user's scope, filtered by status and way (unknown values: no filter)."""
    filters = filters or {}
    leads = MonitoringLead.objects.visible_to(user)
    if (status := filters.get("status")) in LeadStatus.values:
        leads = leads.filter(status=status)
    if (way := filters.get("way")) in dict(LEAD_WAYS):
        leads = leads.filter(way=way)
    return leads.select_related("village__parent", "household", "member", "department_list", "handled_by")


def _open_record_of(household_field: str) -> Subquery:
    # At most one open record per household (monitoring_one_open_record): its id, or NULL.
    records = MonitoringObject.objects.filter(household_id=OuterRef(household_field), status__in=OPEN_STATUSES)
    return Subquery(records.values("id")[:1])


def with_open_record(leads):
    """The leads annotated with `open_record_id`: the open monitoring record of the lead's household
    (None when it names none or has none). A 待核实 lead whose household is already monitored is
    not identified again: the page says so and links the record instead of offering 发起识别."""
    return leads.annotate(open_record_id=_open_record_of("household_id"))


def households_for_lead(user, lead: MonitoringLead, query: str, limit: int = 20) -> list[Household]:
    """The households of the lead's village matching `query` (the registry's search: name, initials, 户编号),
    each with `open_record_id` (see with_open_record)."""
    query = (query or "").strip()[:50]
    if not query:
        return []
    households = Household.objects.visible_to(user).filter(village_id=lead.village_id)
    households = households.filter(search_condition(query)).annotate(open_record_id=_open_record_of("pk"))
    return list(households.order_by("head_name", "id")[:limit])


def lead_for_household(*, user, lead_id: int, household_id: int) -> tuple[MonitoringLead, Household]:
    """The lead and the household an identification from it is for, after every check of take_lead
    but the record: in scope (404), the role, 待核实, and the household of the lead's village (and
    the lead's own household, for a department alert). For the identification form."""
    lead = get_visible_or_404(MonitoringLead.objects.all(), user, pk=lead_id)
    household = get_visible_or_404(Household.objects.all(), user, pk=household_id)
    require(user, Action.HANDLE_LEAD)
    _check_household(lead, household.pk, household.village_id)
    return lead, household


def _check_household(lead: MonitoringLead, household_id: int, village_id: str) -> None:
    if lead.status != LeadStatus.NEW:
        raise ValidationError({"lead": [NOT_NEW.format(status=lead.get_status_display())]})
    if lead.household_id and lead.household_id != household_id:
        raise ValidationError({"household": ["该预警线索对应的是另一户，不能用于该户的识别。"]})
    if village_id != lead.village_id:
        raise ValidationError({"household": ["所选农户不在该线索所在的村。"]})


@transaction.atomic
def take_lead(*, user, lead_id: int, monitoring_object) -> MonitoringLead:
    """An identification was started from the lead: 已发起识别, linked to its record.

    For the identification workflow, in the transaction that opened `monitoring_object`. The lead
    is in the user's scope (else 404), the user may HANDLE_LEAD, it is 待核实, and the record's
    household is of the lead's village (and is the lead's household when it names one).
    """
    lead = get_visible_or_404(MonitoringLead.objects.select_for_update(), user, pk=lead_id)
    require(user, Action.HANDLE_LEAD)
    household = monitoring_object.household
    _check_household(lead, household.pk, household.village_id)
    lead.status = LeadStatus.IDENTIFYING
    lead.monitoring_object = monitoring_object
    lead.household = household
    lead.handled_by, lead.handled_at = user, timezone.now()
    with pghistory.context(reason=f"{lead.get_way_display()}：核实后发起识别"):
        lead.save(update_fields=["status", "monitoring_object", "household", "handled_by", "handled_at"])
    return lead


@transaction.atomic
def close_lead(*, user, lead_id: int, reason: str) -> MonitoringLead:
    """核实后不纳入: the clerk closes a 待核实 lead with the reason (kept on the lead and in its history)."""
    lead = get_visible_or_404(MonitoringLead.objects.select_for_update(), user, pk=lead_id)
    require(user, Action.HANDLE_LEAD)
    if lead.status != LeadStatus.NEW:
        raise ValidationError({"lead": [NOT_NEW.format(status=lead.get_status_display())]})
    reason = clean_text(str(reason or "").strip(), field="reason", multiline=True)
    if not reason:
        raise ValidationError({"reason": ["请填写核实后不纳入的理由。"]})
    if len(reason) > 1000:
        raise ValidationError({"reason": ["理由最多1000个字。"]})
    lead.status, lead.closed_reason = LeadStatus.CLOSED, reason
    lead.handled_by, lead.handled_at = user, timezone.now()
    with pghistory.context(reason="核实后不纳入"):
        lead.save(update_fields=["status", "closed_reason", "handled_by", "handled_at"])
    return lead


def reveal_phone(*, user, lead_id: int) -> str:
    """The full phone of a self-report, for the township clerk who calls back; each showing is an
    AccessAudit row (who, when, which lead), like the registry's unmask."""
    lead = get_visible_or_404(MonitoringLead.objects.all(), user, pk=lead_id)
    require(user, Action.HANDLE_LEAD)
    AccessAudit.objects.create(
        user=user,
        action=AccessAudit.Action.UNMASK,
        object_type="monitoring_lead",
        object_id=str(lead.pk),
        detail=f"查看线索联系电话（{reference_of(lead)}）",
    )
    return lead.reporter_phone


def phone_reveals(lead: MonitoringLead):
    """Who saw the lead's full phone, and when (newest first)."""
    return AccessAudit.objects.filter(object_type="monitoring_lead", object_id=str(lead.pk)).select_related("user")
