"""AKS nodes (VM Scale Set instances) join the bill lines Azure writes on their scale set.

A node's providerID names its instance (``…/virtualMachineScaleSets/pool/virtualMachines/0``)
while Azure cost exports (FocusCost) bill the scale set (``…/virtualMachineScaleSets/pool``,
case varies). Each hour of a scale-set line is split among the set's nodes observed in
that hour, weighted by their running hours (``node_costs.build_scale_set_parts``): parts
rounded to 12 decimals, the largest weight (ties: first node name) taking the exact
remainder — ``costmath.split_exact``'s rule. Hours with no node observed are
``__unallocated__``.

Base prices for the ratio split, where a test needs them: CPU 3 / RAM 1 $/h.
"""

from __future__ import annotations

import tempfile
import uuid
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from assistant.allocation.allocate import AllocationReport, allocate
from assistant.allocation.costmath import prorate, split_exact
from assistant.cli import main
from assistant.config import Settings, load_settings
from assistant.ingest.provider_id import parse_provider_id
from assistant.warehouse.db import Connection, reader, writer
from tests.allocation.alloc_rows import bill, container, h, node
from tests.ingest.focus.focus_rows import line, write_csv

D = Decimal
EASY = {"default_prices": {"cpu_core_hour": "3", "ram_gib_hour": "1", "gpu_hour": "30"}}
# As the cluster (kubelet providerID) spells it ...
SET = (
    "/subscriptions/1111-2222/resourceGroups/MC_rg_aks_eastus/providers/Microsoft.Compute/"
    "virtualMachineScaleSets/aks-nodepool1-vmss"
)
# ... and as a cost export may spell the same scale set.
SET_BILL = (
    "/subscriptions/1111-2222/resourcegroups/MC_RG_AKS_EASTUS/providers/"
    "microsoft.compute/virtualMachineScaleSets/AKS-NODEPOOL1-VMSS"
)


def instance_id(i: int) -> str:
    """k8s_nodes.instance_id as metrics ingest stores it (the lowercased instance ARM id)."""
    parsed = parse_provider_id(f"azure://{SET}/virtualMachines/{i}")
    assert parsed is not None
    return parsed.instance_id


def run(build: Any) -> tuple[Settings, AllocationReport]:
    settings = load_settings(allocation=EASY)
    with writer(settings) as con:
        build(con)
    return settings, allocate(settings)


