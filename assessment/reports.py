"""Assessment reports for fupin/exports.py: incidence by child region and year, county ratings."""

from core.excel import Sheet
from core.regions import CHILD_LEVEL, code_of_prefix, code_prefix, level_of
from villages.models import Region

from .models import CountyRating, IncidenceRate

NO_DATA = "无数据"  # a region or county without figures: never a 0 or a grade it does not have


def incidence_report(user, prefix: str, **_) -> Sheet:
    """Every year's rate of the region and of each child region (rates as % with 4 decimals)."""
    code = code_of_prefix(prefix)
    region = Region.objects.get(pk=code)
    levels = [region.level] + ([CHILD_LEVEL[region.level]] if region.level in CHILD_LEVEL else [])
    rows = (
        IncidenceRate.objects.visible_to(user)
        .within_prefix(code_prefix(code, level_of(code)))
        .filter(region__level__in=levels)
        .select_related("region")
        .order_by("region_id", "year")
    )
    return Sheet(
        "贫困发生率",
        ["区划代码", "区划", "年度", "未脱贫户数", "未脱贫人口", "农村户籍人口", "贫困发生率（%）"],
        (
            [
                row.region_id,
                row.region.name,
                row.year,
                row.poor_households,
                row.poor_population,
                row.rural_population,
                (row.rate * 100).quantize(row.rate.__class__("0.0001")) if row.rate is not None else NO_DATA,
            ]
            for row in rows.iterator(chunk_size=2000)
        ),
    )


def ratings_report(user, prefix: str, *, year: int, **_) -> Sheet:
    rows = (
        CountyRating.objects.visible_to(user)
        .within_prefix(prefix)
        .filter(year=year)
        .select_related("county")
        .order_by("county_id", "period")
    )
    indicator_names = ["减贫成效", "精准识别", "精准帮扶", "扶贫资金"]

    def generate():
        for rating in rows:
            if rating.grade is None:
                yield [
                    rating.county.name,
                    rating.year,
                    rating.get_period_display(),
                    *[None] * len(indicator_names),
                    None,
                    NO_DATA,
                    "",
                    "",
                ]
                continue
            scores = {value["name"]: value["score"] for value in rating.indicator_values}
            yield [
                rating.county.name,
                rating.year,
                rating.get_period_display(),
                *[round(float(scores[name]), 2) if name in scores else None for name in indicator_names],
                round(float(rating.score), 2),
                rating.grade,
                rating.consequence,
                "；".join(rating.veto_reasons),
            ]

    return Sheet(
        f"{year}年县级考核评级",
        ["县", "年度", "期间", *indicator_names, "总分", "等级", "结果运用", "否决原因"],
        generate(),
    )
