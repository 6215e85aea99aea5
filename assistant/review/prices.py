"""Which cluster a change lands on, over which window, at which unit prices.

Unit prices are the allocation's own (``node_cost_hours``: the bill's node cost split by
OpenCost's ratio method), averaged over the cluster's nodes weighted by capacity:

    $/core-h = Σ(cpu_cores × cpu_price) / Σ cpu_cores      over every node-hour in the window
    $/GiB-h  = Σ(ram_gib × ram_price)   / Σ ram_gib
    $/GPU-h  = Σ(gpu_count × gpu_price) / Σ gpu_count      (GPU nodes only)

so a new replica is priced at what the cluster's capacity costs on average, not at the
price of whichever node it happens to land on. A resource the cluster has no capacity of
in the window (no GPU nodes) takes the configured ``allocation.prices`` and says so.
Prices are kept to 12 decimals, the warehouse's DECIMAL(38,12).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from assistant.config import Settings
from assistant.errors import DataGap, InputError, NotFound
from assistant.warehouse.db import Connection
from assistant.windows import Window, parse_window

__all__ = ["UnitPrices", "resolve_cluster", "resolve_window", "unit_prices"]

PLACES = Decimal("0.000000000001")
NEXT_STEP = (
    "Run `penny demo` for a sample warehouse, or `penny ingest focus …`, "
    "`penny ingest prometheus …` and `penny allocate` for your own (PENNY_DB "
    "points at the warehouse)."
)


@dataclass(frozen=True)
class UnitPrices:
    cluster: str
    window: Window
    hours: int  # distinct hours with node prices in the window
    cpu_core_hour: Decimal
    ram_gib_hour: Decimal
    gpu_hour: Decimal
    sources: dict[str, str] = field(default_factory=dict)  # resource → allocation | price_list

    def to_dict(self) -> dict[str, object]:
        return {
            "cluster": self.cluster,
            "window": self.window.to_dict(),
            "hours": self.hours,
            "cpu_core_hour": str(self.cpu_core_hour),
            "ram_gib_hour": str(self.ram_gib_hour),
            "gpu_hour": str(self.gpu_hour),
            "sources": dict(self.sources),
        }


def _clusters(con: Connection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT cluster FROM node_cost_hours ORDER BY cluster"
        ).fetchall()
    ]


def resolve_cluster(con: Connection, namespaces: set[str], cluster: str | None) -> str:
    """``cluster`` if given; else the only cluster; else the one cluster holding every
    namespace of the change that the warehouse knows. Anything else is ambiguous, except a
    change with no workloads at all (nothing to price: the first cluster is named)."""
    known = _clusters(con)
    if not known:
        raise DataGap(
            "The warehouse has no node prices (node_cost_hours is empty).", hint=NEXT_STEP
        )
    if cluster is not None:
        if cluster not in known:
            raise NotFound(
                f"Cluster {cluster!r} has no node prices in the warehouse; "
                f"clusters: {', '.join(known)}.",
                hint="Pass one of those to --cluster.",
                cluster=cluster,
                clusters=known,
            )
        return cluster
    if len(known) == 1 or not namespaces:
        return known[0]  # no workloads on either side: nothing is priced, any cluster will do
    rows = con.execute(
        "SELECT DISTINCT cluster, namespace FROM k8s_namespaces UNION "
        "SELECT DISTINCT cluster, namespace FROM k8s_pods"
    ).fetchall()
    holders: dict[str, set[str]] = {}
    for c, ns in rows:
        if c in known:
            holders.setdefault(ns, set()).add(c)
    candidates = set(known)
    seen = [ns for ns in sorted(namespaces) if ns in holders]
    for ns in seen:
        candidates &= holders[ns]
    if seen and len(candidates) == 1:
        return candidates.pop()
    why = (
        f"namespaces {', '.join(seen)} exist in {', '.join(sorted(candidates))}"
        if seen and candidates
        else f"none of the namespaces {', '.join(sorted(namespaces))} narrows it to one"
    )
    raise InputError(
        f"Which cluster does this change go to? The warehouse has {', '.join(known)}; {why}.",
        hint="Pass --cluster NAME.",
        clusters=known,
    )


def resolve_window(con: Connection, cluster: str, text: str) -> Window:
    """``text`` as a window; relative forms (``30d``) end at the cluster's latest priced
    hour, so a warehouse loaded last week is read as of its own data, not today."""
    row = con.execute(
        "SELECT max(hour) FROM node_cost_hours WHERE cluster = ?", [cluster]
    ).fetchone()
    latest = row[0] if row else None
    if latest is None:
        raise DataGap(f"No node prices for cluster {cluster!r}.", hint=NEXT_STEP)
    return parse_window(text, now=latest + timedelta(hours=1))


def _avg(weighted: float | None, weight: float | None) -> Decimal | None:
    if weighted is None or weight is None or weight <= 0:
        return None
    value = Decimal(repr(float(weighted))) / Decimal(repr(float(weight)))
    return value.quantize(PLACES)


def unit_prices(con: Connection, cluster: str, window: Window, settings: Settings) -> UnitPrices:
    """Capacity-weighted unit prices of ``cluster`` over ``window`` (see module doc)."""
    row = con.execute(
        """
        SELECT count(DISTINCT hour),
               sum(cpu_cores * cpu_price) FILTER (WHERE cpu_price IS NOT NULL),
               sum(cpu_cores) FILTER (WHERE cpu_price IS NOT NULL),
               sum(ram_gib * ram_price) FILTER (WHERE ram_price IS NOT NULL),
               sum(ram_gib) FILTER (WHERE ram_price IS NOT NULL),
               sum(gpu_count * gpu_price) FILTER (WHERE gpu_count > 0 AND gpu_price IS NOT NULL),
               sum(gpu_count) FILTER (WHERE gpu_count > 0 AND gpu_price IS NOT NULL)
        FROM node_cost_hours WHERE cluster = ? AND hour >= ? AND hour < ?
        """,
        [cluster, window.start, window.end],
    ).fetchone()
    if row is None or not row[0]:
        raise DataGap(
            f"No node prices for cluster {cluster!r} in {window.label()}.",
            hint="Pick a --window with allocated hours, or " + NEXT_STEP[0].lower() + NEXT_STEP[1:],
            cluster=cluster,
            window=window.label(),
        )
    fallback = settings.allocation.prices
    found = {"cpu": _avg(row[1], row[2]), "ram": _avg(row[3], row[4]), "gpu": _avg(row[5], row[6])}
    defaults = {
        "cpu": fallback.cpu_core_hour,
        "ram": fallback.ram_gib_hour,
        "gpu": fallback.gpu_hour,
    }
    sources = {k: "allocation" if v is not None else "price_list" for k, v in found.items()}
    price = {k: v if v is not None else defaults[k] for k, v in found.items()}
    return UnitPrices(
        cluster, window, int(row[0]), price["cpu"], price["ram"], price["gpu"], sources
    )
