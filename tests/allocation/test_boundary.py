"""Boundary hours and estimates (issue 10, defect 1).

Rule: a node the bill mentions is never priced from default prices for an hour without a
line while the bill covers that hour: that hour costs what the bill says, $0, so its
containers cost 0 and no idle is invented. Only nodes the bill never mentions (and hours
past the bill's latest line) are priced from the price list, and those are estimates:
listed apart, never in a total, never in a bill-to-bill comparison.

An estimated node-hour is priced from ``allocation.prices`` (OpenCost's defaults here):
2 CPUs × 0.031611 + 4 GiB × 0.004237 = $0.08017 an hour for a 2-CPU 4-GiB node.

Before the fix the boundary hour of ``n1`` below was priced at those defaults ($0.08017 ×
1/12 h) and counted: ``penny costs`` said more than the bill, ``penny allocate`` said
"difference 0.00" with an estimated column, and ``penny bill`` compared November with an
October that included the estimate.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from assistant.billing.explain import explain_bill
from assistant.config import Settings, load_settings
from assistant.core.scope import Scope
from assistant.costs.query import query_costs
from assistant.warehouse.db import Connection, reader, writer
from assistant.windows import Window, month_window
from tests.allocation.alloc_rows import bill, container, h, node
from tests.allocation.test_allocate import EASY, rows, run

D = Decimal
HOURS = Window(h(0), h(6))


def _cluster(con: Connection) -> None:
    # n1: billed $1.00 for hours 0–2; metrics see it in hours 0–2 and, for one 5-minute
    # sample after it was terminated, in hour 3 (running 1/12 of the hour)
    node(con, "n1", "i-1", cpu=2, ram_gib=4, hours=range(3))
    node(con, "n1", "i-1", cpu=2, ram_gib=4, hours=range(3, 4), running=1 / 12)
    for i in range(3):
        bill(con, "i-1", h(i), h(i + 1), "1.00")
    container(con, "shop", "web-0", "app", "n1", 3, running=1 / 12, cpu_req=1, ram_req_gib=1)
    # n2: billed $0.50 an hour for hours 0–5, so the bill covers the cluster up to hour 6
    node(con, "n2", "i-2", cpu=2, ram_gib=4, hours=range(6))
    for i in range(6):
        bill(con, "i-2", h(i), h(i + 1), "0.50")


def _total(settings: Settings, window: Window = HOURS, **kw: object) -> tuple[D, D, list[str]]:
    with reader(settings) as con:
        t = query_costs(con, window=window, settings=settings, **kw)  # type: ignore[arg-type]
    return t.totals.total, t.estimated_total, [r.name for r in t.estimates]


def test_boundary_hour_of_a_billed_node_costs_what_the_bill_says() -> None:
    settings, report = run(_cluster)
    # node-hour (n1, 3): no line, inside the bill's coverage → bill, $0, nothing estimated
    got = rows(
        settings,
        "SELECT price_source, node_cost, node_billed_cost FROM node_cost_hours "
        f"WHERE node = 'n1' AND hour = '{h(3)}'",
    )
    assert got == [("bill", D(0), D(0))]
    assert rows(
        settings, f"SELECT total_cost FROM allocations WHERE pod = 'web-0' AND hour = '{h(3)}'"
    ) == [(D(0),)]
    assert report.unbilled_node_hours == 1 and report.price_sources == {"bill": 10}
    # 3 × $1.00 + 6 × $0.50 = $6.00 = the bill, in every grouping and both bases
    for group_by in ("namespace", "node", "cluster", "pod", "service"):
        for basis in ("amortized", "invoice"):
            assert _total(settings, group_by=group_by, basis=basis) == (D("6.00"), D(0), [])
    month = report.reconciliation[0]
    assert (month.bill, month.estimated, month.difference) == (D("6.00"), D(0), D(0))


def test_a_node_the_bill_never_mentions_is_an_estimate_apart() -> None:
    def build(con: Connection) -> None:
        _cluster(con)
        node(con, "n3", "i-3", cpu=2, ram_gib=4, hours=range(2))  # no bill line anywhere

    settings, report = run(build)
    # n3: 2 hours × $0.08017 = $0.16034, named apart; the total is still the bill's $6.00
    assert _total(settings, group_by="namespace") == (D("6.00"), D("0.16034"), ["__idle__"])
    assert _total(settings, group_by="node") == (D("6.00"), D("0.16034"), ["n3"])
    assert report.reconciliation[0].estimated == D("0.16034")
    with reader(settings) as con:
        table = query_costs(con, window=HOURS, group_by="namespace", settings=settings)
    assert any("estimated from the price list" in n for n in table.provenance.notes)


def test_hours_past_the_bills_coverage_are_estimates() -> None:
    def build(con: Connection) -> None:
        _cluster(con)
        node(con, "n2", "i-2", cpu=2, ram_gib=4, hours=range(6, 8))  # the bill ends at hour 6

    settings, _ = run(build)
    # hours 6–7 of n2: the bill has not arrived yet → 2 × $0.08017 estimated, not $0
    assert _total(settings, Window(h(0), h(8)), group_by="node") == (
        D("6.00"),
        D("0.16034"),
        ["n2"],
    )


def test_bill_month_over_month_compares_the_two_bills() -> None:
    """October's boundary hour (a stale sample at Oct 31 00:00 of a node billed until
    then) must not make "Against 2026-10 ($X)" differ from October's bill."""
    oct1, oct31, nov1, dec1 = (
        datetime(2026, 10, 1),
        datetime(2026, 10, 31),
        datetime(2026, 11, 1),
        datetime(2026, 12, 1),
    )
    settings = load_settings(allocation=EASY, now="2026-12-02T00:00:00Z")
    with writer(settings) as con:
        con.execute(
            "INSERT INTO k8s_nodes (cluster, node, instance_id, ingest_id) "
            "VALUES ('c1', 'n1', 'i-1', 't'), ('c1', 'n2', 'i-2', 't')"
        )
        # n1: Oct 1 – Oct 31 00:00 at $1/h ($720), one sample in the hour after, no line
        for i in range(30 * 24 + 1):
            t = oct1 + timedelta(hours=i)
            con.execute(
                "INSERT INTO node_hours VALUES ('c1', 'n1', ?, ?, 2, ?, 0, 't')",
                [t, 1.0 if t < oct31 else 1 / 12, 4 * 1024**3],
            )
        bill(con, "i-1", oct1, oct31, "720.00")
        # n2: October and November at $2/h, one line a month
        for i in range(61 * 24):
            con.execute(
                "INSERT INTO node_hours VALUES ('c1', 'n2', ?, 1.0, 2, ?, 0, 't')",
                [oct1 + timedelta(hours=i), 4 * 1024**3],
            )
        bill(con, "i-2", oct1, nov1, "1488.00")
        bill(con, "i-2", nov1, dec1, "1440.00")
    from assistant.allocation.allocate import allocate

    allocate(settings)
    with reader(settings) as con:
        expl = explain_bill(
            con, month_window(2026, 11), scope=Scope.everything(), settings=settings
        )
    # October's bill: 720 + 1488 = 2208; November's 1440; change −768 = −34.78 %
    assert expl.totals is not None and expl.previous_totals is not None
    assert expl.previous_totals.amortized == D("2208.00")
    assert expl.variance is not None and expl.variance.total_a == D("2208.00")
    assert "Against 2026-10 ($2,208.00) it is down $768.00 (-34.78%)." in expl.narrative
    assert expl.estimated == D(0)