def rows(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    with reader(settings) as con:
        return con.execute(sql).fetchall()


def node_costs(settings: Settings) -> dict[tuple[str, int], tuple[str, Decimal, Decimal]]:
    """(node, hour index) → (price source, amortized, invoice) from node_cost_hours."""
    return {
        (n, int((hour - h(0)).total_seconds()) // 3600): (src, eff, bil)
        for n, hour, src, eff, bil in rows(
            settings,
            "SELECT node, hour, price_source, node_cost, node_billed_cost FROM node_cost_hours",
        )
    }


def two_instances_one_day(con: Connection) -> None:
    # vm0: hours 0–22 (not 23). vm1: hour 8 for half of it, hours 9–15 whole.
    node(con, "vm0", instance_id(0), cpu=4, ram_gib=8, hours=range(0, 23))
    node(con, "vm1", instance_id(1), cpu=4, ram_gib=8, hours=range(8, 9), running=0.5)
    node(con, "vm1", instance_id(1), cpu=4, ram_gib=8, hours=range(9, 16))
    # The daily FocusCost line: $9.60 amortized, $12.00 invoice → 0.40 and 0.50 per hour.
    bill(con, SET_BILL, h(0), h(24), "9.60", "12.00", service="Virtual Machines")


def test_daily_scale_set_line_split_by_node_hours() -> None:
    settings, report = run(two_instances_one_day)
    got = node_costs(settings)
    # Hours 0–7 and 16–22 (15 h): vm0 alone takes the whole hour, 0.40 / 0.50.
    for i in (*range(0, 8), *range(16, 23)):
        assert got[("vm0", i)] == ("bill", D("0.40"), D("0.50")), i
    # Hour 8: weights vm0 1.0, vm1 0.5 (Σ 1.5). vm1 = 0.40·0.5/1.5 = 0.133333333333 (12 dp),
    # vm0 (the larger weight) the remainder 0.40 − 0.133333333333 = 0.266666666667.
    # Invoice: vm1 = 0.50/3 = 0.166666666667, vm0 = 0.50 − 0.166666666667 = 0.333333333333.
    assert got[("vm1", 8)] == ("bill", D("0.133333333333"), D("0.166666666667"))
    assert got[("vm0", 8)] == ("bill", D("0.266666666667"), D("0.333333333333"))
    # Hours 9–15: equal weights, 0.20 / 0.25 each.
    for i in range(9, 16):
        assert got[("vm0", i)] == got[("vm1", i)] == ("bill", D("0.20"), D("0.25")), i
    assert len(got) == 23 + 8
    totals = {n: sum(v[1] for (m, _), v in got.items() if m == n) for n in ("vm0", "vm1")}
    # vm0: 15·0.40 + 0.266666666667 + 7·0.20 = 7.666666666667
    # vm1: 0.133333333333 + 7·0.20 = 1.533333333333
    assert totals == {"vm0": D("7.666666666667"), "vm1": D("1.533333333333")}
    # Hour 23 nobody of the set was observed: its 0.40 / 0.50 is unallocated, by service.
    assert rows(
        settings,
        "SELECT hour, cluster, service_name, total_cost, billed_total_cost "
        "FROM allocations WHERE kind = 'unallocated'",
    ) == [(h(23), "c1", "Virtual Machines", D("0.40"), D("0.50"))]
    # 7.666666666667 + 1.533333333333 (all idle: no containers) + 0.40 = 9.60 exactly.
    month = {r.basis: r for r in report.reconciliation}
    assert (month["amortized"].bill, month["amortized"].idle, month["amortized"].unallocated) == (
        D("9.60"),
        D("9.20"),
        D("0.40"),
    )
    assert (month["invoice"].bill, month["invoice"].idle, month["invoice"].unallocated) == (
        D("12.00"),
        D("11.50"),
        D("0.50"),
    )
    assert report.reconciled and report.price_sources == {"bill": 31}


def test_exact_instance_line_keeps_its_node() -> None:
    # Instance-level export lines (vm1's own ARM id, upper case) match vm1 only; the set's
    # hourly $1.00 line is split 0.50 / 0.50 between both. Hour 0: vm1 = 0.50 + 0.30 = 0.80,
    # vm0 = 0.50; hour 1: 0.50 each. Nothing is unallocated.
    def build(con: Connection) -> None:
        node(con, "vm0", instance_id(0), cpu=4, ram_gib=8, hours=range(2))
        node(con, "vm1", instance_id(1), cpu=4, ram_gib=8, hours=range(2))
        bill(con, SET_BILL, h(0), h(2), "2.00", service="Virtual Machines")
        bill(
            con, f"{SET}/virtualMachines/1".upper(), h(0), h(1), "0.30", service="Virtual Machines"
        )

    settings, report = run(build)
    got = {k: v[1] for k, v in node_costs(settings).items()}
    assert got == {
        ("vm0", 0): D("0.50"),
        ("vm1", 0): D("0.80"),
        ("vm0", 1): D("0.50"),
        ("vm1", 1): D("0.50"),
    }
    assert rows(settings, "SELECT count(*) FROM allocations WHERE kind = 'unallocated'") == [(0,)]
    assert report.reconciled


def test_remainder_goes_to_one_node_so_parts_sum_exactly() -> None:
    # $1.00 for one hour over three equal instances: 1/3 = 0.333333333333 (12 dp) twice,
    # and the first by name (equal weights) takes 1.00 − 2·0.333333333333 = 0.333333333334,
    # as costmath.split_exact specifies.
    def build(con: Connection) -> None:
        for i in range(3):
            node(con, f"vm{i}", instance_id(i), cpu=4, ram_gib=8)
        bill(con, SET_BILL, h(0), h(1), "1.00", service="Virtual Machines")

    settings, report = run(build)
    got = {n: v[1] for (n, _), v in node_costs(settings).items()}
    assert got == {
        "vm0": D("0.333333333334"),
        "vm1": D("0.333333333333"),
        "vm2": D("0.333333333333"),
    }
    assert got == split_exact(D("1.00"), {f"vm{i}": D(1) for i in range(3)})
    assert report.reconciled


def test_containers_on_a_scale_set_node_are_priced_from_the_bill() -> None:
    # vm0 alone in the hour costs the line's 1.00; 4 CPU + 8 GiB: M = 4·3 + 8 = 20,
    # p_ram = 1.00/20 = 0.05, p_cpu = 0.15. A container of 1 core and 2 GiB: 0.15 + 0.10.
    def build(con: Connection) -> None:
        node(con, "vm0", instance_id(0), cpu=4, ram_gib=8)
        bill(con, SET_BILL, h(0), h(1), "1.00", service="Virtual Machines")
        container(con, "shop", "web-0", "app", "vm0", 0, cpu_req=1, ram_req_gib=2)

    settings, report = run(build)
    assert rows(
        settings, "SELECT container, cpu_cost, ram_cost FROM allocations WHERE kind = 'workload'"
    ) == [("app", D("0.15"), D("0.10"))]
    assert report.reconciled and report.reconciliation[0].allocated == D("0.25")


def test_other_scale_sets_and_single_vms_are_not_confused() -> None:
    # A line of another scale set in the same resource group matches no node (unallocated);
    # a single VM (no scale set) still joins on its own ARM id.
    vm = (
        "/subscriptions/1111-2222/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm9"
    )

    def build(con: Connection) -> None:
        node(con, "vm0", instance_id(0), cpu=4, ram_gib=8)
        node(con, "vm9", vm.lower(), cpu=4, ram_gib=8)
        bill(con, SET_BILL + "2", h(0), h(1), "0.70", service="Virtual Machines")
        bill(con, vm.upper(), h(0), h(1), "0.90", service="Virtual Machines")

    settings, report = run(build)
    got = {n: v for (n, _), v in node_costs(settings).items()}
    assert got["vm9"][:2] == ("bill", D("0.90"))
    assert got["vm0"][0] == "default"  # no line of its own: an estimate
    assert rows(settings, "SELECT total_cost FROM allocations WHERE kind = 'unallocated'") == [
        (D("0.70"),)
    ]
    assert report.reconciled


# --- property: for any scale set, lines and presence, the split matches the specification ---

_TMP = Path(tempfile.mkdtemp(prefix="penny-vmss-"))
amounts = st.decimals(min_value=-50, max_value=500, places=6, allow_nan=False)
presence = st.dictionaries(st.integers(0, 5), st.sampled_from([0.25, 0.5, 0.75, 1.0]), max_size=6)


@hyp_settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    nodes=st.lists(presence, min_size=1, max_size=3),
    lines=st.lists(
        st.tuples(
            st.integers(0, 5),
            st.integers(1, 8),
            amounts,
            amounts,
            st.sampled_from([SET, SET_BILL, SET.upper()]),
        ),
        min_size=1,
        max_size=5,
    ),
)
@example(  # a draw the old fixed tolerance (1e-12 × lines) failed: vm0 at hour 4 is 2e-12 off
    nodes=[
        {0: 0.75, 1: 0.25, 2: 0.5, 4: 1.0, 5: 0.75},
        {0: 0.75, 1: 0.25, 3: 0.75, 4: 0.5, 5: 1.0},
        {2: 1.0, 4: 0.5, 5: 0.75},
    ],
    lines=[(0, 7, D("496.878321"), D("496.878321"), SET)],
)
def test_split_follows_split_exact_and_reconciles(
    nodes: list[dict[int, float]], lines: list[tuple[Any, ...]]
) -> None:
    settings = load_settings(db=_TMP / f"{uuid.uuid4().hex}.duckdb", allocation=EASY)
    want: dict[tuple[str, int], list[Decimal]] = defaultdict(lambda: [D(0), D(0)])
    unallocated = [D(0), D(0)]
    with writer(settings) as con:
        for i, hours in enumerate(nodes):
            con.execute(
                "INSERT INTO k8s_nodes (cluster, node, instance_id, ingest_id) "
                "VALUES ('c1', ?, ?, 'test')",
                [f"vm{i}", instance_id(i)],
            )
            for hour, running in hours.items():
                node(
                    con,
                    f"vm{i}",
                    instance_id(i),
                    cpu=2,
                    ram_gib=4,
                    hours=range(hour, hour + 1),
                    running=running,
                )
        for start, length, eff, bil, rid in lines:
            bill(con, rid, h(start), h(start + length), str(eff), str(bil))
            # specification: prorate over the hours, then split_exact by running hours
            for basis, amount in enumerate((eff, bil)):
                for k, part in enumerate(prorate(amount, length)):
                    present = {
                        f"vm{i}": D(str(hs[start + k]))
                        for i, hs in enumerate(nodes)
                        if start + k in hs
                    }
                    if not present:
                        unallocated[basis] += part
                    for n, share in split_exact(part, present).items():
                        want[(n, start + k)][basis] += share
    # boundary rule: the set is billed, so its nodes' hours inside the bill's coverage
    # (up to the latest line end) are bill node-hours even where no line covers them: 0
    covered_until = max(start + length for start, length, *_ in lines)
    for i, hs in enumerate(nodes):
        for hour in hs:
            if hour < covered_until:
                want.setdefault((f"vm{i}", hour), [D(0), D(0)])
    report = allocate(settings)
    assert report.reconciled
    got = {k: v[1:] for k, v in node_costs(settings).items() if v[0] == "bill"}
    assert set(got) == set(want)
    # The SQL is not the Decimal specification computed twice: it prorates through a double
    # (CAST(amount::DOUBLE / n AS DECIMAL(38,12))) and splits with a double share
    # (CAST(part::DOUBLE * rh / Σrh AS DECIMAL(38,12))). With |amount| ≤ 500 a double
    # carries the exact value to within 500 × 2⁻⁵² ≈ 1.1e-13, under one unit q = 1e-12 of
    # the 12th decimal, so each rounded value can land on the neighbouring multiple of q:
    #   proration: an hour's part differs by ≤ 1 q, the last hour (the remainder of
    #              n − 1 parts) by ≤ (n − 1) q: e_p;
    #   split:     a node's part by ≤ e_p + 1 q, the remainder node (amount − Σ of the
    #              k − 1 others) by ≤ 2·e_p + (k − 1) q.
    # So a node-hour may differ from the specification by Σ over the lines covering it of
    # 2·e_p + max(1, k − 1) q — a bound derived from the representation, not a guess
    # (a single line over three nodes already gives 2 q; the old fixed 1e-12 × lines
    # failed on such a draw and Hypothesis's database replayed it on every later run).
    q = D("1e-12")
    bound: dict[tuple[str, int], Decimal] = defaultdict(lambda: D(0))
    unallocated_bound = D(0)
    for start, length, *_ in lines:
        for k in range(length):
            e_p = q * (length - 1) if k == length - 1 else q
            present = [f"vm{i}" for i, hs in enumerate(nodes) if start + k in hs]
            if not present:
                unallocated_bound += e_p
            for n in present:
                bound[(n, start + k)] += 2 * e_p + q * max(1, len(present) - 1)
    for key, (eff, bil) in got.items():
        assert abs(eff - want[key][0]) <= bound[key], (key, eff, want[key][0], bound[key])
        assert abs(bil - want[key][1]) <= bound[key], (key, bil, want[key][1], bound[key])
    stored = rows(
        settings,
        "SELECT coalesce(sum(total_cost), 0), "
        "coalesce(sum(billed_total_cost), 0) "
        "FROM allocations WHERE kind = 'unallocated'",
    )[0]
    assert abs(stored[0] - unallocated[0]) <= unallocated_bound
    assert abs(stored[1] - unallocated[1]) <= unallocated_bound
    # and exactly: every line-hour lands in a node-hour or in __unallocated__, whole
    assert sum(v[0] for v in got.values()) + stored[0] == sum(x[2] for x in lines)
    assert sum(v[1] for v in got.values()) + stored[1] == sum(x[3] for x in lines)


# --- end to end: an Azure FocusCost line and AKS metrics through the CLI ---

_T0 = 1790812800  # 2026-10-01T00:00:00Z
_GIB = 1024**3
_N0, _N1 = "aks-nodepool1-vmss000000", "aks-nodepool1-vmss000001"


def _aks_openmetrics(path: Path) -> Path:
    """Two AKS nodes, samples every minute until 03:00: vmss000000 from 00:00, vmss000001
    from 01:00; pod shop/web-0 on vmss000000 requesting 1 core and 2 GiB the whole time."""
    web = {"namespace": "shop", "pod": "web-0", "uid": "u-web"}
    use = {"namespace": "shop", "pod": "web-0", "container": "app", "node": _N0}
    series: list[tuple[str, dict[str, str], int, float]] = [
        (
            "kube_node_info",
            {"node": _N0, "provider_id": f"azure://{SET}/virtualMachines/0"},
            0,
            1.0,
        ),
        (
            "kube_node_info",
            {"node": _N1, "provider_id": f"azure://{SET}/virtualMachines/1"},
            60,
            1.0,
        ),
        ("kube_node_status_capacity", {"node": _N0, "resource": "cpu", "unit": "core"}, 0, 4.0),
        (
            "kube_node_status_capacity",
            {"node": _N0, "resource": "memory", "unit": "byte"},
            0,
            8.0 * _GIB,
        ),
        ("kube_node_status_capacity", {"node": _N1, "resource": "cpu", "unit": "core"}, 60, 4.0),
        (
            "kube_node_status_capacity",
            {"node": _N1, "resource": "memory", "unit": "byte"},
            60,
            8.0 * _GIB,
        ),
        ("kube_pod_info", {**web, "node": _N0}, 0, 1.0),
        ("kube_pod_container_status_running", {**web, "container": "app"}, 0, 1.0),
        (
            "kube_pod_container_resource_requests",
            {**web, "container": "app", "node": _N0, "resource": "cpu", "unit": "core"},
            0,
            1.0,
        ),
        (
            "kube_pod_container_resource_requests",
            {**web, "container": "app", "node": _N0, "resource": "memory", "unit": "byte"},
            0,
            2.0 * _GIB,
        ),
        ("container_cpu_usage_seconds_total", use, 0, 0.0),
        ("container_memory_working_set_bytes", use, 0, 1.0 * _GIB),
    ]
    text, typed = [], set()
    for name, labels, first_minute, value in series:
        if name not in typed:
            kind = "counter" if name.endswith("_total") else "gauge"
            text.append(f"# TYPE {name.removesuffix('_total')} {kind}")
            typed.add(name)
        lab = ",".join(f'{k}="{v}"' for k, v in labels.items())
        text += [f"{name}{{{lab}}} {value!r} {_T0 + 60 * m}" for m in range(first_minute, 181)]
    path.write_text("\n".join([*text, "# EOF"]) + "\n", encoding="utf-8")
    return path


def test_focus_and_metrics_ingest_then_allocate(
    tmp_path: Path, penny_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (penny_env / "config.yaml").write_text(
        "allocation:\n  default_prices: {cpu_core_hour: '3', ram_gib_hour: '1', gpu_hour: '30'}\n"
    )
    focus = write_csv(
        tmp_path / "focuscost.csv",
        [
            line(
                ProviderName="Microsoft",
                PublisherName="Microsoft",
                InvoiceIssuerName="Microsoft",
                ResourceId=SET_BILL,
                ResourceName="aks-nodepool1-vmss",
                ResourceType="Virtual machine scale set",
                ServiceName="Virtual Machines",
                ChargePeriodStart="2026-10-01 00:00:00",
                ChargePeriodEnd="2026-10-02 00:00:00",
                BilledCost="24.00",
                EffectiveCost="24.00",
                ListCost="24.00",
                ContractedCost="24.00",
                ConsumedQuantity="48",
                PricingQuantity="48",
                Tags=None,
            )
        ],
    )
    metrics = _aks_openmetrics(tmp_path / "aks.om")
    assert main(["ingest", "focus", str(focus)]) == 0
    assert (
        main(
            [
                "ingest",
                "openmetrics",
                str(metrics),
                "--cluster",
                "aks",
                "--start",
                "2026-10-01T00:00:00Z",
                "--end",
                "2026-10-01T03:00:00Z",
            ]
        )
        == 0
    )
    assert main(["allocate"]) == 0
    capsys.readouterr()
    settings = load_settings()
    # $24.00/day = 1.00/h. Hour 0: vmss000000 alone, 1.00; hours 1–2: 0.50 each.
    assert rows(
        settings, "SELECT node, hour, price_source, node_cost FROM node_cost_hours ORDER BY 1, 2"
    ) == [
        (_N0, h(0), "bill", D("1.00")),
        (_N0, h(1), "bill", D("0.50")),
        (_N0, h(2), "bill", D("0.50")),
        (_N1, h(1), "bill", D("0.50")),
        (_N1, h(2), "bill", D("0.50")),
    ]
    # 4 CPU + 8 GiB: M = 20. Hour 0: p_cpu 0.15, p_ram 0.05 → web-0 = 0.15 + 2·0.05 = 0.25;
    # hours 1–2 at half the price: 0.125 each. Σ 0.50.
    assert rows(
        settings,
        "SELECT hour, cpu_cost + ram_cost FROM allocations WHERE kind = 'workload' ORDER BY 1",
    ) == [(h(0), D("0.25")), (h(1), D("0.125")), (h(2), D("0.125"))]
    # Hours 3–23 (21 h) saw no node of the set: 21.00 unallocated, in cluster 'aks'.
    assert rows(
        settings,
        "SELECT cluster, count(*), sum(total_cost) FROM allocations "
        "WHERE kind = 'unallocated' GROUP BY 1",
    ) == [("aks", 21, D("21.00"))]
    assert rows(settings, "SELECT sum(total_cost) FROM allocations WHERE kind = 'idle'") == [
        (D("2.50"),)
    ]  # node cost 3.00 − workload 0.50
