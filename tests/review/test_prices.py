"""Unit prices, window, cluster choice and observed facts from a hand-built warehouse
(tests/review/cluster_rows.py has the rows and the arithmetic)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from assistant.config import Settings, load_settings
from assistant.errors import DataGap, InputError, NotFound
from assistant.review.observed import cluster_facts
from assistant.review.prices import resolve_cluster, resolve_window, unit_prices
from assistant.warehouse.db import reader, writer
from assistant.windows import Window
from tests.review import cluster_rows

D = Decimal
OCT = Window(datetime(2026, 10, 1), datetime(2026, 10, 31))


@pytest.fixture
def settings() -> Settings:
    settings = load_settings()
    cluster_rows.build(settings)
    return settings


def test_capacity_weighted_unit_prices(settings: Settings) -> None:
    with reader(settings) as con:
        window = resolve_window(con, "prod", "30d")
        prices = unit_prices(con, "prod", window, settings)
    # 30 days before the latest priced hour (2026-10-30 23:00) = all 720 h of October 1..30
    assert window == OCT and prices.hours == 720
    # CPU 0.72 / 24 = 0.03; RAM 0.576 / 128 = 0.0045; GPU 5.00 / 2 = 2.50
    assert (prices.cpu_core_hour, prices.ram_gib_hour, prices.gpu_hour) == (
        D("0.03"),
        D("0.0045"),
        D("2.5"),
    )
    assert prices.sources == {"cpu": "allocation", "ram": "allocation", "gpu": "allocation"}


def test_no_gpu_capacity_falls_back_to_the_price_list(settings: Settings) -> None:
    # without the GPU node's prices the cluster has no GPU capacity in the window
    with writer(settings) as con:
        con.execute("DELETE FROM node_cost_hours WHERE node = 'g1'")
    with reader(settings) as con:
        prices = unit_prices(con, "prod", OCT, settings)
    # CPU (0.32 + 0.08) / 16 = 0.025; RAM (0.16 + 0.096) / 64 = 0.004; GPU: configured 0.95
    assert (prices.cpu_core_hour, prices.ram_gib_hour, prices.gpu_hour) == (
        D("0.025"),
        D("0.004"),
        D("0.95"),
    )
    assert prices.sources["gpu"] == "price_list"


def test_window_forms_and_empty_window(settings: Settings) -> None:
    with reader(settings) as con:
        assert resolve_window(con, "prod", "7d") == Window(
            datetime(2026, 10, 24), datetime(2026, 10, 31)
        )
        assert resolve_window(con, "prod", "2026-10") == Window(
            datetime(2026, 10, 1), datetime(2026, 11, 1)
        )
        with pytest.raises(DataGap, match="No node prices for cluster 'prod' in 2026-09"):
            unit_prices(con, "prod", resolve_window(con, "prod", "2026-09"), settings)


def test_cluster_choice(settings: Settings) -> None:
    with reader(settings) as con:
        assert resolve_cluster(con, {"shop"}, None) == "prod"  # the only cluster
        with pytest.raises(NotFound, match=r"Cluster 'dev' .*clusters: prod"):
            resolve_cluster(con, {"shop"}, "dev")


def test_two_clusters_by_namespace_or_ambiguous() -> None:
    settings = load_settings()
    cluster_rows.build(settings, second_cluster=True)
    with reader(settings) as con:
        # 'ml' exists only in prod; 'shop' in both, so {shop, ml} narrows to prod
        assert resolve_cluster(con, {"shop", "ml"}, None) == "prod"
        assert resolve_cluster(con, {"shop"}, "stage") == "stage"
        # no workloads on either side: nothing to price, so no question to ask
        assert resolve_cluster(con, set(), None) == "prod"
        with pytest.raises(InputError) as info:
            resolve_cluster(con, {"shop"}, None)
    assert "The warehouse has prod, stage" in str(info.value)
    assert "--cluster" in str(info.value)


def test_empty_warehouse_says_what_to_run() -> None:
    settings = load_settings()
    with writer(settings):
        pass
    with reader(settings) as con, pytest.raises(DataGap) as info:
        resolve_cluster(con, {"shop"}, None)
    assert "penny demo" in str(info.value) and "penny allocate" in str(info.value)


def test_observed_facts(settings: Settings) -> None:
    with reader(settings) as con:
        facts = cluster_facts(con, "prod", OCT, hours=720)
    assert sorted(facts.node_labels) == ["g1", "n1", "n2"]
    assert facts.daemon_nodes(()) == (3, "3 nodes running in the window's latest hour")
    assert facts.daemon_nodes((("pool", "gpu"),))[0] == 1
    assert facts.daemon_nodes((("pool", "none"),))[0] == 0
    # web: 3 pods × 720 h × $0.02 = $43.20
    web = facts.observed[("Deployment", "shop", "web")]
    assert web.allocated == D("43.20")
    # nightly: 24 runs × 3 h = 72 pod-hours (two containers per pod count once);
    # 72 pod-hours × $0.05 = $3.60
    nightly = facts.observed[("CronJob", "data", "nightly")]
    assert (nightly.pod_hours, nightly.allocated) == (72.0, D("3.60"))
