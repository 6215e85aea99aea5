"""Usage counters for unit costs (settings.units): hourly increases, the same rows from a
file and from Prometheus, and the cost per request they make possible.

The counter (tests/ingest/metrics/cluster_file.py) goes +10 a minute from 10:00 and
restarts at 11:30. Read at the 5-minute step: 10:05 … 11:00 are 12 points of +50 = 600
requests in hour 10; 11:05 … 12:00 are 12 points, of which 11:30 reads 0 after 850 (a
restart: its increase is the new value, 0), so 11 × 50 = 550 in hour 11.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.allocation.allocate import allocate
from assistant.capabilities.context import Ctx
from assistant.capabilities.units import UnitCostRequest, unit_cost
from assistant.config import Settings, UnitMetric, load_settings
from assistant.errors import DataGap
from assistant.ingest.metrics.openmetrics import ingest_openmetrics
from assistant.ingest.metrics.prometheus import ingest_prometheus
from assistant.ingest.metrics.units import hourly_increases, selector
from assistant.warehouse.db import reader

from .cluster_file import T0, write
from .fake_prometheus import FakeConfig, fake_prometheus

END = T0 + timedelta(hours=2)
UNITS = [
    {
        "unit": "request",
        "metric": "http_requests_total",
        "namespace": "shop",
        "workload": "web",
        "labels": {"service": "web"},
    }
]


@pytest.fixture
def settings(penny_env: Path) -> Settings:
    return load_settings(units=UNITS, now=datetime(2026, 10, 1, 12))


def _rows(settings: Settings, cluster: str) -> list[tuple[object, ...]]:
    with reader(settings) as con:
        return con.execute(
            "SELECT namespace, workload, unit, metric, hour, quantity FROM unit_usage_hours "
            "WHERE cluster = ? ORDER BY hour",
            [cluster],
        ).fetchall()


def test_hourly_increase_with_a_restart_and_a_sample_on_the_hour() -> None:
    t0 = datetime(2026, 10, 1, 10).timestamp() - datetime(1970, 1, 1).timestamp()
    # 10:00 = 5, 10:30 = 25, 11:00 = 40 (closes hour 10), 11:20 = 3 (a restart), 11:40 = 9
    series = [(t0, 5.0), (t0 + 1800, 25.0), (t0 + 3600, 40.0), (t0 + 4800, 3.0), (t0 + 6000, 9.0)]
    got = hourly_increases(series, datetime(2026, 10, 1, 10), datetime(2026, 10, 1, 12))
    # hour 10: 20 + 15 = 35; hour 11: the restart counts its new value 3, then + 6 = 9
    assert got == {datetime(2026, 10, 1, 10): 35.0, datetime(2026, 10, 1, 11): 9.0}


def test_selector_quotes_label_values() -> None:
    u = UnitMetric(
        unit="request",
        metric="reqs_total",
        namespace="a",
        workload="b",
        labels={"path": 'say "hi"\\'},
    )
    # PromQL string escapes: a quote as \", a backslash as \\
    assert selector(u) == r'reqs_total{path="say \"hi\"\\"}'


def test_file_and_prometheus_give_the_same_hourly_requests(
    settings: Settings, tmp_path: Path
) -> None:
    report = ingest_openmetrics([write(tmp_path / "c.om")], "file", settings, start=T0, end=END)
    with fake_prometheus(FakeConfig()) as url:
        ingest_prometheus(url, T0, END, "http", settings)
    expected = [
        ("shop", "web", "request", "http_requests_total", T0, 600.0),
        ("shop", "web", "request", "http_requests_total", T0 + timedelta(hours=1), 550.0),
    ]
    assert _rows(settings, "file") == expected == _rows(settings, "http")
    assert "2 hourly usage-counter rows (units)" in report.notes


def test_without_units_configured_nothing_is_read(penny_env: Path, tmp_path: Path) -> None:
    s = load_settings()
    ingest_openmetrics([write(tmp_path / "c.om")], "file", s, start=T0, end=END)
    assert _rows(s, "file") == []


def test_cost_per_thousand_requests(settings: Settings, tmp_path: Path) -> None:
    ingest_openmetrics([write(tmp_path / "c.om")], "file", settings, start=T0, end=END)
    allocate(settings)  # no bill: the price list prices the node, as for any unbilled node
    ctx = Ctx.create(settings)
    r = unit_cost(
        UnitCostRequest(
            unit="request",
            workload="web",
            namespace="shop",
            scale=1000,
            window="2026-10-01T10:00..2026-10-01T12:00",
        ),
        ctx,
    )
    with reader(settings) as con:
        row = con.execute(
            "SELECT sum(total_cost) FROM allocations WHERE kind = 'workload' AND "
            "namespace = 'shop' AND controller_name = 'web'"
        ).fetchone()
    cost = Decimal(row[0])
    # per 1k requests = Σ cost × 1000 ÷ Σ requests (600 + 550), over the same two hours
    assert (r.quantity, r.cost, r.hours) == (Decimal("1150.0"), cost, 2)
    assert r.per_scale == (cost * 1000 / Decimal(1150)).quantize(Decimal("1e-12"))
    with pytest.raises(DataGap, match="No usage counter of tokens is configured for web"):
        unit_cost(UnitCostRequest(unit="token", workload="web", namespace="shop"), ctx)


def test_the_offline_engine_answers_per_1k_requests_once_configured(
    settings: Settings, tmp_path: Path
) -> None:
    from assistant.agent.offline import answer
    from assistant.core.answer import AskContext

    ingest_openmetrics([write(tmp_path / "c.om")], "file", settings, start=T0, end=END)
    allocate(settings)
    a = answer("what's the cost per 1k requests for web today?", AskContext(), settings)
    call = a.tool_calls[0]
    assert (call.name, call.args["unit"], call.args["scale"]) == ("unit_cost", "request", 1000)
    per_k = Decimal(call.result["data"]["per_scale"])
    assert a.understood and "1,150 requests" in a.text
    # shown to four significant digits below $1 (templates.rate): within half a last digit
    shown = re.search(r"\*\*\$([\d.]+) per 1,000 requests\*\*", a.text)
    assert shown is not None and abs(Decimal(shown.group(1)) - per_k) <= Decimal("0.000005")
