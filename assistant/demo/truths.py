"""The planted facts, written as ``truths.json`` beside the generated files.

Everything here is computed from the generator's own objects and the bill lines it
wrote (never from Penny's warehouse), so tests and evals can check that Penny finds
each planted driver, spike and opportunity with the right size. Money is a string of
the exact ``Decimal`` sum; usage figures are floats from the generated series.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.timestamps import rfc3339
from assistant.demo.catalog import INSTANCE_TYPES
from assistant.demo.model import Org, Pod
from assistant.demo.openmetrics_writer import gpu_segments
from assistant.demo.usage import cpu_rate, gpu_series, memory_working_set, oom_sample_indexes
from assistant.demo.usage import sample_range as _ks

__all__ = ["EXAMPLE_QUESTIONS", "compute_truths", "write_truths"]

EXAMPLE_QUESTIONS = [
    "what did the payments team spend last month?",
    "why did {m2_name} go up?",
    "which GPUs are idle?",
    "top 5 namespaces last month",
    "how much of our cost has no team label?",
    "what should we rightsize?",
    "anything unusual this week?",
]


def _money(rows: list[dict[str, Any]], field: str = "EffectiveCost", **match: Any) -> Decimal:
    return sum((r[field] for r in rows if all(r.get(k) == v for k, v in match.items())), Decimal(0))


def _in(rows: list[dict[str, Any]], start: datetime, end: datetime) -> list[dict[str, Any]]:
    return [r for r in rows if start <= r["ChargePeriodStart"] < end]


def _overlap(a: int, b: int, c: int, d: int) -> int:
    return max(0, min(b, d) - max(a, c))


def compute_truths(org: Org, rows: list[dict[str, Any]]) -> dict[str, Any]:
    months = [(org.at(a), org.at(b)) for a, b in org.months]
    label = [f"{s:%Y-%m}" for s, _ in months]
    m1, m2 = org.months[0], org.months[1]
    r1, r2 = _in(rows, *months[0]), _in(rows, *months[1])
    ev = org.events

    bill = {}
    for (s, e), name in zip(months, label, strict=True):
        mr = _in(rows, s, e)
        by_cat: dict[str, Decimal] = defaultdict(Decimal)
        by_service: dict[str, Decimal] = defaultdict(Decimal)
        for r in mr:
            by_cat[r["ChargeCategory"]] += r["EffectiveCost"]
            by_service[r["ServiceName"]] += r["EffectiveCost"]
        bill[name] = {
            "window": {"start": rfc3339(s), "end": rfc3339(e)},
            "effective_cost": str(_money(mr)),
            "billed_cost": str(_money(mr, "BilledCost")),
            "lines": len(mr),
            "effective_by_charge_category": {k: str(v) for k, v in sorted(by_cat.items())},
            "effective_by_service": {k: str(v) for k, v in sorted(by_service.items())},
        }

    def pods_of(name: str, ns: str | None = None) -> list[Pod]:
        return [
            p
            for p in org.pods
            if p.workload.name == name
            and (ns is None or p.namespace == ns)
            and p.cluster == "prod-use1"
        ]

    def pod_hours(pods: list[Pod], span: tuple[int, int]) -> int:
        return sum(_overlap(p.start, p.end, *span) for p in pods)

    # --- bill drivers, last full month vs the month before -----------------------------
    ft = ev["new_gpu_job"]
    ft_pods = pods_of("llm-finetune")
    new_job = {
        "namespace": "ml-training",
        "workload": "llm-finetune",
        "kind": "Job",
        "team": "ml",
        "node_instance_id": ft["node"],
        "instance_type": "p4d.24xlarge",
        "start": rfc3339(org.at(ft["hours"][0])),
        "end": rfc3339(org.at(ft["hours"][1])),
        "node_hours": ft["hours"][1] - ft["hours"][0],
        "gpu_hours": sum((p.end - p.start) * 8 for p in ft_pods),
        "bill_effective_cost": str(_money(r2, ResourceId=ft["node"])),
        "bill_effective_cost_previous_month": str(_money(r1, ResourceId=ft["node"])),
    }
    chk = pods_of("checkout-api", "payments")
    up = ev["replica_scale_up"]
    scale_up = {
        "namespace": "payments",
        "workload": "checkout-api",
        "kind": "Deployment",
        "team": "payments",
        "hpa_min_replicas": {"before": 3, "after": 6},
        "from": rfc3339(org.at(up["from_hour"])),
        "pod_hours": {label[0]: pod_hours(chk, m1), label[1]: pod_hours(chk, m2)},
        "cpu_request_core_hours": {
            label[0]: pod_hours(chk, m1) * 1.0,
            label[1]: pod_hours(chk, m2) * 1.0,
        },
        "extra_node": {
            "instance_id": up["extra_node"],
            "instance_type": "m6i.2xlarge",
            "bill_effective_cost": str(_money(r2, ResourceId=up["extra_node"])),
            "bill_effective_cost_previous_month": str(_money(r1, ResourceId=up["extra_node"])),
        },
    }
    fb = ev["spot_fallback"]
    od = INSTANCE_TYPES["m6i.4xlarge"]
    fb_hours = (fb["hours"][1] - fb["hours"][0]) * len(fb["on_demand"])
    od_cost = sum((_money(r2, ResourceId=i) for i in fb["on_demand"]), Decimal(0))
    spot_fallback = {
        "node_pool": "batch",
        "instance_type": "m6i.4xlarge",
        "start": rfc3339(org.at(fb["hours"][0])),
        "end": rfc3339(org.at(fb["hours"][1])),
        "on_demand_instance_ids": fb["on_demand"],
        "node_hours": fb_hours,
        "on_demand_cost": str(od_cost),
        "spot_cost_same_hours": str(od.spot * fb_hours),
        "extra_cost": str(od_cost - od.spot * fb_hours),
        "spot_hourly": str(od.spot),
        "on_demand_hourly": str(od.on_demand),
    }
    sp = org.savings_plan
    covered = [r for r in r2 if r.get("CommitmentDiscountStatus") == "Used"]
    purchase = [r for r in r2 if r["ChargeCategory"] == "Purchase"]
    list_cost = sum((r["ListCost"] for r in covered), Decimal(0))
    eff = sum((r["EffectiveCost"] for r in covered), Decimal(0))
    savings_plan = {
        "commitment_discount_id": sp["id"],
        "type": "Compute Savings Plan",
        "start": rfc3339(org.at(sp["start"])),
        "hourly_commitment": str(sp["hourly_commitment"]),
        "covered_instance_ids": sp["covered_nodes"],
        "covered_hours": len(covered),
        "covered_on_demand_equivalent": str(list_cost),
        "covered_effective_cost": str(eff),
        "savings": str(list_cost - eff),
        "purchase_billed_cost": str(_money(purchase, "BilledCost")),
        "unused_effective_cost": str(
            sum(
                (r["EffectiveCost"] for r in r2 if r.get("CommitmentDiscountStatus") == "Unused"),
                Decimal(0),
            )
        ),
    }
    credit_rows = [r for r in r2 if r["ChargeCategory"] == "Credit"]
    credit = {
        "date": f"{org.at(ev['credit']['hour']):%Y-%m-%d}",
        "amount": str(_money(credit_rows)),
        "service": credit_rows[0]["ServiceName"] if credit_rows else None,
    }
    tax = {
        name: str(_money(_in(rows, s, e), ChargeCategory="Tax"))
        for (s, e), name in zip(months, label, strict=True)
    }
    nb_ev = ev["idle_notebook"]
    # not a bill driver (its A100 node is billed in both months) but a new workload in M2:
    # allocation moves that node's cost from __idle__ to team ml
    notebook_shift = {
        "namespace": "research",
        "pod": "jupyter-dana",
        "kind": "Pod",
        "team": "ml",
        "start": rfc3339(org.at(nb_ev["hours"][0])),
        "bill_change": "0",
        "gpu_hours": {
            label[0]: _overlap(nb_ev["hours"][0], nb_ev["hours"][1], m1[0], m1[1]),
            label[1]: _overlap(nb_ev["hours"][0], nb_ev["hours"][1], m2[0], m2[1]),
        },
    }

    # --- anomalies --------------------------------------------------------------------
    bf = ev["backfill_spike"]
    bf_pods = pods_of("data-backfill")
    day_rows = _in(rows, org.at(bf["hours"][0]), org.at(bf["hours"][1]))
    eg_day = ev["egress_spike"]["day_hour"]
    anomalies = [
        {
            "kind": "spike",
            "date": f"{org.at(bf['hours'][0]):%Y-%m-%d}",
            "group_by": "team",
            "group": "data",
            "namespace": "analytics",
            "workload": "data-backfill",
            "pods": len(bf_pods),
            "cpu_request_core_hours": sum(p.end - p.start for p in bf_pods) * 4,
            "node_instance_ids": bf["nodes"],
            "instance_type": "r6i.8xlarge",
            "bill_effective_cost": str(
                sum((_money(day_rows, ResourceId=i) for i in bf["nodes"]), Decimal(0))
            ),
        },
    ]
    if eg_day >= 0:
        eg_rows = _in(rows, org.at(eg_day), org.at(eg_day + 24))
        prod_eg = [
            r
            for r in eg_rows
            if r["ServiceName"] in ("AWS Data Transfer", "Amazon Virtual Private Cloud")
            and "staging" not in (r.get("ChargeDescription") or "")
            and "staging" not in (r.get("ResourceId") or "")
        ]
        nat_gb, egress_gb = org.daily_network["prod-use1"][eg_day // 24]
        anomalies.append(
            {
                "kind": "spike",
                "date": f"{org.at(eg_day):%Y-%m-%d}",
                "group_by": "service",
                "group": "AWS Data Transfer",
                "also": ["Amazon Virtual Private Cloud"],
                "cluster": "prod-use1",
                "multiplier": 8,
                "egress_gb": egress_gb,
                "nat_gb": nat_gb,
                "data_transfer_cost": str(_money(prod_eg, ServiceName="AWS Data Transfer")),
                "nat_cost": str(_money(prod_eg, ServiceName="Amazon Virtual Private Cloud")),
            }
        )
    quiet = [
        {"group_by": "team", "group": "search"},
        {"group_by": "service", "group": "Amazon Simple Storage Service"},
        {"group_by": "namespace", "group": "monitoring"},
    ]

    # --- rightsizing ------------------------------------------------------------------
    rightsizing = []
    for ns, name, cname in [
        ("search", "search-api", "api"),
        ("payments", "ledger-worker", "worker"),
        ("storefront", "catalog-api", "api"),
    ]:
        pods = pods_of(name, ns)
        c = next(c for c in pods[0].workload.containers if c.name == cname)
        rates = np.concatenate([cpu_rate(org, p, c, _ks(org, p.start, p.end)) for p in pods])
        hpa = pods[0].workload.hpa
        assert c.cpu_request is not None
        rightsizing.append(
            {
                "namespace": ns,
                "workload": name,
                "kind": "Deployment",
                "container": cname,
                "resource": "cpu",
                "cpu_request_cores": c.cpu_request,
                "cpu_usage_mean_cores": round(float(rates.mean()), 4),
                "cpu_usage_p95_cores": round(float(np.percentile(rates, 95)), 4),
                "request_to_usage_ratio": round(c.cpu_request / float(rates.mean()), 2),
                "pod_hours": sum(p.end - p.start for p in pods),
                "hpa": {
                    "min": hpa.min_at(0),
                    "max": hpa.max_replicas,
                    "target_cpu_utilization": hpa.target_utilization,
                }
                if hpa
                else None,
            }
        )
    rb = pods_of("report-builder")
    rbc = rb[0].workload.containers[0]
    ws = np.concatenate([memory_working_set(org, p, rbc, _ks(org, p.start, p.end)) for p in rb])
    rightsizing.append(
        {
            "namespace": "analytics",
            "workload": "report-builder",
            "kind": "Deployment",
            "container": rbc.name,
            "resource": "memory",
            "mem_request_bytes": rbc.mem_request,
            "mem_limit_bytes": rbc.mem_limit,
            "working_set_max_bytes": float(ws.max()),
            "working_set_mean_bytes": round(float(ws.mean())),
            "oom_kills": sum(len(oom_sample_indexes(org, p, rbc)) for p in rb),
        }
    )

    # GPU-node workloads sized to their use on purpose (not rightsizing targets): a core
    # split from a p4d's price costs ~2x a general node's, so slack there would outrank
    # the planted targets
    sized_to_use = []
    for ns, name in [
        ("ml-training", "ranker-train"),
        ("ml-training", "ranker-eval"),
        ("ml-serving", "embeddings"),
        ("ml-serving", "recsys-inference"),
    ]:
        pods = pods_of(name, ns)
        c = pods[0].workload.containers[0]
        rates = np.concatenate([cpu_rate(org, p, c, _ks(org, p.start, p.end)) for p in pods])
        ws = np.concatenate([memory_working_set(org, p, c, _ks(org, p.start, p.end)) for p in pods])
        sized_to_use.append(
            {
                "namespace": ns,
                "workload": name,
                "container": c.name,
                "cpu_request_cores": c.cpu_request,
                "cpu_usage_p95_cores": round(float(np.percentile(rates, 95)), 4),
                "mem_request_bytes": c.mem_request,
                "working_set_max_bytes": float(ws.max()),
            }
        )

    nb = ev["idle_notebook"]
    nb_pod = pods_of("jupyter-dana")[0]
    a100 = nb_pod.node
    seg = next(s for s in gpu_segments(org, a100, [nb_pod]) if s[1] is nb_pod)
    ks = _ks(org, seg[2], seg[3])
    util = gpu_series(org, nb_pod, ks, f"{a100.name}/{seg[0][0]}/{seg[0][1]}")["util"]
    busy = nb["busy_hours"] * 3600 // org.step_s
    idle_gpu = {
        "namespace": "research",
        "pod": "jupyter-dana",
        "team": "ml",
        "kind": "Pod",
        "node": a100.name,
        "node_instance_id": a100.instance_id,
        "gpu": str(seg[0][0]),
        "model": a100.itype.gpu_model,
        "start": rfc3339(org.at(nb["hours"][0])),
        "idle_from": rfc3339(org.at(nb["hours"][0] + nb["busy_hours"])),
        "idle_hours": nb["hours"][1] - nb["hours"][0] - nb["busy_hours"],
        "gpu_requested": 1,
        "util_pct_mean_busy": round(float(util[:busy].mean()), 2),
        "util_pct_mean_idle": round(float(util[busy:].mean()), 3),
    }
    mig_pods = pods_of("embeddings")
    unattached = next(v for v in org.volumes if v.pvc == "old-warehouse-data")
    volumes = [
        {
            "cluster": v.cluster,
            "namespace": v.namespace,
            "pvc": v.pvc,
            "pv": v.pv,
            "volume_id": v.volume_id,
            "size_gib": v.size_gib,
            "mounted": v.pvc != "old-warehouse-data",
            "bill_effective_cost": {
                name: str(_money(_in(rows, s, e), ResourceId=v.volume_id))
                for (s, e), name in zip(months, label, strict=True)
            },
        }
        for v in org.volumes
    ]
    nodes = [
        {
            "cluster": n.cluster,
            "node": n.name,
            "instance_id": n.instance_id,
            "provider_id": n.provider_id,
            "pool": n.pool,
            "instance_type": n.itype.name,
            "capacity_type": n.capacity_type,
            "start": rfc3339(org.at(n.start)),
            "end": rfc3339(org.at(n.end)),
            "hours": n.end - n.start,
            "bill_effective_cost": str(_money(rows, ResourceId=n.instance_id)),
        }
        for n in org.nodes
    ]
    m2_name = months[1][0].strftime("%B")
    return {
        "generator": {
            "seed": org.seed,
            "scale": org.scale,
            "start": rfc3339(org.start),
            "end": rfc3339(org.end),
            "sample_interval_s": org.step_s,
            "months": label,
            "compare": {"month": label[1], "previous": label[0]},
            "pods": len(org.pods),
            "warnings": org.warnings,
        },
        "clusters": [
            {
                "name": c.name,
                "start": rfc3339(org.at(c.start)),
                "end": rfc3339(org.at(c.end)),
                "namespaces": {ns: lab.get("team") for ns, lab in c.namespaces.items()},
            }
            for c in org.clusters
        ],
        "bill": bill,
        "drivers": {
            "new_gpu_job": new_job,
            "replica_scale_up": scale_up,
            "spot_fallback": spot_fallback,
            "savings_plan": savings_plan,
            "credit": credit,
            "tax": tax,
            "allocation_shift_notebook": notebook_shift,
        },
        "anomalies": anomalies,
        "quiet": quiet,
        "rightsizing": rightsizing,
        "sized_to_use": sized_to_use,
        "idle_gpu": idle_gpu,
        "mig": {
            "node": a100.name,
            "gpu": str(a100.mig_gpus[0]),
            "profile": "1g.5gb",
            "slices_per_gpu": 7,
            "workload": "embeddings",
            "namespace": "ml-serving",
            "replicas": len({p.name for p in mig_pods}),
        },
        "unlabeled": {
            "namespaces": [
                ns for ns, lab in org.clusters[0].namespaces.items() if "team" not in lab
            ],
            "workloads": ["legacy-reporter"],
        },
        "volumes": volumes,
        "unattached_volume": {
            "namespace": "analytics",
            "pvc": unattached.pvc,
            "volume_id": unattached.volume_id,
            "size_gib": unattached.size_gib,
        },
        "load_balancers": [
            {
                "cluster": lb.cluster,
                "namespace": lb.namespace,
                "service": lb.service,
                "hostname": lb.hostname,
                "arn": lb.arn,
            }
            for lb in org.lbs
        ],
        "nodes": nodes,
        "example_questions": [q.format(m2_name=m2_name) for q in EXAMPLE_QUESTIONS],
    }


def write_truths(truths: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(truths, indent=2, default=str) + "\n", encoding="utf-8")
    return path
