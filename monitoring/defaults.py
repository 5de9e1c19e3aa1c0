"""The monitoring lines every installation starts with: the demo province's, none verified.

Values from docs/domain.md §12.3 for 甘肃 (620000, the demo province, fupin/demo): none is
confirmed for the province (§14 item 2), so every row is stored unverified and says so, for the
province to confirm or correct in the admin. 2025 and 2026 have no figure at all: they carry
2024's forward, flagged the same way, so that the range of a year never falls below the year before.
"""

from decimal import Decimal

DEMO_PROVINCE = "620000000000"
UNVERIFIED = "未核实（docs/domain.md §12.3），需经本省确认"
DEMO_PROVINCE_LINES = [
    # (year, 元 per person and year, source)
    (2021, "6000", f"约6000元（约为2020年扶贫标准4000元的1.5倍），{UNVERIFIED}"),
    (2022, "6300", f"约6300元，{UNVERIFIED}"),
    (2023, "6600", f"约6600元，{UNVERIFIED}"),
    (2024, "7100", f"约7100元，{UNVERIFIED}"),
    (2025, "7100", f"未找到该年数值，暂沿用2024年的7100元，{UNVERIFIED}"),
    (2026, "7100", f"未找到该年数值，暂沿用2024年的7100元，{UNVERIFIED}"),
]


def default_line_rows(model) -> list:
    """Unsaved `model` rows (the real or a migration's historical MonitoringLine)."""
    return [
        model(province_id=DEMO_PROVINCE, year=year, amount=Decimal(amount), source=source, is_verified=False)
        for year, amount, source in DEMO_PROVINCE_LINES
    ]


def ensure_default_lines(model=None) -> None:
    """Insert the lines that are missing; existing rows (perhaps corrected) are kept."""
    if model is None:
        # Imported here: migration 0002 imports this module and passes its historical model.
        from .models import MonitoringLine as model
    model.objects.bulk_create(default_line_rows(model), ignore_conflicts=True)
