"""GPU utilisation per GPU (or MIG instance), pod and hour from dcgm-exporter series.

Pure: series in, rows out. dcgm-exporter labels each device series with ``gpu``
(index), ``UUID``, ``modelName``, ``Hostname`` and, with its Kubernetes pod mapping on,
the ``namespace``/``pod``/``container`` using the device; MIG instances add
``GPU_I_PROFILE`` (e.g. ``1g.5gb``) and ``GPU_I_ID``.

``gpu_share`` is the fraction of a physical GPU the row's pod holds, averaged over the
hour's points: a MIG slice is its compute slices over the GPU's (``gpu_share.mig_fraction``:
``1g.5gb`` is 1/7 of an A100, ``2g.12gb`` 2/4 of an A30); a time-sliced GPU seen serving k
pods at a point gives each 1/k; both
apply together for a time-sliced MIG instance. A GPU with no pod label is idle
capacity with share 1 (or its slice). DCGM metrics are optional: no series, no rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from math import fsum
from typing import Any

from assistant.ingest.metrics.gpu_share import mig_fraction
from assistant.ingest.metrics.rows import Row, avg
from assistant.ingest.metrics.series import Grid, GridSeries

__all__ = ["gpu_rows", "mig_fraction"]

Series = Mapping[str, list[GridSeries]]
_FIELDS = {
    "DCGM_FI_DEV_GPU_UTIL": "util",
    "DCGM_FI_PROF_GR_ENGINE_ACTIVE": "engine",
    "DCGM_FI_DEV_FB_USED": "fb",
    "DCGM_FI_DEV_POWER_USAGE": "power",
}
MIB = 1024 * 1024


def _key(labels: dict[str, str]) -> tuple[str, str, str, str, str] | None:
    node = labels.get("Hostname") or labels.get("node") or labels.get("instance")
    device = labels.get("UUID") or labels.get("gpu")
    if not node or not device:
        return None
    instance = labels.get("GPU_I_ID")
    if instance not in (None, ""):
        device = f"{device}/{instance}"
    return (
        node,
        device,
        labels.get("namespace", ""),
        labels.get("pod", ""),
        labels.get("container", ""),
    )


def _pick(fields: Mapping[str, dict[int, float]], name: str, ks: list[int]) -> list[float]:
    pts = fields.get(name, {})
    return [pts[k] for k in ks if k in pts]


def gpu_rows(series: Series, grid: Grid) -> list[Row]:
    values: dict[Any, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    attrs: dict[Any, dict[str, str]] = {}
    for metric, field_name in _FIELDS.items():
        for s in series.get(metric, []):
            key = _key(s.labels)
            if key is None:
                continue
            attrs.setdefault(key, s.labels)
            values[key][field_name].update(s.points)

    # Pods seen on each device at each point, for time-slicing shares.
    pods_at: dict[tuple[str, str, int], set[tuple[str, str]]] = defaultdict(set)
    points_of: dict[Any, set[int]] = {}
    for key, fields in values.items():
        pts = {k for field_pts in fields.values() for k in field_pts if k < grid.n}
        points_of[key] = pts
        if key[3]:
            for k in pts:
                pods_at[(key[0], key[1], k)].add((key[2], key[3]))

    rows = []
    per_hour = grid.per_hour
    for key in sorted(values):
        node, device, ns, pod, container = key
        labels = attrs[key]
        model = labels.get("modelName") or None
        profile = labels.get("GPU_I_PROFILE") or None
        whole = mig_fraction(profile, model)
        by_hour: dict[int, list[int]] = defaultdict(list)
        for k in sorted(points_of[key]):
            by_hour[k // per_hour].append(k)
        fields = values[key]
        for h, ks in sorted(by_hour.items()):
            shares = [whole / max(1, len(pods_at[(node, device, k)])) if pod else whole for k in ks]

            util = _pick(fields, "util", ks)
            fb = avg(_pick(fields, "fb", ks))
            rows.append(
                {
                    "node": node,
                    "gpu": device,
                    "model": model,
                    "mig_profile": profile,
                    "gpu_share": shares[0] if len(set(shares)) == 1 else fsum(shares) / len(shares),
                    "namespace": ns or None,
                    "pod": pod or None,
                    "container": container or None,
                    "hour": grid.hour_of(h * per_hour),
                    "samples": len(ks),
                    "util_pct": avg(util),
                    "util_max_pct": max(util) if util else None,
                    "engine_active": avg(_pick(fields, "engine", ks)),
                    "fb_used_bytes": fb * MIB if fb is not None else None,
                    "power_watts": avg(_pick(fields, "power", ks)),
                }
            )
    return rows
