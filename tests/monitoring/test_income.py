"""The income rule and the monitoring line (docs/domain.md §12.3), hand-computed."""

from decimal import Decimal

import pytest

from core.models import PolicyParameter
from monitoring.income import Line, assessed_income, line_for, within_range
from monitoring.models import MonitoringLine


def test_assessed_income_is_income_net_of_compliant_costs_per_person():
    # (30000 − 8000) / 4 = 5500.00
    assert assessed_income(income_12_months=Decimal("30000"), compliant_costs=Decimal("8000"), members=4) == Decimal(
        "5500.00"
    )
    # (10000 − 0) / 3 = 3333.333… → 3333.33; (10001 − 0) / 6 = 1666.8333… → 1666.83; 0.005 rounds up.
    assert assessed_income(income_12_months=Decimal("10000"), compliant_costs=Decimal("0"), members=3) == Decimal(
        "3333.33"
    )
    assert assessed_income(income_12_months=Decimal("0.01"), compliant_costs=Decimal("0"), members=2) == Decimal("0.01")
    # Costs above income: negative, not clipped.
    assert assessed_income(income_12_months=Decimal("1000"), compliant_costs=Decimal("3000"), members=2) == Decimal(
        "-1000.00"
    )
    with pytest.raises(ValueError):
        assessed_income(income_12_months=Decimal("1000"), compliant_costs=Decimal("0"), members=0)


def test_within_range_includes_the_line_itself():
    line = Line("620000000000", 2024, Decimal("7100.00"), False, "")
    assert within_range(Decimal("7100.00"), line)  # 以下 includes the figure
    assert within_range(Decimal("-5.00"), line)
    assert not within_range(Decimal("7100.01"), line)
    assert within_range(Decimal("6000"), Decimal("6000"))


@pytest.mark.django_db
def test_the_demo_province_lines_are_seeded_unverified():
    lines = {line.year: line for line in MonitoringLine.objects.filter(province_id="620000000000")}
    assert sorted(lines) == [2021, 2022, 2023, 2024, 2025, 2026]
    assert [lines[year].amount for year in (2021, 2022, 2023, 2024)] == [Decimal(v) for v in (6000, 6300, 6600, 7100)]
    assert all(not line.is_verified and "未核实" in line.source for line in lines.values())


@pytest.mark.django_db
def test_line_for_reads_the_province_row_from_any_code_inside_it():
    line = line_for("622926101201", 2023)
    assert (line.province_code, line.year, line.amount, line.is_verified) == (
        "620000000000",
        2023,
        Decimal("6600.00"),
        False,
    )
    MonitoringLine.objects.filter(province_id="620000000000", year=2023).update(is_verified=True, amount="6650")
    assert line_for("622926000000", 2023).amount == Decimal("6650.00")
    assert line_for("622926000000", 2023).is_verified


@pytest.mark.django_db
def test_without_a_row_the_line_is_the_multiplier_times_the_national_line_unverified():
    # No row for Yunnan: 1.5 × the 2020 line 4000 = 6000.00 for a year after 2020, 1.5 × 3218 for 2019.
    line = line_for("532300000000", 2023)
    assert line.amount == Decimal("6000.00") and not line.is_verified and "未核实" in line.source
    assert line_for("532300000000", 2019).amount == Decimal("4827.00")
    # The multiplier is a parameter: a province may set its own.
    PolicyParameter.objects.filter(key="MONITORING_INCOME_MULTIPLIER").update(value=Decimal("1.6"))
    assert line_for("532300000000", 2023).amount == Decimal("6400.00")


@pytest.mark.django_db
def test_the_province_corrects_a_line_in_the_admin(client):
    from tests.conftest import login
    from tests.factories import UserFactory

    admin_user = UserFactory(role="admin", region=None, is_staff=True, is_superuser=True)
    login(client, admin_user)
    line = MonitoringLine.objects.get(province_id="620000000000", year=2024)
    page = client.get("/admin/monitoring/monitoringline/")
    assert page.status_code == 200 and "620000000000" in page.content.decode()
    assert client.get(f"/admin/monitoring/monitoringline/{line.pk}/change/").status_code == 200
