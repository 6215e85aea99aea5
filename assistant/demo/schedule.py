"""Turn workloads into pods on nodes, hour by hour, the way the scheduler would.

Deployments follow their replica function (HPA curves), StatefulSets and DaemonSets are
steady, Jobs and CronJobs run for their scheduled spans. A pod is placed first-fit by
requested CPU, memory and GPUs on the nodes of its pools; when its node goes away (the
spot fallback) a Deployment's pod is replaced on another node, as a ReplicaSet would.
"""

from __future__ import annotations

import calendar

from assistant.demo.ids import Ids
from assistant.demo.model import MIG_SLICES, Node, Org, Pod, Workload

__all__ = ["schedule"]

_OPEN = -1
_HEADROOM = 0.95  # kubelet/system reserve: requests may use 95% of capacity


class _Placer:
    def __init__(self, org: Org) -> None:
        self.org = org
        self.active: dict[str, list[Pod]] = {n.name: [] for n in org.nodes}

    def expire(self, hour: int) -> None:
        for pods in self.active.values():
            pods[:] = [p for p in pods if p.end == _OPEN or p.end > hour]

    def _free_gpus(self, node: Node) -> tuple[list[int], list[tuple[int, int]]]:
        used = {d for p in self.active[node.name] for d in p.gpu_devices}
        whole = [
            g for g in range(node.itype.gpus) if g not in node.mig_gpus and (g, None) not in used
        ]
        mig = [(g, k) for g in node.mig_gpus for k in range(MIG_SLICES) if (g, k) not in used]
        return whole, mig

    def place(
        self, w: Workload, hour: int, only: Node | None = None
    ) -> tuple[Node, list[tuple[int, int | None]]] | None:
        cpu = sum(c.cpu_request or 0.0 for c in w.containers)
        mem = sum(c.mem_request or 0.0 for c in w.containers)
        gpus = sum(c.gpu for c in w.containers)
        mig = any(c.gpu_resource != "nvidia_com_gpu" for c in w.containers if c.gpu)
        candidates = (
            [only]
            if only
            else [
                n
                for n in self.org.nodes
                if n.cluster == w.cluster and n.alive(hour) and (not w.pools or n.pool in w.pools)
            ]
        )
        for n in candidates:
            used_cpu = sum(
                sum(c.cpu_request or 0.0 for c in p.workload.containers)
                for p in self.active[n.name]
            )
            used_mem = sum(
                sum(c.mem_request or 0.0 for c in p.workload.containers)
                for p in self.active[n.name]
            )
            fits = only is not None or (
                used_cpu + cpu <= n.itype.vcpu * _HEADROOM
                and used_mem + mem <= n.itype.mem_gib * 1024.0**3 * _HEADROOM
            )
            if not fits:
                continue
            whole, slices = self._free_gpus(n)
            if gpus and mig:
                if len(slices) < gpus:
                    continue
                return n, [(g, k) for g, k in slices[:gpus]]
            if gpus:
                if len(whole) < gpus:
                    continue
                return n, [(g, None) for g in whole[:gpus]]
            return n, []
        return None


def _epoch_minutes(org: Org, hour: int) -> int:
    return calendar.timegm(org.at(hour).timetuple()) // 60


def schedule(org: Org, ids: Ids) -> None:
    """Fill ``org.pods``; pods that fit nowhere are recorded in ``org.warnings``."""
    placer = _Placer(org)
    live: dict[int, list[Pod]] = {id(w): [] for w in org.workloads}
    rs_hash = {id(w): ids.suffix(10) for w in org.workloads}
    H = org.hours

    def start_pod(
        w: Workload,
        hour: int,
        end: int,
        name: str,
        owner: tuple[str, str],
        only: Node | None = None,
        pvc: str | None = None,
    ) -> Pod | None:
        spot = placer.place(w, hour, only)
        if spot is None:
            org.warnings.append(f"{w.cluster}/{w.namespace}/{name}: no node fits at hour {hour}")
            return None
        node, devices = spot
        pod = Pod(
            w,
            name,
            ids.uuid(),
            node,
            hour,
            _OPEN if end == _OPEN else min(end, node.end),
            ids.pod_ip(),
            owner[0],
            owner[1],
            devices,
            pvc,
        )
        org.pods.append(pod)
        placer.active[node.name].append(pod)
        return pod

    for h in range(H):
        for p in org.pods:  # node went away: its pods end with it
            if p.end == _OPEN and p.node.end <= h:
                p.end = p.node.end
        placer.expire(h)
        for w in org.workloads:
            if h < w.start or (w.end is not None and h >= w.end):
                continue
            pods = live[id(w)]
            pods[:] = [p for p in pods if p.end == _OPEN]
            if w.kind in ("Deployment", "StatefulSet"):
                assert w.replicas is not None
                want = w.replicas(h)
                while len(pods) > want:
                    gone = pods.pop()
                    gone.end = h
                placer.expire(h)
                taken = {p.name for p in pods}
                for ordinal in range(want):
                    if len(pods) >= want:
                        break
                    if w.kind == "StatefulSet":
                        name = f"{w.name}-{ordinal}"
                        if name in taken:
                            continue
                        pod = start_pod(
                            w,
                            h,
                            _OPEN,
                            name,
                            ("StatefulSet", w.name),
                            pvc=f"data-{name}" if w.pvc_size_gib else None,
                        )
                    else:
                        rs = f"{w.name}-{rs_hash[id(w)]}"
                        pod = start_pod(w, h, _OPEN, f"{rs}-{ids.suffix()}", ("ReplicaSet", rs))
                    if pod is None:
                        break
                    pods.append(pod)
            elif w.kind == "DaemonSet":
                covered = {p.node.name for p in pods}
                for n in org.nodes:
                    if (
                        n.cluster == w.cluster
                        and n.alive(h)
                        and n.name not in covered
                        and (not w.pools or n.pool in w.pools)
                    ):
                        pod = start_pod(
                            w, h, _OPEN, f"{w.name}-{ids.suffix()}", ("DaemonSet", w.name), only=n
                        )
                        if pod:
                            pods.append(pod)
            else:
                for run_start, run_end in w.runs:
                    if run_start != h:
                        continue
                    if w.kind == "CronJob":
                        job = f"{w.name}-{_epoch_minutes(org, h)}"
                        owner = ("Job", job)
                        names = [f"{job}-{ids.suffix()}" for _ in range(w.parallelism)]
                    elif w.kind == "Job":
                        owner = ("Job", w.name)
                        names = [f"{w.name}-{ids.suffix()}" for _ in range(w.parallelism)]
                    else:
                        owner = ("<none>", "<none>")
                        names = [w.name]
                    for name in names:
                        start_pod(w, h, run_end, name, owner)
    for p in org.pods:
        if p.end == _OPEN:
            p.end = min(H, p.node.end)
    org.pods = [p for p in org.pods if p.end > p.start]
