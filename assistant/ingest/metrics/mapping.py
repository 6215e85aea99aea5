"""One chunk of grid samples → every m003 table's rows. Pure; both sources call this."""

from __future__ import annotations

from collections.abc import Mapping

from assistant.ingest.metrics.attachments import (
    pod_pvc_rows,
    pvc_rows,
    service_pod_rows,
    service_rows,
)
from assistant.ingest.metrics.container_columns import container_columns
from assistant.ingest.metrics.containers import node_hour_rows
from assistant.ingest.metrics.gpu import gpu_rows
from assistant.ingest.metrics.inventory import (
    hpa_rows,
    namespace_rows,
    node_rows,
    owner_rows,
    pod_rows,
    pv_rows,
)
from assistant.ingest.metrics.rows import MetricsRows
from assistant.ingest.metrics.series import Grid, GridSeries

__all__ = ["map_chunk"]


def map_chunk(series: Mapping[str, list[GridSeries]], grid: Grid) -> MetricsRows:
    """Rows for the hours of ``[grid.start, grid.end)`` and the objects seen in them."""
    rows = MetricsRows()
    owners = owner_rows(series)
    pods = pod_rows(series, grid, owners)
    rows.add("k8s_nodes", node_rows(series, grid))
    rows.add("node_hours", node_hour_rows(series, grid))
    rows.add("k8s_namespaces", namespace_rows(series, grid))
    rows.add("k8s_owners", owners)
    rows.add("k8s_pods", pods)
    pod_nodes = {(p["namespace"], p["pod"]): p["node"] for p in pods if p["node"]}
    rows.add_columns("container_hours", container_columns(series, grid, pod_nodes))
    rows.add("k8s_pvs", pv_rows(series))
    rows.add("pvc_hours", pvc_rows(series, grid))
    rows.add("pod_pvc_hours", pod_pvc_rows(series, grid))
    rows.add("service_hours", service_rows(series, grid))
    rows.add("service_pod_hours", service_pod_rows(series, grid))
    rows.add("gpu_hours", gpu_rows(series, grid))
    rows.add("k8s_hpas", hpa_rows(series, grid))
    return rows
