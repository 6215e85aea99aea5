"""The simulated organisation: who runs what, on which nodes, and what was planted.

``build_org(end, scale=..., seed=...)`` returns an :class:`Org` whose pods are already
scheduled onto nodes (:mod:`assistant.demo.schedule`). The calendar: ``start`` is the 1st
of the month two months before ``end``; M1 and M2 are full months, M3 runs to ``end``.
The planted bill drivers all sit in M2 (the last full month, compared with M1):

* ``new_gpu_job``      llm-finetune, a new 8-GPU Job on its own p4d.24xlarge for 5 days
* ``replica_scale_up`` checkout-api's HPA minReplicas 3 -> 6, and one more general node
* ``spot_fallback``    the batch pool's 3 spot nodes replaced by on-demand for 5 days
* ``savings_plan``     a Compute Savings Plan covering the general pool from day 15
* ``credit``           a $500 promotional credit on day 20

plus anomaly spikes (a one-day data-backfill on its own nodes in M2, an egress surge
six days before ``end``), rightsizing targets (search-api, ledger-worker, catalog-api,
report-builder's OOMKills) and an idle GPU notebook.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

from assistant.demo.catalog import INSTANCE_TYPES
from assistant.demo.ids import Ids
from assistant.demo.model import (
    MIB,
    Cluster,
    ContainerSpec,
    Hpa,
    Node,
    Org,
    Workload,
)
from assistant.demo.profiles import hpa_replicas
from assistant.errors import InputError

__all__ = ["PROD", "SCALES", "STAGING", "build_org", "demo_start"]

PROD = "prod-use1"
STAGING = "staging-use1"

#: sample interval, HPA swing and whether DaemonSets run, per scale; every planted fact
#: exists at both scales (small exists so test fixtures build in seconds)
SCALES: dict[str, dict[str, int]] = {
    "default": {"step_s": 3600, "web_span": 9, "daemonsets": 1},
    "small": {"step_s": 3600, "web_span": 4, "daemonsets": 0},
}


def demo_start(end: date) -> datetime:
    """1st of the month two months before ``end``."""
    y, m = end.year, end.month - 2
    if m <= 0:
        y, m = y - 1, m + 12
    return datetime(y, m, 1)


def _month_starts(start: datetime, end: datetime) -> list[datetime]:
    out = []
    cur = start
    while cur < end:
        out.append(cur)
        cur = (cur.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def build_org(end: date, *, scale: str = "default", seed: int = 7) -> Org:
    if scale not in SCALES:
        raise InputError(f"Unknown demo scale {scale!r}.", hint="Use small or default.")
    start = demo_start(end)
    end_dt = datetime(end.year, end.month, end.day)
    ids = Ids(seed)
    cfg = SCALES[scale]
    org = Org(
        seed=seed,
        scale=scale,
        start=start,
        end=end_dt,
        step_s=cfg["step_s"],
        clusters=[],
        nodes=[],
        workloads=[],
    )
    H = org.hours
    bounds = [org.hour_of(s) for s in _month_starts(start, end_dt)] + [H]
    org.months = [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]
    m2 = org.months[1][0]
    day = 24

    # --- planted timeline (hour indexes) ---------------------------------------------
    finetune = (m2 + 7 * day, m2 + 12 * day)  # day 8 .. day 13 (120 h)
    fallback = (m2 + 13 * day, m2 + 18 * day)  # day 14 .. day 19 (120 h)
    sp_start = m2 + 14 * day  # day 15 00:00
    credit_h = m2 + 19 * day  # day 20
    backfill = (m2 + 21 * day, m2 + 22 * day)  # day 22
    egress_day = H - 6 * day  # six days before end
    notebook = (m2 + 2 * day + 9, H)  # busy 8 h, then idle to the end
    m3_days = (H - org.months[2][0]) // day if len(org.months) > 2 else 0
    staging_start = org.months[2][0] + (m3_days // 2) * day if m3_days >= 2 else H

    team_ns = {
        "kube-system": "platform",
        "monitoring": "platform",
        "ingress-nginx": "platform",
        "storefront": "storefront",
        "payments": "payments",
        "search": "search",
        "analytics": "data",
        "etl": "data",
        "ml-training": "ml",
        "ml-serving": "ml",
        "research": "ml",
        "sandbox": None,
    }
    prod_ns = {ns: ({"team": t} if t else {}) for ns, t in team_ns.items()}
    org.clusters.append(Cluster(PROD, 0, H, prod_ns))
    if staging_start < H:
        org.clusters.append(
            Cluster(
                STAGING,
                staging_start,
                H,
                {ns: prod_ns[ns] for ns in ("kube-system", "storefront", "payments")},
            )
        )

    # --- nodes -----------------------------------------------------------------------
    def node(
        cluster: str,
        pool: str,
        itype: str,
        cap: str,
        span: tuple[int, int],
        zone: str = "us-east-1a",
        mig: tuple[int, ...] = (),
    ) -> Node:
        t = INSTANCE_TYPES[itype]
        n = Node(
            cluster=cluster,
            name=ids.node_name(),
            pool=pool,
            itype=t,
            capacity_type=cap,
            zone=zone,
            instance_id=ids.instance_id(),
            start=span[0],
            end=span[1],
            mig_gpus=mig,
            gpu_uuids=[ids.gpu_uuid() for _ in range(t.gpus)],
        )
        org.nodes.append(n)
        return n

    zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    whole = (0, H)
    for i in range(2):
        node(PROD, "system", "m6i.xlarge", "on-demand", whole, zones[i])
    general = [
        node(PROD, "general", "m6i.2xlarge", "on-demand", whole, zones[i % 3]) for i in range(5)
    ]
    general.append(node(PROD, "general", "m6i.2xlarge", "on-demand", (m2, H), zones[2]))
    batch_before = [
        node(PROD, "batch", "m6i.4xlarge", "spot", (0, fallback[0]), zones[i]) for i in range(3)
    ]
    batch_od = [
        node(PROD, "batch", "m6i.4xlarge", "on-demand", fallback, zones[i]) for i in range(3)
    ]
    batch_after = [
        node(PROD, "batch", "m6i.4xlarge", "spot", (fallback[1], H), zones[i]) for i in range(3)
    ]
    a100 = node(PROD, "gpu-a100", "p4d.24xlarge", "on-demand", whole, "us-east-1a", mig=(0,))
    for i in range(2):
        node(PROD, "gpu-l4", "g6.xlarge", "on-demand", whole, zones[i])
    burst = node(PROD, "gpu-burst", "p4d.24xlarge", "on-demand", finetune, "us-east-1b")
    backfill_nodes = [
        node(PROD, "backfill", "r6i.8xlarge", "on-demand", backfill, zones[i]) for i in range(3)
    ]
    if staging_start < H:
        for i in range(2):
            node(STAGING, "general", "m6i.large", "on-demand", (staging_start, H), zones[i])

    # --- workloads -------------------------------------------------------------------
    def add(w: Workload) -> Workload:
        org.workloads.append(w)
        return w

    def c(
        name: str,
        cpu: float | None,
        mem_mib: float | None,
        use: float,
        use_mib: float,
        *,
        cpu_lim: float | None = None,
        mem_lim_mib: float | None = None,
        **kw: object,
    ) -> ContainerSpec:
        limit = mem_lim_mib if mem_lim_mib is not None else mem_mib
        return ContainerSpec(
            name=name,
            cpu_request=cpu,
            cpu_limit=cpu_lim,
            mem_request=mem_mib * MIB if mem_mib is not None else None,
            mem_limit=limit * MIB if limit is not None else None,
            cpu_use=use,
            mem_use=use_mib * MIB,
            **kw,  # type: ignore[arg-type]
        )

    def labels(app: str, team: str | None, **extra: str) -> dict[str, str]:
        out = {"app.kubernetes.io/name": app, "env": "prod"}
        if team:
            out["team"] = team
        out.update(extra)
        return out

    def at(h: int) -> datetime:
        return org.at(h)

    def fixed(n: int, _h: int) -> int:
        return n

    def hpa_fn(base: int, span: int, hpa: Hpa, h: int) -> int:
        return hpa_replicas(at(h), base, span, hpa.min_at(h), hpa.max_replicas)

    def daily_runs(hour_of_day: int, length: int) -> list[tuple[int, int]]:
        return [
            (d + hour_of_day, min(d + hour_of_day + length, H))
            for d in range(0, H, day)
            if d + hour_of_day < H
        ]

    for cl in org.clusters:
        if cfg["daemonsets"]:
            add(
                Workload(
                    cl.name,
                    "kube-system",
                    "kube-proxy",
                    "DaemonSet",
                    [c("kube-proxy", 0.1, 128, 0.02, 60)],
                    {"k8s-app": "kube-proxy"},
                    start=cl.start,
                )
            )
        add(
            Workload(
                cl.name,
                "kube-system",
                "coredns",
                "Deployment",
                [c("coredns", 0.1, 70, 0.03, 40, mem_lim_mib=170)],
                {"k8s-app": "kube-dns", "app.kubernetes.io/name": "coredns"},
                pools=("system",) if cl.name == PROD else ("general",),
                replicas=partial(fixed, 2 if cl.name == PROD else 1),
                start=cl.start,
            )
        )

    if cfg["daemonsets"]:
        add(
            Workload(
                PROD,
                "monitoring",
                "dcgm-exporter",
                "DaemonSet",
                [c("exporter", 0.1, 256, 0.04, 180)],
                labels("dcgm-exporter", None),
                pools=("gpu-a100", "gpu-l4", "gpu-burst"),
            )
        )
    add(
        Workload(
            PROD,
            "monitoring",
            "prometheus",
            "StatefulSet",
            [c("prometheus", 1.0, 4096, 0.7, 3300)],
            labels("prometheus", None),
            pools=("system",),
            replicas=partial(fixed, 1),
            pvc_size_gib=100,
        )
    )
    add(
        Workload(
            PROD,
            "monitoring",
            "kube-state-metrics",
            "Deployment",
            [c("kube-state-metrics", 0.1, 256, 0.05, 150)],
            labels("kube-state-metrics", None),
            pools=("system",),
            replicas=partial(fixed, 1),
        )
    )
    add(
        Workload(
            PROD,
            "ingress-nginx",
            "ingress-nginx-controller",
            "Deployment",
            [c("controller", 0.5, 512, 0.2, 300, profile="traffic")],
            labels("ingress-nginx", None),
            pools=("system",),
            replicas=partial(fixed, 2),
        )
    )

    span = cfg["web_span"]
    web_hpa = Hpa("web-frontend", [(0, 3)], 12, 70)
    add(
        Workload(
            PROD,
            "storefront",
            "web-frontend",
            "Deployment",
            [c("web", 0.5, 1024, 0.3, 600, profile="traffic")],
            labels("web-frontend", "storefront"),
            pools=("general",),
            replicas=partial(hpa_fn, 3, span, web_hpa),
            hpa=web_hpa,
        )
    )
    cat_hpa = Hpa("catalog-api", [(0, 2)], 8, 70)
    add(
        Workload(
            PROD,
            "storefront",
            "catalog-api",
            "Deployment",
            [c("api", 1.0, 6144, 0.3, 900, profile="traffic")],
            labels("catalog-api", "storefront"),
            pools=("general",),
            replicas=partial(hpa_fn, 2, max(2, span * 2 // 3), cat_hpa),
            hpa=cat_hpa,
        )
    )
    chk_hpa = Hpa("checkout-api", [(0, 3), (m2, 6)], 10, 70)
    add(
        Workload(
            PROD,
            "payments",
            "checkout-api",
            "Deployment",
            [c("api", 1.0, 2048, 0.75, 1690, profile="traffic")],
            labels("checkout-api", "payments"),
            pools=("general",),
            replicas=partial(hpa_fn, 3, 3, chk_hpa),
            hpa=chk_hpa,
        )
    )
    add(
        Workload(
            PROD,
            "payments",
            "ledger-worker",
            "Deployment",
            [c("worker", 1.5, 2048, 0.4, 900)],
            labels("ledger-worker", "payments"),
            pools=("general",),
            replicas=partial(fixed, 2),
        )
    )
    add(
        Workload(
            PROD,
            "payments",
            "payments-db",
            "StatefulSet",
            [c("postgres", 1.0, 4096, 0.6, 3000)],
            labels("payments-db", "payments"),
            pools=("general",),
            replicas=partial(fixed, 1),
            pvc_size_gib=200,
        )
    )
    add(
        Workload(
            PROD,
            "search",
            "search-api",
            "Deployment",
            [c("api", 2.0, 4096, 0.55, 2500, profile="traffic")],
            labels("search-api", "search"),
            pools=("general",),
            replicas=partial(fixed, 3),
        )
    )
    add(
        Workload(
            PROD,
            "search",
            "search-indexer",
            "CronJob",
            [c("indexer", 2.0, 4096, 1.6, 3000, profile="batch")],
            labels("search-indexer", "search"),
            pools=("batch",),
            runs=daily_runs(2, 2),
        )
    )
    add(
        Workload(
            PROD,
            "analytics",
            "report-builder",
            "Deployment",
            [c("builder", 0.5, 1536, 0.35, 1900, mem_lim_mib=2048, oom_every_h=30)],
            labels("report-builder", "data"),
            pools=("general",),
            replicas=partial(fixed, 1),
        )
    )
    add(
        Workload(
            PROD,
            "etl",
            "nightly-etl",
            "CronJob",
            [c("spark", 4.0, 8192, 3.2, 6000, profile="batch")],
            labels("nightly-etl", "data"),
            pools=("batch",),
            runs=daily_runs(1, 3),
            parallelism=3,
        )
    )
    add(
        Workload(
            PROD,
            "analytics",
            "data-backfill",
            "Job",
            [c("backfill", 4.0, 16384, 3.5, 12000, profile="batch")],
            labels("data-backfill", "data"),
            pools=("backfill",),
            runs=[backfill],
            parallelism=18,
        )
    )
    add(
        Workload(
            PROD,
            "ml-training",
            "ranker-train",
            "CronJob",
            [
                c(
                    "trainer",
                    44.0,
                    532480,
                    40.0,
                    440000,
                    profile="batch",
                    gpu=4,
                    gpu_profile="training",
                )
            ],
            labels("ranker-train", "ml"),
            pools=("gpu-a100",),
            runs=daily_runs(0, 14),
        )
    )
    add(
        Workload(
            PROD,
            "ml-training",
            "ranker-eval",
            "CronJob",
            [c("eval", 24.0, 262144, 21.8, 216000, profile="batch", gpu=3, gpu_profile="training")],
            labels("ranker-eval", "ml"),
            pools=("gpu-a100",),
            runs=daily_runs(14, 8),
        )
    )
    add(
        Workload(
            PROD,
            "ml-training",
            "llm-finetune",
            "Job",
            [
                c(
                    "trainer",
                    80.0,
                    921600,
                    70.0,
                    700000,
                    profile="batch",
                    gpu=8,
                    gpu_profile="training",
                )
            ],
            labels("llm-finetune", "ml"),
            pools=("gpu-burst",),
            runs=[finetune],
        )
    )
    add(
        Workload(
            PROD,
            "ml-serving",
            "recsys-inference",
            "Deployment",
            [
                c(
                    "server",
                    3.0,
                    12288,
                    2.7,
                    10100,
                    profile="traffic",
                    gpu=1,
                    gpu_profile="inference",
                )
            ],
            labels("recsys-inference", "ml"),
            pools=("gpu-l4",),
            replicas=partial(fixed, 2),
        )
    )
    add(
        Workload(
            PROD,
            "ml-serving",
            "embeddings",
            "Deployment",
            [
                c(
                    "server",
                    2.0,
                    8192,
                    1.8,
                    6750,
                    profile="traffic",
                    gpu=1,
                    gpu_resource="nvidia_com_mig_1g_5gb",
                    gpu_profile="inference",
                )
            ],
            labels("embeddings", "ml"),
            pools=("gpu-a100",),
            replicas=partial(fixed, 3),
        )
    )
    add(
        Workload(
            PROD,
            "research",
            "jupyter-dana",
            "Pod",
            [c("notebook", 4.0, 32768, 0.05, 2000, profile="idle", gpu=1, gpu_profile="notebook")],
            {
                "app.kubernetes.io/name": "jupyterhub",
                "component": "singleuser-server",
                "hub.jupyter.org/username": "dana",
            },
            pools=("gpu-a100",),
            runs=[notebook],
        )
    )
    add(
        Workload(
            PROD,
            "sandbox",
            "legacy-reporter",
            "Deployment",
            [c("reporter", 0.25, 512, 0.05, 200)],
            {"app": "legacy-reporter"},
            pools=("general",),
            replicas=partial(fixed, 1),
        )
    )
    if staging_start < H:
        add(
            Workload(
                STAGING,
                "storefront",
                "web-frontend",
                "Deployment",
                [c("web", 0.5, 1024, 0.1, 400, profile="traffic")],
                labels("web-frontend", "storefront", env="staging"),
                pools=("general",),
                replicas=partial(fixed, 1),
                start=staging_start,
            )
        )
        add(
            Workload(
                STAGING,
                "payments",
                "checkout-api",
                "Deployment",
                [c("api", 0.5, 1024, 0.1, 400, profile="traffic")],
                labels("checkout-api", "payments", env="staging"),
                pools=("general",),
                replicas=partial(fixed, 1),
                start=staging_start,
            )
        )

    from assistant.demo.schedule import schedule

    schedule(org, ids)
    _add_storage_and_lbs(org, ids)
    _add_network(org, egress_day)

    sp_rate = INSTANCE_TYPES["m6i.2xlarge"].savings_plan
    org.savings_plan = {
        "id": f"arn:aws:savingsplans::{org_account()}:savingsplan/{ids.hex(8)}-{ids.hex(4)}",
        "start": sp_start,
        "covered_nodes": [n.instance_id for n in general[:5]],
        "hourly_commitment": sp_rate * 5,
    }
    org.events = {
        "new_gpu_job": {"workload": "llm-finetune", "hours": finetune, "node": burst.instance_id},
        "replica_scale_up": {
            "workload": "checkout-api",
            "from_hour": m2,
            "min_replicas": (3, 6),
            "extra_node": general[-1].instance_id,
        },
        "spot_fallback": {
            "pool": "batch",
            "hours": fallback,
            "spot_before": [n.instance_id for n in batch_before],
            "on_demand": [n.instance_id for n in batch_od],
            "spot_after": [n.instance_id for n in batch_after],
        },
        "savings_plan": {"from_hour": sp_start},
        "credit": {"hour": credit_h, "amount": Decimal("-500.00")},
        "backfill_spike": {
            "workload": "data-backfill",
            "hours": backfill,
            "nodes": [n.instance_id for n in backfill_nodes],
        },
        "egress_spike": {"day_hour": egress_day},
        "idle_notebook": {
            "pod": "jupyter-dana",
            "hours": notebook,
            "busy_hours": 8,
            "node": a100.instance_id,
        },
        "staging_cluster": {"from_hour": staging_start},
    }
    return org


def org_account() -> str:
    from assistant.demo.catalog import ACCOUNT_ID

    return ACCOUNT_ID


def _add_storage_and_lbs(org: Org, ids: Ids) -> None:
    from assistant.demo.catalog import REGION
    from assistant.demo.model import LoadBalancer, Volume

    for pod in org.pods:
        w = pod.workload
        if (
            w.kind == "StatefulSet"
            and w.pvc_size_gib
            and pod.pvc
            and not any(v.pvc == pod.pvc and v.cluster == w.cluster for v in org.volumes)
        ):
            org.volumes.append(
                Volume(
                    w.cluster,
                    w.namespace,
                    pod.pvc,
                    f"pvc-{ids.uuid()}",
                    ids.volume_id(),
                    w.pvc_size_gib,
                    "gp3",
                    0,
                    org.hours,
                )
            )
    # bound to a PVC that no pod mounts: the unattached volume rightsizing should find
    org.volumes.append(
        Volume(
            PROD,
            "analytics",
            "old-warehouse-data",
            f"pvc-{ids.uuid()}",
            ids.volume_id(),
            500,
            "gp3",
            0,
            org.hours,
        )
    )
    for ns, svc, workload in [
        ("ingress-nginx", "ingress-nginx-controller", "ingress-nginx-controller"),
        ("payments", "checkout-api", "checkout-api"),
        ("search", "search-api", "search-api"),
    ]:
        name = ids.hex(32)
        org.lbs.append(
            LoadBalancer(
                PROD,
                ns,
                svc,
                workload,
                hostname=f"{name}-{ids.hex(16)}.elb.{REGION}.amazonaws.com",
                arn=f"arn:aws:elasticloadbalancing:{REGION}:{org_account()}:loadbalancer/net/"
                f"{name}/{ids.hex(16)}",
                start=0,
                end=org.hours,
            )
        )


def _add_network(org: Org, spike_day_hour: int) -> None:
    """Daily NAT-processed and internet-egress GB per cluster; one surge day planted."""
    for cl in org.clusters:
        days = []
        scale = 1.0 if cl.name == PROD else 0.05
        for d0 in range(0, org.hours, 24):
            if d0 + 24 <= cl.start:
                days.append((0.0, 0.0))
                continue
            when = org.at(d0)
            weekday = 0.7 if when.weekday() >= 5 else 1.0
            # deterministic day-to-day wobble of +-5% (no RNG: stable across scales)
            wobble = 1.0 + 0.05 * ((when.toordinal() * 37) % 11 - 5) / 5.0
            nat, egress = 120.0 * weekday * wobble * scale, 300.0 * weekday * wobble * scale
            if cl.name == PROD and d0 == spike_day_hour:
                nat, egress = nat * 8, egress * 8
            days.append((round(nat, 3), round(egress, 3)))
        org.daily_network[cl.name] = days
