"""The cost math specification, on OpenCost's published vectors and hand-worked cases."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.allocation.costmath import (
    GIB,
    container_quantities,
    hourly_mount_shares,
    node_resource_costs,
    prorate,
    pvc_cost_coefficients,
    ratio_split,
    split_exact,
)
from assistant.allocation.strategies import get_strategy
from assistant.errors import InputError

D = Decimal


def test_ratio_split_opencost_spec_appendix_a() -> None:
    # Source: opencost spec/opencost-specv01.md, Appendix A. A $35 node with 1 GPU, 1 CPU,
    # 1 GB RAM and base prices GPU 30 / CPU 30 / RAM 10:
    # r_c = 30/10 = 3, r_g = 30/10 = 3, M = 1·3 + 1·3 + 1 = 7, p_ram = 35/7 = 5,
    # p_cpu = 5·3 = 15, p_gpu = 5·3 = 15  ->  15 / 15 / 5.
    prices = ratio_split(
        D(35),
        cpu_cores=1,
        ram_gib=1,
        gpu_count=1,
        default_cpu=D(30),
        default_ram=D(10),
        default_gpu=D(30),
    )
    assert (prices.gpu, prices.cpu, prices.ram) == (D(15), D(15), D(5))
    parts = node_resource_costs(D(35), prices, cpu_cores=1, gpu_count=1)
    assert parts == {"cpu": D(15), "ram": D(5), "gpu": D(15)}


def test_ratio_split_node_without_capacity_has_no_unit_prices() -> None:
    prices = ratio_split(
        D(10),
        cpu_cores=0,
        ram_gib=0,
        gpu_count=0,
        default_cpu=D(3),
        default_ram=D(1),
        default_gpu=D(30),
    )
    assert (prices.cpu, prices.ram, prices.gpu) == (0, 0, 0)


def test_pvc_cost_coefficients_opencost_four_pods() -> None:
    # Source: opencost pkg/costmodel TestGetPVCCostCoefficients, "four pods w/ various
    # overlaps" over 08:00-09:00. Quarters: [pod1,pod4] [pod1] [pod1,pod2] [pod1,pod2,pod3]
    # pod1 = ¼(½ + 1 + ½ + ⅓) = 7/12 = 0.5833; pod2 = ¼(½ + ⅓) = 5/24 = 0.2083;
    # pod3 = ¼·⅓ = 1/12 = 0.0833; pod4 = ¼·½ = 1/8 = 0.125.
    def t(minute: int) -> datetime:
        return datetime(2021, 2, 19, 8, 0) + timedelta(minutes=minute)

    intervals = [
        ("pod1", t(0), t(60)),
        ("pod4", t(0), t(15)),
        ("pod2", t(30), t(60)),
        ("pod3", t(45), t(60)),
    ]
    coeff = pvc_cost_coefficients(intervals, t(0), t(60))
    assert coeff == {
        "pod1": Fraction(7, 12),
        "pod2": Fraction(5, 24),
        "pod3": Fraction(1, 12),
        "pod4": Fraction(1, 8),
    }
    rounded = {k: round(float(v), 4) for k, v in coeff.items()}
    assert rounded == {"pod1": 0.5833, "pod2": 0.2083, "pod3": 0.0833, "pod4": 0.125}
    assert sum(coeff.values()) == 1


def test_pvc_cost_coefficients_gap_goes_to_unmounted() -> None:
    # Same source, "two pods with gap": pod1 08:00-08:15, pod2 08:45-09:00 -> ¼, ¼, ½ unmounted.
    a, b, c = (datetime(2021, 2, 19, 8, m) for m in (0, 15, 45))
    end = datetime(2021, 2, 19, 9, 0)
    coeff = pvc_cost_coefficients([("pod1", a, b), ("pod2", c, end)], a, end)
    assert coeff == {
        "pod1": Fraction(1, 4),
        "pod2": Fraction(1, 4),
        "__unmounted__": Fraction(1, 2),
    }
    with pytest.raises(ValueError, match="zero duration"):
        pvc_cost_coefficients([], a, a)


def test_hourly_mount_shares_matches_even_split_for_whole_hours() -> None:
    # Two pods mounting the whole hour: ½ each (as OpenCost); one pod half the hour:
    # ½ to it and ½ unmounted; nobody: all unmounted.
    assert hourly_mount_shares({"a": 1.0, "b": 1.0}) == {"a": 0.5, "b": 0.5}
    assert hourly_mount_shares({"a": 0.5}) == {"a": 0.5, "__unmounted__": 0.5}
    assert hourly_mount_shares({}) == {"__unmounted__": 1.0}


def test_prorate_daily_line_over_24_hours_keeps_remainder() -> None:
    # $1.00 / 24 = 0.041666666667 (12 places) for 23 hours = 0.958333333341,
    # so the last hour is 1 - 0.958333333341 = 0.041666666659.
    parts = prorate(D("1.00"), 24)
    assert parts[:23] == [D("0.041666666667")] * 23
    assert parts[23] == D("0.041666666659")
    assert sum(parts) == D("1.00")


@given(st.decimals(min_value=-(10**6), max_value=10**6, places=11), st.integers(1, 800))
def test_prorate_always_sums_to_the_line(amount: Decimal, hours: int) -> None:
    assert sum(prorate(amount, hours)) == amount


def test_container_without_request_costs_its_usage() -> None:
    # max(request=0, usage=0.25) · 1 h = 0.25 core-hours; RAM max(0, 2 GiB) = 2 GiB-hours.
    q = container_quantities(
        cpu_request=None,
        cpu_usage=0.25,
        ram_request_bytes=None,
        ram_usage_bytes=2 * GIB,
        gpu_request=None,
        running_hours=1.0,
    )
    assert q == {"cpu_core_hours": 0.25, "ram_gib_hours": 2.0, "gpu_hours": 0.0}


def test_container_usage_above_request_and_half_hour() -> None:
    # usage 1.5 > request 0.5 for half an hour: 1.5 · 0.5 = 0.75 core-hours;
    # GPU billed by request: 1 · 0.5 = 0.5 GPU-hours.
    q = container_quantities(
        cpu_request=0.5,
        cpu_usage=1.5,
        ram_request_bytes=GIB,
        ram_usage_bytes=0.5 * GIB,
        gpu_request=1,
        running_hours=0.5,
    )
    assert q == {"cpu_core_hours": 0.75, "ram_gib_hours": 0.5, "gpu_hours": 0.5}


def test_share_strategies_by_name() -> None:
    # AggregateBy 4a/4b: namespace3's 18.00 over namespace1 (28) and namespace2 (36):
    # even 9/9; weighted 18·28/64 = 7.875 and 18·36/64 = 10.125.
    costs = {"namespace1": D(28), "namespace2": D(36)}
    assert get_strategy("even").split(D(18), costs) == {"namespace1": D(9), "namespace2": D(9)}
    assert get_strategy("weighted").split(D(18), costs) == {
        "namespace1": D("7.875"),
        "namespace2": D("10.125"),
    }
    with pytest.raises(InputError, match="Unknown share split"):
        get_strategy("proportional")


@given(
    st.decimals(min_value=-1000, max_value=1000, places=12),
    st.dictionaries(
        st.text(min_size=1, max_size=3),
        st.decimals(min_value=0, max_value=1000, places=6),
        min_size=1,
    ),
)
def test_split_exact_parts_sum_to_amount(amount: Decimal, weights: dict[str, Decimal]) -> None:
    assert sum(split_exact(amount, weights).values()) == amount
