"""Strategy math on hand-built hourly series, with the arithmetic worked out by hand."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.config import load_settings
from assistant.errors import InputError
from assistant.rightsizing.history import ContainerHistory, HourPoint
from assistant.rightsizing.strategies import (
    DecayingHistogram,
    SimpleStrategy,
    VpaSettings,
    VpaStrategy,
    get_strategy,
    percentile,
)

MIB = 1024**2
T0 = datetime(2026, 11, 1)


def history(
    cpu_max: list[float],
    ram_max: list[float],
    *,
    cpu_avg: list[float] | None = None,
    oom_at: int | None = None,
    ram_limit: float | None = 512 * MIB,
) -> ContainerHistory:
    h = ContainerHistory("c1", "shop", "Deployment", "api", "api", "payments")
    for i, (c, r) in enumerate(zip(cpu_max, ram_max, strict=True)):
        avg = cpu_avg[i] if cpu_avg else c
        h.points.append(
            HourPoint(T0 + timedelta(hours=i), "api-1", 1.0, avg, c, r, r, 1 if i == oom_at else 0)
        )
    h.cpu_request, h.ram_request, h.ram_limit = 1.0, 512 * MIB, ram_limit
    return h


def test_percentile_is_linear_interpolation() -> None:
    # 1..20: position (20-1) × 0.95 = 18.05 → 19 + 0.05 × (20 - 19) = 19.05
    assert percentile([float(v) for v in range(20, 0, -1)], 95) == pytest.approx(19.05)
    assert percentile([3.0], 95) == 3.0


def test_simple_cpu_is_p95_of_hourly_maxima_and_memory_max_times_1_15() -> None:
    settings = load_settings()
    cpu = [k * 0.01 for k in range(1, 25)]  # 0.01 … 0.24 cores, 24 hours
    ram = [300 * MIB] * 23 + [400 * MIB]
    advice = SimpleStrategy(settings).advise(history(cpu, ram))
    # p95 position = 23 × 0.95 = 21.85 → 0.22 + 0.85 × 0.01 = 0.2285 → up to 229m
    assert advice.status == "ok"
    assert advice.cpu_request == 0.229
    assert advice.cpu_limit is None  # KRR simple: no CPU limit
    # 400 MiB × 1.15 = 460 MiB, request = limit
    assert advice.ram_request == 460 * MIB
    assert advice.ram_limit == 460 * MIB
    assert advice.evidence["cpu_p95_cores"] == pytest.approx(0.2285)
    assert advice.evidence["history_hours"] == 24


def test_simple_can_use_hourly_averages() -> None:
    from assistant.rightsizing.strategies import SimpleSettings

    settings = load_settings()
    strat = SimpleStrategy(settings, SimpleSettings(cpu_series="avg"))
    # averages are all 0.05 while maxima are 0.5 → p95 of averages = 0.05 = 50m
    advice = strat.advise(history([0.5] * 24, [200 * MIB] * 24, cpu_avg=[0.05] * 24))
    assert advice.cpu_request == 0.05


def test_minimums_apply() -> None:
    settings = load_settings()
    advice = SimpleStrategy(settings).advise(history([0.001] * 24, [50 * MIB] * 24))
    # 1m < 10m minimum; 50 MiB × 1.15 = 57.5 MiB < 100 Mi minimum
    assert advice.cpu_request == 0.01
    assert advice.ram_request == 100 * MIB


def test_not_enough_data_below_min_history_hours() -> None:
    settings = load_settings()
    advice = SimpleStrategy(settings).advise(history([0.2] * 23, [200 * MIB] * 23))
    assert advice.status == "not_enough_data"
    assert advice.cpu_request is None
    assert "23 h of history; need 24 h" in advice.notes[0]
    longer = load_settings(rightsizing={"min_history_hours": 12})
    assert SimpleStrategy(longer).advise(history([0.2] * 23, [200 * MIB] * 23)).status == "ok"


def test_oom_kill_raises_memory_to_limit_times_bump() -> None:
    settings = load_settings()
    # working set capped near the 512 MiB limit, one OOM kill at hour 3
    advice = SimpleStrategy(settings).advise(history([0.2] * 24, [500 * MIB] * 24, oom_at=3))
    # max × 1.15 = 575 MiB < 512 MiB × 1.2 = 614.4 MiB → up to whole MiB = 615 MiB
    assert advice.ram_request == 615 * MIB
    assert advice.ram_limit == 615 * MIB
    assert advice.evidence["oom_kills"] == 1
    assert "OOM" in advice.notes[0]


def test_vpa_constant_series_lands_at_bucket_end_times_margin() -> None:
    settings = load_settings()
    advice = VpaStrategy(settings).advise(history([0.9] * 24, [200 * MIB] * 24, cpu_avg=[0.5] * 24))
    # CPU buckets start at 0.01 × (1.05^i − 1) / 0.05 = 0.2 × (1.05^i − 1).
    # 0.5 lies in bucket 25 (0.2 × (1.05^25 − 1) = 0.4773 ≤ 0.5 < 0.2 × (1.05^26 − 1) = 0.5111);
    # p90 = end of that bucket = 0.51114 cores; × 1.15 = 0.58781 → up to 588m
    end = 0.2 * (1.05**26 - 1)
    assert 0.2 * (1.05**25 - 1) <= 0.5 < end
    assert advice.cpu_request == math.ceil(end * 1.15 * 1000) / 1000 == 0.588
    # memory buckets start at 1e7 × (1.05^i − 1) / 0.05 = 2e8 × (1.05^i − 1);
    # 200 MiB = 209715200 B lies in bucket 14 (2e8 × (1.05^14 − 1) = 195.9e6 ≤ … < 2e8 ×
    # (1.05^15 − 1) = 215.8e6); p90 = 215785640 B × 1.15 = 248153486 B → up to 237 MiB
    mem_end = 2e8 * (1.05**15 - 1)
    assert 2e8 * (1.05**14 - 1) <= 200 * MIB < mem_end
    assert advice.ram_request == math.ceil(mem_end * 1.15 / MIB) * MIB == 237 * MIB
    # 24 h = 1 day of the 7 needed for full confidence
    assert advice.confidence == pytest.approx(1 / 7)


def test_vpa_decay_lets_recent_hours_dominate() -> None:
    settings = load_settings()
    strat = VpaStrategy(settings, VpaSettings(half_life_hours=2.0))
    # 12 old hours at 2.0 cores then 12 recent hours at 0.1 cores.
    # Weights 2^(h/2): recent share = Σ_{12..23} 2^(h/2) / Σ_{0..23} 2^(h/2) ≈ 1 − 2^-6 = 0.984
    # ≥ 0.9, so p90 falls in the 0.1-core bucket (unweighted it would be the 2.0 one).
    cpu = [2.0] * 12 + [0.1] * 12
    advice = strat.advise(history(cpu, [200 * MIB] * 24, cpu_avg=cpu))
    hist = DecayingHistogram(0.01)
    b = hist.bucket_of(0.1)
    assert advice.cpu_request == math.ceil(hist.bucket_start(b + 1) * 1.15 * 1000) / 1000
    assert advice.cpu_request < 0.2
    unweighted = VpaStrategy(settings, VpaSettings(half_life_hours=1e9))
    assert unweighted.advise(history(cpu, [200 * MIB] * 24, cpu_avg=cpu)).cpu_request > 2.0


def test_unknown_strategy_names_the_choices() -> None:
    with pytest.raises(InputError, match="simple, vpa"):
        get_strategy("krr", load_settings())


@given(st.lists(st.floats(min_value=0.0, max_value=64.0), min_size=24, max_size=60))
def test_simple_never_below_minimum_and_covers_p95(cpu: list[float]) -> None:
    settings = load_settings()
    advice = SimpleStrategy(settings).advise(history(cpu, [150 * MIB] * len(cpu)))
    assert advice.cpu_request is not None
    assert advice.cpu_request >= 0.01
    assert advice.cpu_request >= percentile(cpu, 95) - 1e-9
    assert advice.cpu_request - max(percentile(cpu, 95), 0.01) < 0.001 + 1e-9


@given(st.floats(min_value=0.0, max_value=1e4))
def test_histogram_bucket_contains_value(value: float) -> None:
    hist = DecayingHistogram(0.01)
    b = hist.bucket_of(value)
    assert hist.bucket_start(b) <= value or b == 0
    assert value < hist.bucket_start(b + 1)
