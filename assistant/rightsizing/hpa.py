"""HPA co-tuning: change the request and the HPA target together so scaling is unchanged.

An HPA on CPU (or memory) scales out when usage / request exceeds its target T. The
scale point in absolute units is T × R. With a new request R', the target that keeps
it is T' = T × R / R'. We clamp T' to 50–90 %: above 90 % there is no headroom before
throttling, so we keep the 90 % cap and raise the request instead (R' = T × R / 90 %),
which keeps the scale point exactly; below 50 % the HPA would hold many idle replicas,
so we use 50 % and say that the scale point moves up.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_TARGET", "MIN_TARGET", "HpaAdvice", "co_tune"]

MIN_TARGET = 50.0
MAX_TARGET = 90.0


@dataclass(frozen=True)
class HpaAdvice:
    hpa: str
    metric: str  # cpu | memory
    current_target: float  # percent
    new_target: float  # percent
    request: float  # the request to use (may be raised to keep the scale point)
    scale_point: float  # absolute: cores or bytes
    new_scale_point: float
    clamped: str | None  # None | "high" | "low"
    note: str


def co_tune(
    hpa: str, metric: str, target_pct: float, current_request: float, proposed_request: float
) -> HpaAdvice:
    """The HPA target (and possibly adjusted request) that keeps T × R constant."""
    scale_point = target_pct / 100.0 * current_request
    ideal = target_pct * current_request / proposed_request
    if ideal > MAX_TARGET:
        request = scale_point / (MAX_TARGET / 100.0)
        return HpaAdvice(
            hpa,
            metric,
            target_pct,
            MAX_TARGET,
            request,
            scale_point,
            scale_point,
            "high",
            f"target would be {ideal:.1f}% (> {MAX_TARGET:.0f}%): kept at "
            f"{MAX_TARGET:.0f}% and the request raised so the scale point stays",
        )
    if ideal < MIN_TARGET:
        new_point = MIN_TARGET / 100.0 * proposed_request
        return HpaAdvice(
            hpa,
            metric,
            target_pct,
            MIN_TARGET,
            proposed_request,
            scale_point,
            new_point,
            "low",
            f"target would be {ideal:.1f}% (< {MIN_TARGET:.0f}%): set to "
            f"{MIN_TARGET:.0f}%, so the HPA scales out later than today",
        )
    return HpaAdvice(
        hpa,
        metric,
        target_pct,
        round(ideal, 1),
        proposed_request,
        scale_point,
        round(ideal, 1) / 100.0 * proposed_request,
        None,
        f"target {target_pct:g}% → {round(ideal, 1):g}% keeps the scale point",
    )
