"""What one GPU is: the single definition of GPU capacity and GPU shares.

Every GPU quantity Penny stores is in *physical GPUs*: ``node_hours.gpu_count`` (a
node-hour's capacity), ``container_hours.gpu_request`` (a container's share) and
``gpu_hours.gpu_share`` (a DCGM device's share). Allocation prices GPU-hours from those
columns, and the GPU tool, idle-GPU detection and rightsizing read the allocation, so a
GPU is counted the same way everywhere. The device plugin's resources become physical
GPUs here, once, at ingest:

* ``nvidia.com/gpu`` is one GPU;
* a MIG instance ``nvidia.com/mig-<N>g.<M>gb`` is N compute slices of a GPU that has 7
  (A100, H100, H200, B200) — or 4 on an A30, whose profiles carry 6 GB per slice
  (``1g.6gb``, ``2g.12gb``, ``4g.24gb``); so seven ``1g.5gb`` instances are one A100;
* time-slicing (the device plugin's ``sharing.timeSlicing.replicas``, which GPU feature
  discovery labels ``nvidia.com/gpu.replicas``) advertises each GPU ``replicas`` times, so
  on such a node every advertised unit is ``1 / replicas`` of a GPU, capacity included.

A node's GPU capacity is therefore Σ over its GPU resources of capacity × units (the
"mixed" MIG strategy reports whole GPUs and MIG instances side by side: 7 whole
``nvidia.com/gpu`` + 7 ``mig-1g.5gb`` on a p4d with one GPU split = 8 GPUs), divided by
the node's time-slicing replicas.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = [
    "GPU_RESOURCE",
    "REPLICAS_LABEL",
    "gpu_units",
    "mig_fraction",
    "mig_slices",
    "node_gpus",
]

GPU_RESOURCE = "nvidia_com_gpu"
#: GPU feature discovery's label for time-slicing replicas (kube_node_labels key)
REPLICAS_LABEL = "nvidia.com/gpu.replicas"
_MIG_RESOURCE = re.compile(r"^nvidia_com_mig_(\d+)g_(\d+)gb$")
_MIG_PROFILE = re.compile(r"^(\d+)g\.(\d+)gb")
#: an A30's 24 GB in 4 slices of 6 GB (1g.6gb, 2g.12gb, 4g.24gb); no 7-slice GPU has a
#: profile of exactly 6 GB per compute slice (A100: 1g.5gb, 3g.20gb; H100: 1g.10gb, 2g.24gb…)
_A30_GB_PER_SLICE = 6


def mig_slices(gib: int | None, compute: int | None, model: str | None = None) -> int:
    """Compute slices of the physical GPU behind a MIG profile: 4 on an A30, else 7."""
    if model and "A30" in model.upper():
        return 4
    if gib is not None and compute and gib == compute * _A30_GB_PER_SLICE:
        return 4
    return 7


def mig_fraction(profile: str | None, model: str | None = None) -> float:
    """Share of the physical GPU a MIG profile (``3g.20gb``) holds; 1.0 for a whole GPU."""
    if not profile:
        return 1.0
    m = _MIG_PROFILE.match(profile)
    if not m:
        return 1.0
    compute, gib = int(m[1]), int(m[2])
    return min(1.0, compute / mig_slices(gib, compute, model))


def gpu_units(resource: str) -> float | None:
    """Physical GPUs per unit of a (KSM-sanitised) extended resource; None if not a GPU.

    ``nvidia_com_gpu`` = 1; ``nvidia_com_mig_3g_20gb`` = 3/7; ``nvidia_com_mig_2g_12gb``
    (an A30) = 2/4. Time-slicing is a property of the node, applied by :func:`node_gpus`
    and the ingest's per-node step, not of the resource name.
    """
    if resource == GPU_RESOURCE:
        return 1.0
    m = _MIG_RESOURCE.match(resource)
    if not m:
        return None
    compute, gib = int(m[1]), int(m[2])
    return min(1.0, compute / mig_slices(gib, compute))


def node_gpus(capacity: Mapping[str, float]) -> float | None:
    """Physical GPUs of a node from its capacity per resource (None: no GPU resource).

    Before time-slicing: the ingest divides by the node's replicas once its labels are
    stored (``store.apply_time_slicing``).
    """
    total, seen = 0.0, False
    for resource, value in capacity.items():
        units = gpu_units(resource)
        if units is None:
            continue
        seen = True
        total += value * units
    return total if seen else None
