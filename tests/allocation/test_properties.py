"""Hypothesis properties of the real SQL pipeline on generated small clusters.

1. Reconciliation: for any generated period, Σ workload + Σ idle + Σ unallocated over
   bill-priced rows = Σ EffectiveCost, and likewise = Σ BilledCost, exactly (the window
   covers every line whole). Shared cost is moved at query time and sums to zero.
2. The SQL gives the numbers of the pure specification (costmath) for every container.
"""

from __future__ import annotations

import tempfile
import uuid
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from assistant.allocation.allocate import allocate
from assistant.allocation.costmath import (
    container_quantities,
    money,
    node_resource_costs,
    ratio_split,
)
from assistant.config import Settings, load_settings
from assistant.costs.query import query_costs
from assistant.warehouse.db import reader, writer
from assistant.windows import Window
from tests.allocation.alloc_rows import GIB, bill, container, h, mount, node, pv, pvc_hour

D = Decimal
_TMP = Path(tempfile.mkdtemp(prefix="penny-prop-"))

amounts = st.decimals(min_value=-50, max_value=500, places=6, allow_nan=False)
node_st = st.fixed_dictionaries(
    {
        "cpu": st.integers(1, 16),
        "ram": st.integers(1, 64),
        "gpu": st.integers(0, 2),
        "billed": st.booleans(),
        "hours": st.sets(st.integers(0, 5), min_size=1),
    }
)
line_st = st.tuples(st.integers(0, 7), st.integers(0, 30), amounts, amounts)
cont_st = st.tuples(
    st.integers(0, 2),
    st.integers(0, 5),
    st.one_of(st.none(), st.floats(0, 8)),
    st.one_of(st.none(), st.floats(0, 8)),
    st.one_of(st.none(), st.floats(0, 32)),
    st.floats(0.01, 1.0),
)


def _fresh() -> Settings:
    return load_settings(db=_TMP / f"{uuid.uuid4().hex}.duckdb")


@hyp_settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    nodes=st.lists(node_st, min_size=1, max_size=3),
    lines=st.lists(line_st, max_size=8),
    conts=st.lists(cont_st, max_size=10),
    other=st.lists(st.tuples(amounts, amounts), max_size=3),
    pv_billed=st.booleans(),
)
def test_allocated_idle_unallocated_equal_the_bill(
    nodes: list[dict], lines: list, conts: list, other: list, pv_billed: bool
) -> None:
    settings = _fresh()
    eff_total = D(0)
    bil_total = D(0)
    with writer(settings) as con:
        for i, n in enumerate(nodes):
            node(
                con,
                f"n{i}",
                f"i-{i}" if n["billed"] else None,
                cpu=n["cpu"],
                ram_gib=n["ram"],
                gpu=n["gpu"],
                hours=range(min(n["hours"]), max(n["hours"]) + 1),
            )
        for k, (start, length, eff, bil) in enumerate(lines):
            # lines on billed nodes (some outside node hours) plus a daily tax line
            target = f"i-{k % len(nodes)}" if nodes[k % len(nodes)]["billed"] else None
            bill(con, target, h(start), h(start) + (h(length) - h(0)), str(eff), str(bil))
            eff_total += eff
            bil_total += bil
        for eff, bil in other:
            bill(con, None, h(0), h(24), str(eff), str(bil), service="Tax", category="Tax")
            eff_total += eff
            bil_total += bil
        for idx, (ni, hour, req, use, ram, running) in enumerate(conts):
            if ni < len(nodes):
                container(
                    con,
                    "ns",
                    f"p{ni}",
                    f"c{idx}",
                    f"n{ni}",
                    hour,
                    running=running,
                    cpu_req=req,
                    cpu_use=use,
                    ram_req_gib=ram,
                )
        pv(con, "pv1", "vol-1", 10)
        pvc_hour(con, "ns", "data", "pv1", 0, 10)
        mount(con, "ns", "p0", "data", 0, 0.5)
        if pv_billed:
            bill(con, "vol-1", h(0), h(3), "0.30", "0.20", service="EBS")
            eff_total += D("0.30")
            bil_total += D("0.20")
    report = allocate(settings)
    assert report.reconciled
    with reader(settings) as con:
        got = con.execute(
            "SELECT coalesce(sum(total_cost), 0), coalesce(sum(billed_total_cost), 0)"
            " FROM allocations WHERE price_source = 'bill'"
        ).fetchone()
        assert got == (eff_total, bil_total)
        if report.rows:
            # Sharing at query time moves cost, never creates or loses it.
            win = report.window
            plain = query_costs(con, window=win, settings=settings)
            shared = query_costs(
                con, window=win, settings=settings, share_idle=True, shared_namespaces=["ns"]
            )
            assert plain.totals.total == shared.totals.total


