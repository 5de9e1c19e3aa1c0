"""The default county rating scheme (docs/domain.md §8.2, a PROPOSAL the province edits)."""

DEFAULT_SCHEME = {
    "name": "县级脱贫攻坚考核评级（默认方案）",
    "year": None,
    "indicators": [
        {"code": "REDUCTION", "name": "减贫成效", "weight": 40},
        {"code": "IDENTIFICATION", "name": "精准识别", "weight": 20},
        {"code": "ASSISTANCE", "name": "精准帮扶", "weight": 20},
        {"code": "FUNDS", "name": "扶贫资金", "weight": 20},
    ],
    "grade_thresholds": {"A": 90, "B": 80, "C": 70},
    "quarter_weights": {"Q1": "0.2", "Q2": "0.2", "Q3": "0.2", "Q4": "0.4"},
    "veto_rules": [
        {"code": "WRONG_EXIT_RATE", "name": "错退率≥2%", "limit": "0.02"},
        {"code": "DATA_FRAUD", "name": "数据造假"},
    ],
    "consequences": {"A": "提拔使用", "B": "通报表扬", "C": "诫勉谈话", "D": "组织调整"},
    "source": "docs/domain.md §8.2（设计建议；甘肃A–D评级原文未找到，权重按20/20/20/40假设，待省里确认）",
}


def ensure_default_scheme(model=None) -> None:
    """Insert the default scheme unless an every-year scheme is active (used by migration 0002 and tests)."""
    if model is None:
        # Imported here: migration 0002 imports this module and passes its historical model.
        from .models import RatingScheme as model
    if not model.objects.filter(year__isnull=True, is_active=True).exists():
        model.objects.create(is_active=True, **DEFAULT_SCHEME)
