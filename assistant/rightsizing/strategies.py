"""Recommendation strategies: small classes with typed settings, found by name.

Both strategies see hourly points (per pod and hour: average and maximum CPU, average
and maximum working set), because that is what the warehouse keeps.

* ``simple`` (KRR's): CPU request = p95 of the hourly CPU *maxima*, no CPU limit; memory
  request = limit = the largest hourly working-set maximum × 1.15. KRR takes p95 over raw
  samples; the hourly maximum is the largest sample in its hour, so p95 over maxima is
  never below p95 over samples — a conservative stand-in that errs towards throttling
  less, not more. Memory uses maxima because an average hides the peak that OOM-kills.
* ``vpa`` (the Vertical Pod Autoscaler's recommender): samples go into exponential
  histograms (buckets growing 5%) with weights halving every 24 h, target = p90 × 1.15.
  CPU uses hourly averages (VPA's CPU samples are usage rates), memory the hourly maxima
  (VPA records per-interval peaks). Confidence grows with the history length in days.

Shared post-processing: OOM kills in the history raise memory to at least the limit
the container was killed at × ``oom_bump``; minimums (10m CPU, 100Mi memory); CPU is
rounded up to whole millicores and memory up to whole MiB.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.errors import InputError
from assistant.rightsizing.history import ContainerHistory, HourPoint

__all__ = [
    "STRATEGIES",
    "ContainerAdvice",
    "DecayingHistogram",
    "SimpleStrategy",
    "Strategy",
    "VpaStrategy",
    "get_strategy",
    "percentile",
]

MIB = 1024 * 1024


def percentile(values: list[float], pct: float) -> float:
    """Linear-interpolation percentile (numpy's default), so numbers match KRR's."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * pct / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def round_cpu(cores: float, minimum: float) -> float:
    """Up to whole millicores, at least ``minimum``."""
    return max(math.ceil(round(cores * 1000, 6)) / 1000, minimum)


def round_memory(nbytes: float, minimum: int) -> int:
    """Up to whole MiB, at least ``minimum``."""
    return max(math.ceil(round(nbytes / MIB, 6)) * MIB, minimum)


@dataclass
class ContainerAdvice:
    """A strategy's verdict for one container; None values = leave unset."""

    status: str  # ok | not_enough_data | no_usage
    cpu_request: float | None = None
    cpu_limit: float | None = None
    ram_request: int | None = None
    ram_limit: int | None = None
    evidence: dict[str, float | int | str | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    confidence: float | None = None  # 0..1


class BaseStrategySettings(BaseModel):
    memory_buffer: float = Field(1.15, ge=1, le=3, description="Multiplier on memory")
    oom_bump: float = Field(1.2, ge=1, le=4, description="Multiplier on the OOM-kill limit")


class Strategy(ABC):
    name: ClassVar[str]
    settings_model: ClassVar[type[BaseStrategySettings]]
    description: ClassVar[str]

    def __init__(self, settings: Settings, options: BaseStrategySettings | None = None) -> None:
        self.settings = settings
        self.options = options or self.default_options(settings)

    @classmethod
    def default_options(cls, settings: Settings) -> BaseStrategySettings:
        return cls.settings_model(memory_buffer=settings.rightsizing.memory_buffer, oom_bump=1.2)

    def advise(self, hist: ContainerHistory) -> ContainerAdvice:
        rs = self.settings.rightsizing
        hours = hist.history_hours
        if hours < rs.min_history_hours:
            return ContainerAdvice(
                "not_enough_data",
                notes=[
                    f"{hours} h of history; need {rs.min_history_hours} h "
                    "(settings.rightsizing.min_history_hours)"
                ],
                evidence={"history_hours": hours},
            )
        cpu_pts = [p for p in hist.points if _cpu(p, "max") is not None]
        ram_pts = [p for p in hist.points if _ram(p, "max") is not None]
        if not cpu_pts or not ram_pts:
            return ContainerAdvice(
                "no_usage",
                notes=["no CPU or memory usage recorded"],
                evidence={"history_hours": hours},
            )
        advice = self.compute(hist, cpu_pts, ram_pts)
        advice.evidence["history_hours"] = hours
        self._apply_oom(hist, advice)
        advice.cpu_request = round_cpu(advice.cpu_request or 0.0, rs.min_cpu_cores)
        if advice.cpu_limit is not None:
            advice.cpu_limit = round_cpu(advice.cpu_limit, rs.min_cpu_cores)
        advice.ram_request = round_memory(advice.ram_request or 0, rs.min_memory_bytes)
        if advice.ram_limit is not None:
            advice.ram_limit = round_memory(advice.ram_limit, rs.min_memory_bytes)
        return advice

    def _apply_oom(self, hist: ContainerHistory, advice: ContainerAdvice) -> None:
        """An OOM kill means the real peak was above what we saw: raise to limit × bump."""
        kills = hist.oom_kills
        advice.evidence["oom_kills"] = kills
        if not kills:
            return
        killed_at = hist.ram_limit or hist.ram_request
        if not killed_at:
            advice.notes.append(f"{kills} OOM kill(s) but no memory limit known")
            return
        floor = killed_at * self.options.oom_bump
        if (advice.ram_request or 0) < floor:
            advice.notes.append(
                f"{kills} OOM kill(s) at a {killed_at / MIB:.0f}Mi limit: memory raised to "
                f"limit × {self.options.oom_bump}"
            )
            advice.ram_request = math.ceil(floor)
            if advice.ram_limit is not None:
                advice.ram_limit = max(advice.ram_limit, advice.ram_request)

    @abstractmethod
    def compute(
        self, hist: ContainerHistory, cpu_pts: list[HourPoint], ram_pts: list[HourPoint]
    ) -> ContainerAdvice: ...


def _cpu(p: HourPoint, which: str) -> float | None:
    return (
        (p.cpu_max if p.cpu_max is not None else p.cpu_avg)
        if which == "max"
        else (p.cpu_avg if p.cpu_avg is not None else p.cpu_max)
    )


def _ram(p: HourPoint, which: str) -> float | None:
    return (
        (p.ram_max if p.ram_max is not None else p.ram_avg)
        if which == "max"
        else (p.ram_avg if p.ram_avg is not None else p.ram_max)
    )


class SimpleSettings(BaseStrategySettings):
    cpu_percentile: float = Field(95.0, gt=0, le=100, description="Percentile of CPU")
    cpu_series: str = Field(
        "max", pattern="^(max|avg)$", description="Hourly series the percentile runs over"
    )


class SimpleStrategy(Strategy):
    name = "simple"
    settings_model = SimpleSettings
    description = "KRR-style: CPU p95 (no limit), memory max × 1.15 (request = limit)"

    @classmethod
    def default_options(cls, settings: Settings) -> BaseStrategySettings:
        return SimpleSettings(
            memory_buffer=settings.rightsizing.memory_buffer,
            oom_bump=1.2,
            cpu_percentile=settings.rightsizing.cpu_percentile,
            cpu_series="max",
        )

    def compute(
        self, hist: ContainerHistory, cpu_pts: list[HourPoint], ram_pts: list[HourPoint]
    ) -> ContainerAdvice:
        opts = self.options
        assert isinstance(opts, SimpleSettings)
        cpu_values = [float(_cpu(p, opts.cpu_series) or 0.0) for p in cpu_pts]
        ram_peak = max(float(_ram(p, "max") or 0.0) for p in ram_pts)
        cpu = percentile(cpu_values, opts.cpu_percentile)
        ram = ram_peak * opts.memory_buffer
        return ContainerAdvice(
            "ok",
            cpu_request=cpu,
            cpu_limit=None,
            ram_request=math.ceil(ram),
            ram_limit=math.ceil(ram),
            evidence={
                f"cpu_p{opts.cpu_percentile:g}_cores": cpu,
                "cpu_series": f"hourly {opts.cpu_series}",
                "cpu_max_cores": max(cpu_values),
                "ram_max_bytes": ram_peak,
                "memory_buffer": opts.memory_buffer,
            },
            confidence=1.0,
        )


class DecayingHistogram:
    """VPA's exponential histogram with exponentially decaying sample weights.

    Bucket i spans [start(i), start(i+1)) with start(i) = first × (ratio^i − 1)/(ratio − 1);
    a sample at time t weighs 2^((t − t0)/half_life), so recent hours count more. The
    percentile is the end of the bucket where the cumulative weight reaches it (VPA's rule).
    """

    def __init__(
        self,
        first_bucket: float,
        ratio: float = 1.05,
        max_value: float = 1e14,
        half_life_hours: float = 24.0,
    ) -> None:
        self.first = first_bucket
        self.ratio = ratio
        self.half_life = half_life_hours
        self.n_buckets = math.ceil(math.log(max_value * (ratio - 1) / first_bucket + 1, ratio)) + 1
        self.weights: dict[int, float] = {}
        self.t0: datetime | None = None

    def bucket_start(self, i: int) -> float:
        return self.first * (self.ratio**i - 1) / (self.ratio - 1)

    def bucket_of(self, value: float) -> int:
        if value < self.first:
            return 0
        i = math.floor(math.log(value * (self.ratio - 1) / self.first + 1, self.ratio))
        # float log can land one bucket off at an exact boundary
        while i + 1 < self.n_buckets and self.bucket_start(i + 1) <= value:
            i += 1
        while i > 0 and self.bucket_start(i) > value:
            i -= 1
        return min(i, self.n_buckets - 1)

    def add(self, value: float, at: datetime) -> None:
        if self.t0 is None:
            self.t0 = at
        age = (at - self.t0).total_seconds() / 3600.0
        weight = 2.0 ** (age / self.half_life)
        b = self.bucket_of(value)
        self.weights[b] = self.weights.get(b, 0.0) + weight

    def percentile(self, pct: float) -> float:
        total = sum(self.weights.values())
        if total <= 0:
            return 0.0
        threshold = total * pct / 100.0
        running = 0.0
        for b in sorted(self.weights):
            running += self.weights[b]
            if running >= threshold * (1 - 1e-12):
                return self.bucket_start(b + 1)
        return self.bucket_start(max(self.weights) + 1)


class VpaSettings(BaseStrategySettings):
    target_percentile: float = Field(90.0, gt=0, le=100)
    half_life_hours: float = Field(24.0, gt=0, description="Sample weight halves this often")
    cpu_first_bucket: float = Field(0.01, gt=0, description="Cores")
    memory_first_bucket: float = Field(1e7, gt=0, description="Bytes")
    full_confidence_days: float = Field(7.0, gt=0, description="History for confidence 1.0")


class VpaStrategy(Strategy):
    name = "vpa"
    settings_model = VpaSettings
    description = "VPA-style: decaying histograms, target p90 × 1.15, confidence from history"

    def compute(
        self, hist: ContainerHistory, cpu_pts: list[HourPoint], ram_pts: list[HourPoint]
    ) -> ContainerAdvice:
        opts = self.options
        assert isinstance(opts, VpaSettings)
        cpu_h = DecayingHistogram(opts.cpu_first_bucket, half_life_hours=opts.half_life_hours)
        ram_h = DecayingHistogram(opts.memory_first_bucket, half_life_hours=opts.half_life_hours)
        for p in sorted(cpu_pts, key=lambda x: x.hour):
            cpu_h.add(float(_cpu(p, "avg") or 0.0), p.hour)
        for p in sorted(ram_pts, key=lambda x: x.hour):
            ram_h.add(float(_ram(p, "max") or 0.0), p.hour)
        cpu_p = cpu_h.percentile(opts.target_percentile)
        ram_p = ram_h.percentile(opts.target_percentile)
        days = hist.history_hours / 24.0
        confidence = min(1.0, days / opts.full_confidence_days)
        # VPA widens its upper bound by (1 + 1/days): less history, more headroom
        upper = 1.0 + 1.0 / days
        ram = ram_p * opts.memory_buffer
        return ContainerAdvice(
            "ok",
            cpu_request=cpu_p * opts.memory_buffer,
            cpu_limit=None,
            ram_request=math.ceil(ram),
            ram_limit=math.ceil(ram),
            evidence={
                f"cpu_p{opts.target_percentile:g}_cores": cpu_p,
                f"ram_p{opts.target_percentile:g}_bytes": ram_p,
                "safety_margin": opts.memory_buffer,
                "history_days": round(days, 3),
                "upper_bound_factor": round(upper, 4),
            },
            confidence=confidence,
        )


STRATEGIES: dict[str, type[Strategy]] = {s.name: s for s in (SimpleStrategy, VpaStrategy)}


def get_strategy(name: str | None, settings: Settings) -> Strategy:
    chosen = name or settings.rightsizing.strategy
    cls = STRATEGIES.get(chosen)
    if cls is None:
        raise InputError(
            f"No rightsizing strategy named {chosen!r}.",
            hint=f"Use one of: {', '.join(sorted(STRATEGIES))}.",
            strategy=chosen,
        )
    return cls(settings)
