"""The 修改历史 of a household page: what really changed, field by field, old → new.

The rows are django-pghistory's events of the household and its members. An event's diff is
taken against the object's previous event, so it holds the fields whose stored value changed;
this module turns each into one line "字段：旧值 → 新值" in the words of the form. Personal
numbers are never shown in clear: the phone is decrypted only to be masked, the ID number is
shown through its masked column (docs/architecture.md, personal data).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pghistory.models
from cryptography.fernet import InvalidToken
from django.apps import apps
from django.db.models import Min

from core.models import User

from .idnumbers import mask_phone
from .models import Household, Member

# Bookkeeping columns and the ciphertext and hash of the ID number: never a line of their own
# (the ID number's change shows as its masked column, 证件号码).
HIDDEN_FIELDS = {
    "id",
    "household",
    "version",
    "updated_at",
    "created_at",
    "id_number",
    "id_number_hash",
    "head_name_initials",
    "warning_count",
}
LABELS = {"id_number_masked": "证件号码"}
EMPTY = "（空）"
NOT_RECORDED = "变更前的值未记录（此前为批量导入的数据）"


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    at: datetime
    subject: str
    action: str
    user: str
    reason: str
    changes: list[Change] = field(default_factory=list)
    note: str = ""

    @property
    def changed(self) -> list[str]:
        """The labels of the changed fields."""
        return [change.label for change in self.changes]


def _decrypted_phone(value) -> str:
    """The masked phone of a stored (encrypted) value; never the number in clear."""
    if not value:
        return ""
    cipher = Household._meta.get_field("phone")
    try:
        return mask_phone(cipher.f.decrypt(str(value).encode()).decode())
    except (InvalidToken, ValueError):
        return "（无法读取）"


def _shown(model, name: str, value) -> str:
    """A stored value (as JSON) in the words of the form."""
    if name == "phone":
        return _decrypted_phone(value) or EMPTY
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    model_field = model._meta.get_field(name)
    choices = dict(model_field.choices or getattr(getattr(model_field, "base_field", None), "choices", None) or [])
    if isinstance(value, list):
        return "、".join(str(choices.get(item, item)) for item in value)
    return str(choices.get(value, value))


def _label(model, name: str) -> str:
    if name in LABELS:
        return LABELS[name]
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # a column the model no longer has
        return name


def changes_of(model, diff: dict) -> list[Change]:
    """One line per field that really changed (an encrypted phone written again unchanged is not one)."""
    lines = []
    for name, (old, new) in diff.items():
        if name in HIDDEN_FIELDS:
            continue
        shown_old, shown_new = _shown(model, name, old), _shown(model, name, new)
        if name == "phone" and shown_old == shown_new and _same_phone(old, new):
            continue
        if name == "relation" and "" in (old, new):
            continue  # the value a head–spouse swap parks in, before this fix recorded too
        lines.append(Change(_label(model, name), shown_old, shown_new))
    return lines


def _same_phone(old, new) -> bool:
    cipher = Household._meta.get_field("phone")

    def clear(value):
        if not value:
            return ""
        try:
            return cipher.f.decrypt(str(value).encode()).decode()
        except (InvalidToken, ValueError):
            return value

    return clear(old) == clear(new)


def household_history(household, members, limit: int = 50) -> list[HistoryEntry]:
    """The history of a household and its members (those who left too), newest first.

    Only real changes: an event whose lines are all bookkeeping (the version, the 疑点 count) or
    an unchanged phone written again is left out. The events of one object in one pghistory
    context (one save, one approval) are one entry, each field once: its first old value → its last.
    """
    members = list(members)
    events = []
    for tracked in ([household], members):  # tracks() takes objects of one model at a time
        if tracked:
            events += pghistory.models.Events.objects.tracks(*tracked).order_by("-pgh_id")[: limit * 2]
    # Oldest first, to fold each context's events in order; the two event tables number apart.
    events.sort(key=lambda event: (event.pgh_created_at, event.pgh_model, event.pgh_id))
    # Events.pgh_context is the context's metadata: {"user": id, "url": ..., "reason": ...}.
    user_ids = {(event.pgh_context or {}).get("user") for event in events}
    usernames = dict(User.objects.filter(pk__in=[pk for pk in user_ids if pk]).values_list("pk", "username"))
    names = {str(member.pk): member.name for member in members}
    first_events = _first_events(household, members)
    entries: list[HistoryEntry] = []
    by_context: dict[tuple, HistoryEntry] = {}
    for event in events:
        is_member = event.pgh_obj_model == "households.Member"
        model = Member if is_member else Household
        metadata = event.pgh_context or {}
        entry = HistoryEntry(
            at=event.pgh_created_at,
            subject=names.get(str(event.pgh_obj_id), "成员") if is_member else "户信息",
            action="新建" if event.pgh_label == "insert" else "修改",
            user=usernames.get(metadata.get("user"), "系统"),
            reason=metadata.get("reason", ""),
        )
        if event.pgh_label != "insert":
            if event.pgh_diff is None and (event.pgh_model, event.pgh_id) in first_events:
                entry.note = NOT_RECORDED  # the first event of a row loaded without history
            else:
                entry.changes = changes_of(model, event.pgh_diff or {})
        key = (event.pgh_model, event.pgh_obj_id, event.pgh_context_id)
        earlier = by_context.get(key) if event.pgh_context_id else None
        if earlier is not None:
            _fold(earlier, entry)
        elif entry.changes or entry.note or entry.action == "新建":
            by_context[key] = entry
            entries.append(entry)
    shown = [entry for entry in entries if entry.changes or entry.note or entry.action == "新建"]
    return sorted(shown, key=lambda entry: entry.at, reverse=True)[:limit]


def _fold(entry: HistoryEntry, later: HistoryEntry) -> None:
    """Add a later event of the same object and context to `entry`: each field keeps its first old value."""
    for change in later.changes:
        same = next((known for known in entry.changes if known.label == change.label), None)
        if same is None:
            entry.changes.append(change)
        else:
            same.new = change.new
    entry.changes = [change for change in entry.changes if change.old != change.new]


def _first_events(household, members) -> set[tuple[str, int]]:
    """(event model, pgh_id) of each object's first event: an update without a diff there has no "before"."""
    first = set()
    for label, ids in (("HouseholdEvent", [household.pk]), ("MemberEvent", [member.pk for member in members])):
        if ids:
            events = apps.get_model("households", label).objects.filter(pgh_obj_id__in=ids)
            pgh_ids = events.values("pgh_obj_id").annotate(first=Min("pgh_id")).values_list("first", flat=True)
            first |= {(f"households.{label}", pgh_id) for pgh_id in pgh_ids}
    return first
