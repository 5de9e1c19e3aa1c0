"""Excel of the 帮扶日志 (docs/domain.md §9.6): one row per visit, a report of the shell's export jobs.

Scoped at request and at run (fupin/exports.py): the rows come through the user's visible visits
under the job's region, with the log's filters (helper, date range) checked by visit_list. The log
holds no ID number or phone, so there is no full variant.
"""

from django.core.exceptions import ValidationError
from django.utils import timezone

from core.excel import Sheet

from . import visits

CHUNK = 5000
FILTERS = ("helper", "date_from", "date_to")
HEADERS = [
    "县",
    "乡镇",
    "村",
    "户编号",
    "户主姓名",
    "走访日期",
    "帮扶责任人",
    "帮扶责任人工作单位",
    "了解情况",
    "帮扶举措",
    "后续跟进",
    "附件",
    "录入人",
    "录入时间",
]


def check_visit_filters(filters: dict) -> dict:
    """The log's filters for an export (helper, date_from, date_to), checked at request; refused keyed by name."""
    unknown = sorted(set(filters) - set(FILTERS))
    if unknown:
        raise ValidationError({"filters": [f"不支持的筛选条件：{'、'.join(unknown)}。"]})
    parsed = visits.parse_list_filters(filters)
    return {name: value.isoformat() if hasattr(value, "isoformat") else str(value) for name, value in parsed.items()}


def _visits(user, prefix: str, filters: dict | None):
    return visits.visit_list(user, filters or {}).within_prefix(prefix) if prefix else visits.visit_list(user, filters)


def visit_log(user, prefix: str, *, filters: dict | None = None, **_) -> Sheet:
    """帮扶日志: every visit under `prefix` the user may see, oldest village first, newest visit first."""
    rows = (
        _visits(user, prefix, filters)
        .order_by("household__village_id", "household_id", "-visited_on", "-id")
        .values_list(
            "household__village__parent__parent__name",
            "household__village__parent__name",
            "household__village__name",
            "household__household_no",
            "household__head_name",
            "visited_on",
            "helper__name",
            "helper__unit",
            "findings",
            "actions",
            "follow_up",
            "attachment_name",
            "recorded_by__username",
            "created_at",
        )
    )

    def generate():
        for values in rows.iterator(chunk_size=CHUNK):
            *head, attachment, recorder, created = values
            yield [
                *(value if value is not None else "" for value in head),
                attachment or "",
                recorder or "",
                timezone.localtime(created).replace(tzinfo=None) if created else "",
            ]

    return Sheet("帮扶日志", HEADERS, generate(), widths={4: 22, 9: 40, 10: 40, 11: 30, 14: 18}, wrap=True)


def visit_count(user, prefix: str) -> int:
    return _visits(user, prefix, None).count()