@hyp_settings(max_examples=15, deadline=None)
@given(
    cpu=st.integers(1, 64),
    ram=st.integers(1, 256),
    gpu=st.integers(0, 8),
    cost=st.decimals(min_value=D("0.01"), max_value=100, places=6),
    conts=st.lists(
        st.tuples(
            st.one_of(st.none(), st.floats(0, 8)),
            st.floats(0, 8),
            st.floats(0, 64),
            st.one_of(st.none(), st.integers(0, 2)),
            st.floats(0.05, 1.0),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_sql_matches_pure_specification(
    cpu: int, ram: int, gpu: int, cost: Decimal, conts: list
) -> None:
    settings = _fresh()
    with writer(settings) as con:
        node(con, "n", "i-n", cpu=cpu, ram_gib=ram, gpu=gpu)
        bill(con, "i-n", h(0), h(1), str(cost))
        for k, (req, use, ram_req, g, running) in enumerate(conts):
            container(
                con,
                "ns",
                "p",
                f"c{k}",
                "n",
                0,
                running=running,
                cpu_req=req,
                cpu_use=use,
                ram_req_gib=ram_req,
                gpu=g,
            )
    allocate(settings, Window(h(0), h(1)))
    d = settings.allocation.default_prices
    prices = ratio_split(
        cost,
        cpu_cores=cpu,
        ram_gib=ram,
        gpu_count=gpu,
        default_cpu=d.cpu_core_hour,
        default_ram=d.ram_gib_hour,
        default_gpu=d.gpu_hour,
    )
    with reader(settings) as con:
        got = {
            c: (a, b, g)
            for c, a, b, g in con.execute(
                "SELECT container, cpu_cost, ram_cost, gpu_cost FROM allocations "
                "WHERE kind = 'workload'"
            ).fetchall()
        }
        idle = dict(
            con.execute(
                "SELECT resource, total_cost FROM allocations WHERE kind = 'idle'"
            ).fetchall()
        )
    node_parts = node_resource_costs(cost, prices, cpu_cores=cpu, gpu_count=gpu)
    for resource, index in (("cpu", 0), ("ram", 1), ("gpu", 2)):
        # idle = node cost of the resource − Σ container cost of it (spec: costmath)
        want_idle = node_parts[resource] - sum((v[index] for v in got.values()), D(0))
        assert abs(idle.get(resource, D(0)) - want_idle) <= D("1e-9"), resource
    for k, (req, use, ram_req, g, running) in enumerate(conts):
        q = container_quantities(
            cpu_request=req,
            cpu_usage=use,
            ram_request_bytes=ram_req * GIB,
            ram_usage_bytes=None,
            gpu_request=g,
            running_hours=running,
        )
        want = (
            money(D(q["cpu_core_hours"]) * prices.cpu),
            money(D(q["ram_gib_hours"]) * prices.ram),
            money(D(q["gpu_hours"]) * prices.gpu),
        )
        for sql_value, spec in zip(got[f"c{k}"], want, strict=True):
            assert abs(sql_value - spec) <= D("1e-9"), (k, sql_value, spec)
