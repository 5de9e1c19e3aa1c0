"""The checks several registry writes share: causes, the family, ID numbers, duplicates, field rules.

Each raises or returns `ValidationError` messages keyed by field (`"main_cause"`,
`"members"`, `"members.2.id_number"`), in Chinese.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from core.bulk import build
from core.cleaning import BatchCleaner
from core.codes import ParameterKey
from core.errors import DuplicatePerson
from core.policy import policy_value
from core.scoping import scope_prefix
from core.text import text_errors
from villages.models import Region

from ..codes import PovertyCause, Relation
from ..fields import MEMBER_FIELDS
from ..idnumbers import id_number_hash, normalize_id_number
from ..models import Household, Member

POVERTY_CAUSE_CODES = frozenset(PovertyCause.values)  # read once: an enum's .values builds a list


def max_other_causes(year: int | None) -> int:
    return int(policy_value(ParameterKey.MAX_OTHER_CAUSES, year=year))


def validate_causes(
    main_cause: str, other_causes: list[str], *, year: int | None, limit: int | None = None
) -> dict[str, list[str]]:
    """主要致贫原因 required; 0–2 other causes (max_other_causes), distinct, not repeating the main one."""
    errors: dict[str, list[str]] = {}
    if not main_cause:
        errors["main_cause"] = ["请选择主要致贫原因。"]
    elif main_cause not in POVERTY_CAUSE_CODES:
        errors["main_cause"] = ["主要致贫原因不是有效的选项。"]
    limit = max_other_causes(year) if limit is None else limit
    problems = []
    if any(cause not in POVERTY_CAUSE_CODES for cause in other_causes):
        problems.append("其他致贫原因含有无效的选项。")
    if len(other_causes) > limit:
        problems.append(f"其他致贫原因最多选{limit}项。")
    if len(set(other_causes)) != len(other_causes):
        problems.append("其他致贫原因不能重复。")
    if main_cause and main_cause in other_causes:
        problems.append("其他致贫原因不能与主要致贫原因相同。")
    if problems:
        errors["other_causes"] = problems
    return errors


# What only a household registered as poor carries (a 一般农户 leaves them blank).
POVERTY_FIELDS = ("attribute", "main_cause", "other_causes", "identified_year")


def validate_poverty_fields(data: dict, *, ordinary: bool) -> dict[str, list[str]]:
    """A 拟识别 household needs its 贫困户属性 and 识别年度; a 一般农户 may carry none of POVERTY_FIELDS."""
    if ordinary:
        given = [field for field in POVERTY_FIELDS if data.get(field) not in (None, "", [])]
        return {field: ["一般农户不填写贫困户属性、致贫原因和识别年度。"] for field in given}
    errors = {}
    if not data.get("attribute"):
        errors["attribute"] = ["请选择贫困户属性。"]
    if data.get("identified_year") is None:
        errors["identified_year"] = ["请填写识别年度。"]
    return errors


def validate_family(members: list[dict]) -> dict[str, list[str]]:
    """Exactly one 户主 and at most one 配偶 among the members."""
    relations = [member.get("relation") for member in members]
    errors = []
    if not members:
        errors.append("至少需要一名家庭成员（户主）。")
    elif relations.count(Relation.HEAD) != 1:
        errors.append(f"户主须有且只有一人，当前为{relations.count(Relation.HEAD)}人。")
    if relations.count(Relation.SPOUSE) > 1:
        errors.append("配偶最多一人。")
    return {"members": errors} if errors else {}


def clean_id_numbers(members: list[dict], *, prefix: str = "members") -> tuple[list[str | None], dict]:
    """Normalise every member's ID number; errors keyed by row; duplicates within the form refused."""
    errors: dict[str, list[str]] = {}
    numbers: list[str | None] = []
    for index, member in enumerate(members):
        try:
            numbers.append(normalize_id_number(member.get("id_number", "")))
        except ValidationError as error:
            numbers.append(None)
            errors[f"{prefix}.{index}.id_number"] = list(error.messages)
    seen: dict[str, int] = {}
    for index, number in enumerate(numbers):
        if number is None:
            continue
        if number in seen:
            errors[f"{prefix}.{index}.id_number"] = [f"与第{seen[number] + 1}行成员的身份证号码重复。"]
        seen.setdefault(number, index)
    return numbers, errors


def duplicate_message(user, number: str, exclude_member_ids=()) -> str | None:
    """If `number` is actively registered, the Chinese message the user may see, else None.

    The township is named only if the user may see it (the scoping rule).
    """
    existing = (
        Member.objects.filter(id_number_hash=id_number_hash(number), is_active=True)
        .exclude(pk__in=list(exclude_member_ids))
        .select_related("household__village__parent")
        .first()
    )
    if existing is None:
        return None
    return registered_elsewhere_message(user, existing.household.village, existing.household.household_no)


def registered_elsewhere_message(user, village: Region, household_no: str) -> str:
    """The township is named only if the user may see it (the scoping rule)."""
    prefix = scope_prefix(user)
    if prefix is not None and village.code.startswith(prefix):
        return f"该身份证号码已在{village.parent.name}{village.name}（户编号 {household_no}）登记。"
    return "该身份证号码已在其他地区登记，请联系上级部门核实。"


def check_not_registered(user, numbers: list[str | None], *, prefix="members", exclude_member_ids=()) -> None:
    errors = {}
    for index, number in enumerate(numbers):
        if number and (message := duplicate_message(user, number, exclude_member_ids)):
            errors[f"{prefix}.{index}.id_number"] = [message]
    if errors:
        raise DuplicatePerson(errors, code="duplicate_person")


def full_clean_or_raise(instance, exclude=(), prefix="", cleaner: BatchCleaner | None = None) -> None:
    """full_clean without unique and constraint checks, errors keyed `prefix + field`.

    A batch (register_households) passes one `cleaner` for all its rows, so each distinct
    value of a plain field is cleaned once (core/cleaning.py).
    """
    # Text hygiene (core/text.py) is checked here too, so a member's error carries its prefix.
    errors = text_errors(instance, exclude=exclude)
    try:
        (cleaner or BatchCleaner()).full_clean(instance, exclude=exclude)
    except ValidationError as error:
        errors = {**errors, **error.message_dict}
    if errors:
        raise ValidationError({f"{prefix}{key}": value for key, value in errors.items()})


def build_member(
    household: Household,
    data: dict,
    number: str,
    index: int,
    cleaner: BatchCleaner | None = None,
    number_hash: str | None = None,
) -> Member:
    member = build(Member, {field: data[field] for field in MEMBER_FIELDS if field in data}, {"household": household})
    member.set_id_number(number, number_hash)
    full_clean_or_raise(member, exclude=["household", "id_number_hash"], prefix=f"members.{index}.", cleaner=cleaner)
    return member


def require_reason(reason: str) -> str:
    if not (reason or "").strip():
        raise ValidationError({"reason": ["请填写情况说明。"]})
    return reason.strip()
