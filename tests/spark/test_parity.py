"""Spark gives DuckDB's numbers to the cent: allocation and every grouping of query_costs.

Both engines run the same SQL (the Spark engine transpiles it). On the demo and on a
generated cluster: the monthly reconciliation (bill = allocated + idle + unallocated)
holds exactly on Spark and equals DuckDB's to the cent, and for every dimension
``query_costs`` returns the same groups with the same cost per resource and total, each
rounded to the cent, on both bases.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from assistant.costs.dimensions import DIMENSIONS
from assistant.costs.query import query_costs
from assistant.spark.engine import spark_reader
from assistant.warehouse.db import reader
from assistant.windows import Window

from .conftest import WEEK, Allocated

#: the session's first Spark test builds the lake and allocates it with both engines;
#: on a busy 2-core machine that alone has taken ten minutes
pytestmark = pytest.mark.timeout(1800)

CENT = Decimal("0.01")
GROUPINGS = [*DIMENSIONS, "label:app", "label:team"]


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _months(report: Any) -> list[tuple[object, ...]]:
    return [
        (r.month, r.basis, *(cents(v) for v in (r.bill, r.allocated, r.idle, r.unallocated)))
        for r in report.reconciliation
    ]


def _table(con: Any, allocated: Allocated, window: Window, by: str, basis: str) -> list[Any]:
    table = query_costs(
        con,
        window=window,
        group_by=by,
        basis=basis,
        settings=allocated.settings,  # type: ignore[arg-type]
    )
    rows = [
        (r.name, r.kind, {k: cents(v) for k, v in r.costs.items()}, cents(r.total))
        for r in table.rows
    ]
    return [*rows, ("TOTAL", cents(table.totals.total)), table.provenance.notes]


@pytest.mark.slow
@pytest.mark.parametrize("data", ["demo_allocated", "generated_allocated"])
def test_allocation_reconciles_and_equals_duckdb(data: str, request: pytest.FixtureRequest) -> None:
    allocated: Allocated = request.getfixturevalue(data)
    spark, duck = allocated.spark, allocated.duckdb
    assert spark.reconciled  # differences exactly 0 within Spark's own DECIMAL arithmetic
    assert spark.reconciliation and _months(spark) == _months(duck)
    assert (spark.container_hours, spark.node_hours, spark.price_sources) == (
        duck.container_hours,
        duck.node_hours,
        duck.price_sources,
    )


def _every_grouping(allocated: Allocated, window: Window, bases: tuple[str, ...]) -> None:
    with reader(allocated.settings) as dcon, spark_reader(allocated.settings) as scon:
        for basis in bases:
            for by in GROUPINGS:
                want = _table(dcon, allocated, window, by, basis)
                assert len(want) > 2, (by, basis)  # some groups besides the total
                assert _table(scon, allocated, window, by, basis) == want, (by, basis)


@pytest.mark.slow
def test_every_grouping_of_the_demo_equals_duckdb(demo_allocated: Allocated) -> None:
    """A week of the small demo (Oct 5–12 2026): 3 clusters, idle, unallocated, PV and LB
    rows, GPUs; 13 groupings × 2 bases, every row."""
    _every_grouping(demo_allocated, WEEK, ("amortized", "invoice"))


@pytest.mark.slow
def test_every_grouping_of_a_generated_cluster_equals_duckdb(
    generated_allocated: Allocated,
) -> None:
    """Both days of the 60-pod synthetic cluster (bill lines on every node-hour; its
    invoice and amortized costs are the same lines, so one basis)."""
    window = Window(datetime(2026, 10, 1), datetime(2026, 10, 3))
    _every_grouping(generated_allocated, window, ("amortized",))
