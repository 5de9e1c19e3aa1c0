"""Excel of 结对帮扶: the coverage per village (docs/domain.md §9.1), a report of the shell's export pipeline.

Registered in fupin/exports.py; rows come through the user's scope (assistance/coverage.py); no
personal data, so no masking is needed.
"""

from django.db.models import Count, Q
from django.utils import timezone

from core.excel import Sheet
from core.regions import RegionLevel, county_of, township_of
from villages.models import Region

from .coverage import CoverageRow, households_needing_helper, with_current_helper

HEADERS = ["县", "乡镇", "村", "村代码", "需结对户数", "已结对户数", "未结对户数", "覆盖率（%）"]


def coverage_sheet(user, prefix: str, **_) -> Sheet:
    """Every village under `prefix` in the user's scope, with its coverage (0 of 0 included)."""
    counted = (
        households_needing_helper(user, prefix)
        .annotate(has_helper=with_current_helper())
        .values("village_id")
        .annotate(needed=Count("pk"), covered=Count("pk", filter=Q(has_helper=True)))
    )
    figures = {row["village_id"]: row for row in counted}
    regions = Region.objects.visible_to(user)
    regions = regions.within_prefix(prefix) if prefix else regions
    villages = list(regions.filter(level=RegionLevel.VILLAGE).order_by("code").values_list("code", "name"))
    # The names of the villages' county and township (ancestors of the scope are named too, as on every page).
    above = {county_of(code) for code, _ in villages} | {township_of(code) for code, _ in villages}
    names = dict(Region.objects.filter(code__in=above).values_list("code", "name"))

    def generate():
        for code, name in villages:
            found = figures.get(code, {})
            row = CoverageRow(code, name, RegionLevel.VILLAGE, found.get("needed", 0), found.get("covered", 0))
            yield [
                names.get(county_of(code), ""),
                names.get(township_of(code), ""),
                name,
                code,
                row.needed,
                row.covered,
                row.missing,
                "" if row.rate is None else row.rate,
            ]

    return Sheet(
        f"结对覆盖率（截至{timezone.localdate():%Y-%m-%d}）"[:31],
        HEADERS,
        generate(),
        widths={1: 16, 2: 16, 3: 16, 4: 16},
        text_columns=frozenset({4}),
    )
