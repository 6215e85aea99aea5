"""The generated demo files: deterministic, bill <-> metrics consistent, truths present.

Every expected number is worked out by hand from the catalog prices (cited in the
comments) and checked against the files themselves, then against ``truths.json``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.demo.run import DemoFiles, generate_files

END = date(2026, 11, 27)
_LINE = re.compile(r"^([A-Za-z_:][\w:]*)\{(.*)\} (\S+) (\d+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate_files(tmp_path_factory.mktemp("demo"), end=END, scale="small")


@pytest.fixture(scope="module")
def bill(files: DemoFiles) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in files.focus:
        with path.open(newline="") as fh:
            rows.extend(csv.DictReader(fh))
    return rows


def series(path: Path, *names: str) -> dict[str, list[tuple[dict[str, str], float, int]]]:
    """Samples of the named metrics: name -> [(labels, value, ts)]."""
    out: dict[str, list[tuple[dict[str, str], float, int]]] = defaultdict(list)
    prefixes = tuple(n + "{" for n in names)
    with path.open() as fh:
        for line in fh:
            if line.startswith(prefixes):
                m = _LINE.match(line.rstrip("\n"))
                assert m, line
                out[m[1]].append((dict(_LABEL.findall(m[2])), float(m[3]), int(m[4])))
    return out


def _sum(rows: list[dict[str, str]], col: str = "EffectiveCost", **match: str) -> Decimal:
    return sum(
        (Decimal(r[col]) for r in rows if all(r[k] == v for k, v in match.items())), Decimal(0)
    )


def _month(rows: list[dict[str, str]], month: str) -> list[dict[str, str]]:
    return [r for r in rows if r["ChargePeriodStart"].startswith(month)]


def test_same_seed_same_files_other_seed_other_ids(tmp_path: Path, files: DemoFiles) -> None:
    again = generate_files(tmp_path / "again", end=END, scale="small")

    def digest(p: Path) -> str:
        return hashlib.sha256(p.read_bytes()).hexdigest()

    assert [digest(p) for p in again.focus] == [digest(p) for p in files.focus]
    assert digest(again.metrics["prod-use1"]) == digest(files.metrics["prod-use1"])
    assert again.truths == files.truths
    other = generate_files(tmp_path / "other", end=END, scale="small", seed=8)
    ids = {n["instance_id"] for n in files.truths["nodes"]}
    assert ids.isdisjoint({n["instance_id"] for n in other.truths["nodes"]})


def test_calendar_two_full_months_and_month_to_date(files: DemoFiles) -> None:
    gen = files.truths["generator"]
    assert (gen["start"], gen["end"]) == ("2026-09-01T00:00:00Z", "2026-11-27T00:00:00Z")
    assert gen["months"] == ["2026-09", "2026-10", "2026-11"]
    assert gen["warnings"] == []  # every pod found a node
    # the staging cluster appears mid-month: 26 days into November -> day 14 (13 x 24 h in)
    staging = next(c for c in files.truths["clusters"] if c["name"] == "staging-use1")
    assert staging["start"] == "2026-11-14T00:00:00Z"


def test_node_metrics_match_ec2_bill_lines_hour_for_hour(
    files: DemoFiles, bill: list[dict[str, str]]
) -> None:
    s = series(files.metrics["prod-use1"], "kube_node_info")
    s2 = series(files.metrics["staging-use1"], "kube_node_info")
    hours_in_metrics: Counter[str] = Counter()
    for labels, _v, _ts in s["kube_node_info"] + s2["kube_node_info"]:
        m = re.fullmatch(r"aws:///(us-east-1[a-c])/(i-[0-9a-f]{17})", labels["provider_id"])
        assert m, labels["provider_id"]
        hours_in_metrics[m[2]] += 1  # one sample per hour at the small scale
    vm_lines = Counter(r["ResourceId"] for r in bill if r["ResourceType"] == "Virtual Machine")
    assert hours_in_metrics == vm_lines
    # 2 system + 6 general + 9 batch + 1 A100 + 2 L4 + 1 burst + 3 backfill + 2 staging
    assert len(vm_lines) == 26


def test_volume_handles_match_ebs_lines(files: DemoFiles, bill: list[dict[str, str]]) -> None:
    s = series(
        files.metrics["prod-use1"],
        "kube_persistentvolume_info",
        "kube_persistentvolumeclaim_info",
        "kube_pod_spec_volumes_persistentvolumeclaims_info",
    )
    handles = {lab["csi_volume_handle"] for lab, _, _ in s["kube_persistentvolume_info"]}
    billed = {r["ResourceId"] for r in bill if r["ResourceType"] == "Volume"}
    assert handles == billed and len(handles) == 3
    mounted = {
        lab["persistentvolumeclaim"]
        for lab, _, _ in s["kube_pod_spec_volumes_persistentvolumeclaims_info"]
    }
    claims = {lab["persistentvolumeclaim"] for lab, _, _ in s["kube_persistentvolumeclaim_info"]}
    assert claims - mounted == {"old-warehouse-data"}  # the unattached volume
    # 500 GiB x $0.08/GB-month / 730 h x 24 h = $1.315068493 a day; 30 days of September
    sept = _sum(_month(bill, "2026-09"), ResourceId=files.truths["unattached_volume"]["volume_id"])
    assert sept == pytest.approx(Decimal("39.4520547945"), abs=Decimal("0.0000001"))


def test_month_totals_in_truths_are_the_csv_sums(
    files: DemoFiles, bill: list[dict[str, str]]
) -> None:
    for month, t in files.truths["bill"].items():
        rows = _month(bill, month)
        assert Decimal(t["effective_cost"]) == _sum(rows)
        assert Decimal(t["billed_cost"]) == _sum(rows, "BilledCost")


def test_new_gpu_job_is_a_new_p4d_for_120_hours(
    files: DemoFiles, bill: list[dict[str, str]]
) -> None:
    job = files.truths["drivers"]["new_gpu_job"]
    oct_rows, sep_rows = _month(bill, "2026-10"), _month(bill, "2026-09")
    # 120 h x $32.7726 (p4d.24xlarge on-demand) = $3,932.712
    assert _sum(oct_rows, ResourceId=job["node_instance_id"]) == Decimal("3932.712")
    assert _sum(sep_rows, ResourceId=job["node_instance_id"]) == 0
    assert Decimal(job["bill_effective_cost"]) == Decimal("3932.712")
    s = series(files.metrics["prod-use1"], "kube_pod_container_resource_requests")
    gpus = {
        (lab["pod"], v)
        for lab, v, _ in s["kube_pod_container_resource_requests"]
        if lab["resource"] == "nvidia_com_gpu" and lab["pod"].startswith("llm-finetune-")
    }
    assert len(gpus) == 1 and next(iter(gpus))[1] == 8.0
    assert job["gpu_hours"] == 960  # 8 GPUs x 120 h


def test_spot_fallback_costs_the_on_demand_premium(
    files: DemoFiles, bill: list[dict[str, str]]
) -> None:
    fb = files.truths["drivers"]["spot_fallback"]
    od = sum((_sum(bill, ResourceId=i) for i in fb["on_demand_instance_ids"]), Decimal(0))
    # 3 nodes x 120 h x $0.768 = $276.48 on demand; spot would be x $0.3072 = $110.592
    assert od == Decimal("276.48")
    assert Decimal(fb["extra_cost"]) == Decimal("165.888")
    assert {
        r["PricingCategory"] for r in bill if r["ResourceId"] in fb["on_demand_instance_ids"]
    } == {"Standard"}
    s = series(files.metrics["prod-use1"], "kube_node_labels")
    cap = {
        lab["node"]: lab["label_karpenter_sh_capacity_type"]
        for lab, _, _ in s["kube_node_labels"]
        if lab["label_karpenter_sh_nodepool"] == "batch"
    }
    assert sorted(Counter(cap.values()).items()) == [("on-demand", 3), ("spot", 6)]


def test_savings_plan_from_the_15th(files: DemoFiles, bill: list[dict[str, str]]) -> None:
    sp = files.truths["drivers"]["savings_plan"]
    used = [r for r in _month(bill, "2026-10") if r["CommitmentDiscountStatus"] == "Used"]
    # 5 covered m6i.2xlarge x 17 days (15th..31st) x 24 h = 2,040 covered hours
    assert len(used) == 2040 and sp["covered_hours"] == 2040
    assert min(r["ChargePeriodStart"] for r in used) == "2026-10-15T00:00:00Z"
    assert {r["BilledCost"] for r in used} == {"0.0000000000"}
    # saving = 2,040 x ($0.384 - $0.384 x 0.72) = 2,040 x $0.10752 = $219.3408
    assert Decimal(sp["savings"]) == Decimal("219.3408")
    purchase = [r for r in _month(bill, "2026-10") if r["ChargeCategory"] == "Purchase"]
    # fee = 5 x $0.27648 = $1.3824 an hour, 408 h, billed but amortized away (EffectiveCost 0)
    assert _sum(purchase, "BilledCost") == Decimal("564.0192") and _sum(purchase) == 0


def test_credit_and_tax(files: DemoFiles, bill: list[dict[str, str]]) -> None:
    credits = [r for r in bill if r["ChargeCategory"] == "Credit"]
    assert [(r["ChargePeriodStart"][:10], Decimal(r["BilledCost"])) for r in credits] == [
        ("2026-10-20", Decimal("-500"))
    ]
    sept = _month(bill, "2026-09")
    taxable = sum(
        (Decimal(r["BilledCost"]) for r in sept if r["ChargeCategory"] in ("Usage", "Purchase")),
        Decimal(0),
    )
    tax = [Decimal(r["BilledCost"]) for r in sept if r["ChargeCategory"] == "Tax"]
    assert tax == [(taxable * Decimal("0.06")).quantize(Decimal("0.01"))]
    assert not [r for r in _month(bill, "2026-11") if r["ChargeCategory"] == "Tax"]


def test_replica_scale_up_shows_in_hpa_spec_and_pod_hours(files: DemoFiles) -> None:
    s = series(
        files.metrics["prod-use1"],
        "kube_horizontalpodautoscaler_spec_min_replicas",
        "kube_pod_info",
    )
    oct1 = int(datetime(2026, 10, 1).timestamp() - datetime(1970, 1, 1).timestamp())
    mins = {
        (ts >= oct1, v)
        for lab, v, ts in s["kube_horizontalpodautoscaler_spec_min_replicas"]
        if lab["horizontalpodautoscaler"] == "checkout-api"
    }
    assert mins == {(False, 3.0), (True, 6.0)}
    sep = sum(
        1
        for lab, _, ts in s["kube_pod_info"]
        if lab["pod"].startswith("checkout-api-") and ts < oct1
    )
    up = files.truths["drivers"]["replica_scale_up"]
    assert up["pod_hours"]["2026-09"] == sep
    # at least 6 replicas for all 744 October hours
    assert up["pod_hours"]["2026-10"] >= 6 * 744 > sep * 31 / 30


def test_idle_notebook_and_oomkills_in_the_series(files: DemoFiles) -> None:
    s = series(
        files.metrics["prod-use1"],
        "DCGM_FI_DEV_GPU_UTIL",
        "kube_pod_container_status_restarts_total",
        "kube_pod_container_status_last_terminated_reason",
    )
    nb = files.truths["idle_gpu"]
    util = [v for lab, v, _ in s["DCGM_FI_DEV_GPU_UTIL"] if lab.get("pod") == "jupyter-dana"]
    busy, idle = util[:8], util[8:]
    assert len(idle) == nb["idle_hours"] and max(idle) < 1.0 and min(busy) > 30.0
    restarts = [
        v
        for lab, v, _ in s["kube_pod_container_status_restarts_total"]
        if lab["pod"].startswith("report-builder-")
    ]
    # one pod living all 2,088 h, killed every 30 h from hour 30: floor(2087/30) = 69 kills
    assert max(restarts) == 69 == files.truths["rightsizing"][3]["oom_kills"]
    reasons = {lab["reason"] for lab, _, _ in s["kube_pod_container_status_last_terminated_reason"]}
    assert reasons == {"OOMKilled"}


def test_openmetrics_layout_promtool_accepts(files: DemoFiles) -> None:
    """Families contiguous, one TYPE each, samples in time order per series, '# EOF' last."""
    path = files.metrics["staging-use1"]
    text = path.read_text()
    assert text.endswith("# EOF\n")
    types = re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M)
    assert len(types) == len({n for n, _ in types})
    last: dict[str, int] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        key, _, rest = line.rpartition(" ")
        ts = int(rest)
        series_key = key.rsplit(" ", 1)[0]
        assert ts > last.get(series_key, -1), line
        last[series_key] = ts
    assert ("container_cpu_usage_seconds", "counter") in types


def test_truths_json_is_the_manifest_on_disk(files: DemoFiles) -> None:
    on_disk = json.loads(files.truths_path.read_text())
    assert on_disk["drivers"]["credit"]["amount"].startswith("-500")
    assert {a["date"] for a in on_disk["anomalies"]} == {"2026-10-22", "2026-11-21"}
    assert [r["workload"] for r in on_disk["rightsizing"]] == [
        "search-api",
        "ledger-worker",
        "catalog-api",
        "report-builder",
    ]
    for r in on_disk["rightsizing"][:3]:
        assert 3.0 <= r["request_to_usage_ratio"] <= 5.0, r


def test_gpu_node_workloads_are_sized_to_their_use(files: DemoFiles) -> None:
    """Not rightsizing targets, by construction: CPU request within 0.95-1.12x of the p95
    of use, memory request within 5% of max working set x 1.15 (KRR's "simple" rule), so
    only the planted workloads carry slack worth a recommendation."""
    sized = {r["workload"]: r for r in files.truths["sized_to_use"]}
    assert set(sized) == {"ranker-train", "ranker-eval", "embeddings", "recsys-inference"}
    for name, r in sized.items():
        assert 0.95 <= r["cpu_request_cores"] / r["cpu_usage_p95_cores"] <= 1.12, (name, r)
        ideal = r["working_set_max_bytes"] * 1.15
        assert 0.95 <= r["mem_request_bytes"] / ideal <= 1.05, (name, r)
    planted = [r for r in files.truths["rightsizing"] if r["resource"] == "cpu"]
    assert all(r["request_to_usage_ratio"] >= 3.0 for r in planted)
