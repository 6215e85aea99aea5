"""Per-sample usage series for a container or GPU: the numbers cAdvisor and DCGM report.

Each series is drawn from its own RNG seeded by (org seed, pod uid, container), so a
series is the same whichever file or test asks for it, and in whatever order.
"""

from __future__ import annotations

import zlib
from datetime import timedelta

import numpy as np

from assistant.demo.model import ContainerSpec, Org, Pod
from assistant.demo.profiles import traffic

__all__ = [
    "cpu_rate",
    "gpu_series",
    "memory_working_set",
    "oom_sample_indexes",
    "sample_range",
]


def _rng(org: Org, *parts: str) -> np.random.Generator:
    key = zlib.crc32("/".join(parts).encode())
    return np.random.default_rng([org.seed, key])


def sample_range(org: Org, start_h: int, end_h: int) -> range:
    """Sample indexes k (time = start + k x step) inside hours [start_h, end_h)."""
    per_h = 3600 // org.step_s
    return range(start_h * per_h, end_h * per_h)


def _traffic(org: Org, ks: range) -> np.ndarray:
    step = timedelta(seconds=org.step_s)
    return np.array([traffic(org.start + k * step) for k in ks])


def cpu_rate(org: Org, pod: Pod, c: ContainerSpec, ks: range) -> np.ndarray:
    """CPU cores used in each sample interval (the counter's slope)."""
    noise = _rng(org, pod.uid, c.name, "cpu").normal(1.0, 0.06, len(ks)).clip(0.7, 1.3)
    if c.profile == "traffic":
        level = 0.6 + 0.4 * _traffic(org, ks)
    elif c.profile == "idle":
        level = np.full(len(ks), 0.05)
    else:
        level = np.ones(len(ks))
    rate = c.cpu_use * level * noise
    if c.cpu_limit is not None:
        rate = np.minimum(rate, c.cpu_limit)
    return rate


def oom_sample_indexes(org: Org, pod: Pod, c: ContainerSpec) -> list[int]:
    """Samples at which the container is OOMKilled (every ``oom_every_h`` hours)."""
    if c.oom_every_h <= 0:
        return []
    first = pod.start + c.oom_every_h
    per_h = 3600 // org.step_s
    return [h * per_h for h in range(first, pod.end, c.oom_every_h)]


def memory_working_set(org: Org, pod: Pod, c: ContainerSpec, ks: range) -> np.ndarray:
    noise = _rng(org, pod.uid, c.name, "mem").normal(1.0, 0.02, len(ks)).clip(0.9, 1.1)
    if c.oom_every_h > 0 and c.mem_limit:
        # climbs from 80% to 100% of the limit, is killed there, and starts again
        per = c.oom_every_h * 3600 // org.step_s
        phase = (np.arange(len(ks)) % per) / per
        return c.mem_limit * (0.80 + 0.2 * phase) * np.minimum(noise, 1.0)
    ramp = np.minimum(1.0, 0.6 + np.arange(len(ks)) / max(1.0, 4 * 3600 / org.step_s))
    return c.mem_use * ramp * noise


def gpu_series(org: Org, pod: Pod | None, ks: range, key: str) -> dict[str, np.ndarray]:
    """DCGM gauges for one GPU (or MIG instance) over samples ``ks``.

    ``pod`` None is an unassigned GPU: idle at its floor power. Profiles: training runs
    hot, inference follows traffic, a notebook is busy for its first hours then idle.
    """
    n = len(ks)
    rng = _rng(org, key, pod.uid if pod else "-", "gpu")
    noise = rng.normal(0.0, 3.0, n)
    c = next((c for c in pod.workload.containers if c.gpu), None) if pod else None
    profile = c.gpu_profile if c else None
    if profile == "training":
        util = 93.0 + noise
    elif profile == "inference":
        util = 25.0 + 45.0 * _traffic(org, ks) + noise
    elif profile == "notebook" and pod is not None:
        busy = 8 * 3600 // org.step_s
        first = ks.start - pod.start * (3600 // org.step_s)
        idx = np.arange(first, first + n)
        util = np.where(idx < busy, 55.0 + noise, np.abs(noise) * 0.1)
    else:
        util = np.zeros(n)
    util = util.clip(0.0, 100.0)
    mig = bool(pod and pod.gpu_devices and pod.gpu_devices[0][1] is not None)
    fb_total = 4864.0 if mig else 40960.0
    fb = np.where(util > 1.0, fb_total * 0.7, fb_total * 0.02 if pod is None else fb_total * 0.3)
    power = 60.0 + 3.0 * util if not mig else 8.0 + 0.5 * util
    return {
        "util": util,
        "engine": util / 100.0 * 0.92,
        "fb": fb,
        "power": power,
    }
