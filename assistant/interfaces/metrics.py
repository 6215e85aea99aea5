"""Penny's own metrics in Prometheus text exposition format (``GET /metrics``).

Requests by route and status, request latency as a histogram, and per-user answers,
model tokens and AI cost — the numbers an operator needs to see what Penny itself costs.
Kept in-process (one server process), rendered on scrape; no client library needed.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from decimal import Decimal
from typing import Any

__all__ = ["BUCKETS", "Metrics"]

#: latency histogram bucket upper bounds, seconds
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

Labels = tuple[tuple[str, str], ...]


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    esc = [(k, v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')) for k, v in labels]
    return "{" + ",".join(f'{k}="{v}"' for k, v in esc) + "}"


def _num(value: float | int | Decimal) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    return repr(float(value)) if isinstance(value, float) else str(value)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[Labels, int] = defaultdict(int)
        self.latency_buckets: dict[Labels, list[int]] = {}
        self.latency_sum: dict[Labels, float] = defaultdict(float)
        self.latency_count: dict[Labels, int] = defaultdict(int)
        self.answers: dict[Labels, int] = defaultdict(int)
        self.tokens: dict[Labels, int] = defaultdict(int)
        self.ai_cost: dict[Labels, Decimal] = defaultdict(Decimal)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key: Labels = (("method", method), ("route", route), ("status", str(status)))
        lkey: Labels = (("route", route),)
        with self._lock:
            self.requests[key] += 1
            counts = self.latency_buckets.setdefault(lkey, [0] * len(BUCKETS))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            self.latency_sum[lkey] += seconds
            self.latency_count[lkey] += 1

    def observe_answer(self, answer: dict[str, Any], user: str, channel: str) -> None:
        """Count one answer (``Answer.model_dump(mode='json')``) for its user."""
        engine = str(answer.get("engine", "unknown"))
        usage = answer.get("usage") or {}
        with self._lock:
            self.answers[(("channel", channel), ("engine", engine), ("user", user))] += 1
            for kind in ("input", "cached_input", "output", "reasoning"):
                n = int(usage.get(f"{kind}_tokens") or 0)
                if n:
                    self.tokens[(("kind", kind), ("user", user))] += n
            if answer.get("cost") is not None:
                self.ai_cost[(("user", user),)] += Decimal(str(answer["cost"]))

    def render(self) -> str:
        out: list[str] = []
        with self._lock:
            out += [
                "# HELP penny_http_requests_total HTTP requests answered, by route and status.",
                "# TYPE penny_http_requests_total counter",
            ]
            out += [
                f"penny_http_requests_total{_labels(k)} {v}"
                for k, v in sorted(self.requests.items())
            ]
            out += [
                "# HELP penny_http_request_duration_seconds Time to answer a request "
                "(streams: until the last event).",
                "# TYPE penny_http_request_duration_seconds histogram",
            ]
            for key in sorted(self.latency_buckets):
                for bound, n in zip(BUCKETS, self.latency_buckets[key], strict=True):
                    lab = _labels((*key, ("le", _num(bound))))
                    out.append(f"penny_http_request_duration_seconds_bucket{lab} {n}")
                lab = _labels((*key, ("le", "+Inf")))
                out.append(
                    f"penny_http_request_duration_seconds_bucket{lab} {self.latency_count[key]}"
                )
                out.append(
                    f"penny_http_request_duration_seconds_sum{_labels(key)} "
                    f"{_num(self.latency_sum[key])}"
                )
                out.append(
                    f"penny_http_request_duration_seconds_count{_labels(key)} "
                    f"{self.latency_count[key]}"
                )
            out += [
                "# HELP penny_answers_total Questions answered, by channel, engine and user.",
                "# TYPE penny_answers_total counter",
            ]
            out += [f"penny_answers_total{_labels(k)} {v}" for k, v in sorted(self.answers.items())]
            out += [
                "# HELP penny_ai_tokens_total Model tokens Penny used, by kind and user.",
                "# TYPE penny_ai_tokens_total counter",
            ]
            out += [
                f"penny_ai_tokens_total{_labels(k)} {v}" for k, v in sorted(self.tokens.items())
            ]
            out += [
                "# HELP penny_ai_cost_usd_total Penny's own priced AI spend in USD, by user.",
                "# TYPE penny_ai_cost_usd_total counter",
            ]
            out += [
                f"penny_ai_cost_usd_total{_labels(k)} {_num(v)}"
                for k, v in sorted(self.ai_cost.items())
            ]
        return "\n".join(out) + "\n"
