"""OpenCost's API vocabulary, translated to Penny's requests and back: pure functions.

OpenCost clients (kubectl-cost, Grafana's JSON data sources, scripts) speak ``window``,
``aggregate``, ``step``, ``accumulate``, ``shareIdle``, ``idleByNode`` and the v2
``filter`` language, and read allocations keyed by name with camelCase cost fields.
This module turns the former into Penny's windows, dimensions and exact-match filters —
refusing, with the reason, what Penny cannot answer exactly (minute windows, filters
with several values, negation) rather than answering something else — and turns Penny's
reconciled report rows into OpenCost's field names.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from assistant.capabilities.costs import CostLine
from assistant.core.money import micro_float
from assistant.core.placeholders import IDLE, UNALLOCATED
from assistant.core.timestamps import rfc3339
from assistant.costs.dimensions import DIMENSIONS
from assistant.errors import InputError
from assistant.windows import Window, parse_window

__all__ = [
    "SPECIAL",
    "aggregate_to_dimension",
    "allocation",
    "parse_bool",
    "parse_filter",
    "parse_step",
    "parse_window_param",
    "rfc3339",
    "split_steps",
]

#: Penny's own rows that are not workloads: kept under their names, as OpenCost does
SPECIAL = (IDLE, UNALLOCATED)
MAX_SETS = 400
_DURATION = re.compile(r"^(\d{1,5})([mhdw])$")
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
_UNITS["w"] = timedelta(weeks=1)
#: OpenCost aggregate names → Penny dimensions (Penny's own dimensions pass as they are)
_AGGREGATES = {
    "cluster": "cluster",
    "node": "node",
    "namespace": "namespace",
    "controller": "controller",
    "service": "service",
    "pod": "pod",
    "container": "container",
    "": "container",  # no aggregate: OpenCost lists each container
}
#: v2 filter fields → Penny filter keys
_FILTER_FIELDS = {
    "cluster": "cluster",
    "node": "node",
    "namespace": "namespace",
    "controller": "controller",
    "controllername": "controller",
    "services": "service",
    "service": "service",
    "pod": "pod",
    "container": "container",
    **{d: d for d in ("team", "app", "env", "cost_center")},
}
_CLAUSE = re.compile(
    r"""^\s*(?P<field>[A-Za-z_]+)(?:\[(?P<key>[^\]]+)\])?\s*(?P<op>!?[~<>]?:|!?=)\s*(?P<value>.*?)\s*$"""
)


def _duration(text: str, what: str) -> timedelta:
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise InputError(
            f"Cannot read {what} {text!r}.", hint="Use a duration such as 1h, 12h, 1d or 7d."
        )
    span = int(match.group(1)) * _UNITS[match.group(2)]
    if span <= timedelta(0) or span % timedelta(hours=1):
        raise InputError(
            f"{what} {text!r} is not a whole number of hours.",
            hint="Penny's allocation is hourly: use 1h, 2h, 1d, 7d …",
            value=text,
        )
    return span


def _instant(text: str) -> datetime:
    raw = text.strip()
    if raw.isdigit():
        return datetime.fromtimestamp(int(raw), UTC).replace(tzinfo=None)
    value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def parse_window_param(text: str, now: datetime) -> Window:
    """OpenCost's window forms (today, week, month, yesterday, lastweek, lastmonth, 12h,
    7d, RFC3339 or Unix pairs), then Penny's own (2026-10, START..END); hour-aligned."""
    raw = text.strip()
    low = raw.lower()
    now = now.replace(minute=0, second=0, microsecond=0)
    today = now.replace(hour=0)
    week = today - timedelta(days=(today.weekday() + 1) % 7)  # OpenCost weeks start Sunday
    if low == "week":
        return Window(week, max(now, week + timedelta(hours=1)))
    if low == "lastweek":
        return Window(week - timedelta(weeks=1), week)
    if low == "month":
        return parse_window("this-month", now=now)
    if "," in raw:
        left, _, right = raw.partition(",")
        try:
            start, end = _instant(left), _instant(right)
        except (ValueError, OverflowError, OSError) as exc:
            raise InputError(
                f"Cannot read window {text!r}.",
                hint="Use an RFC3339 pair (2026-10-01T00:00:00Z,2026-11-01T00:00:00Z) or Unix "
                "seconds (1790812800,1793491200).",
                value=text,
            ) from exc
        window = Window(start, end)
    elif _DURATION.match(low):
        window = Window(now - _duration(low, "window"), now)
    else:
        window = parse_window(raw, now=now)
    for edge in (window.start, window.end):
        if edge.minute or edge.second or edge.microsecond:
            raise InputError(
                f"Window {text!r} does not start and end on the hour.",
                hint="Penny's allocation is hourly: use whole hours (…T10:00:00Z).",
                value=text,
            )
    return window


def parse_step(text: str | None) -> timedelta | None:
    return None if not text else _duration(text, "step")


def split_steps(window: Window, step: timedelta | None) -> list[Window]:
    """Consecutive sets of ``step`` from the window's start; the last may be shorter."""
    if step is None:
        return [window]
    count = -(-(window.end - window.start) // step)
    if count > MAX_SETS:
        raise InputError(
            f"step would make {count} sets; the limit is {MAX_SETS}.",
            hint="Use a longer step or a shorter window.",
        )
    edges = [window.start + i * step for i in range(count)] + [window.end]
    return [Window(a, min(b, window.end)) for a, b in pairwise(edges)]


def parse_bool(text: str | None, name: str, default: bool) -> bool:
    if text is None or text == "":
        return default
    low = text.strip().lower()
    if low in ("true", "1", "yes"):
        return True
    if low in ("false", "0", "no"):
        return False
    raise InputError(f"{name}={text!r} is not true or false.", value=text)


def aggregate_to_dimension(aggregate: str | None) -> str:
    """One OpenCost aggregate (or a Penny dimension) → Penny's group_by."""
    raw = (aggregate or "").strip()
    if "," in raw:
        raise InputError(
            f"aggregate={raw!r} asks for several dimensions at once.",
            hint="Penny aggregates by one: namespace, controller, label:app …",
            value=raw,
        )
    if raw in _AGGREGATES:
        return _AGGREGATES[raw]
    if raw in DIMENSIONS or raw.startswith("label:"):
        return raw
    raise InputError(
        f"Unknown aggregate {raw!r}.",
        hint="Use cluster, node, namespace, controller, service, pod, container, label:NAME, "
        "or Penny's team, app, env, cost_center. (controllerKind and annotation:… are not "
        "recorded by Penny.)",
        value=raw,
    )


def parse_filter(text: str | None) -> dict[str, str]:
    """The v2 filter language, as far as it is an AND of exact matches:
    ``namespace:"payments"+label[app]:"api"`` → {namespace: payments, label:app: api}."""
    if not text or not text.strip():
        return {}
    out: dict[str, str] = {}
    for clause in re.split(r"\+|\s+and\s+", text.strip(), flags=re.I):
        match = _CLAUSE.match(clause)
        if not match:
            raise InputError(
                f"Cannot read filter clause {clause.strip()!r}.",
                hint='Use field:"value", joined by + (namespace:"payments"+label[app]:"api").',
                value=text,
            )
        field, key, op, value = match["field"], match["key"], match["op"], match["value"]
        if op not in (":", "="):
            raise InputError(
                f"Filter operator {op!r} in {clause.strip()!r} is not supported.",
                hint='Penny filters are exact matches (field:"value"); no negation or prefix.',
                value=text,
            )
        values = [v.strip().strip('"') for v in value.split(",")]
        if len(values) != 1 or not values[0]:
            raise InputError(
                f"Filter {clause.strip()!r} must name exactly one value.",
                hint="Penny filters match one exact value per field; ask once per value.",
                value=text,
            )
        name = field.lower()
        if name == "label" and key:
            out[f"label:{key}"] = values[0]
        elif name in _FILTER_FIELDS and not key:
            out[_FILTER_FIELDS[name]] = values[0]
        else:
            raise InputError(
                f"Cannot filter on {field + (f'[{key}]' if key else '')!r}.",
                hint="Filter on cluster, node, namespace, controllerName, service, pod, "
                "container, label[NAME], or Penny's team, app, env, cost_center.",
                value=text,
            )
    return out


def _key_and_properties(name: str, dimension: str) -> tuple[str, dict[str, Any]]:
    if name in SPECIAL or name.startswith("__"):
        return name, {}
    if dimension in ("cluster", "node", "namespace"):
        return name, {dimension: name}
    if dimension == "controller" and "/" in name:
        kind, _, ctrl = name.partition("/")
        return f"{kind.lower()}:{ctrl}", {"controllerKind": kind.lower(), "controller": ctrl}
    if dimension == "pod":
        ns, _, pod = name.partition("/")
        return name, {"namespace": ns, "pod": pod}
    if dimension == "container":
        ns, _, rest = name.partition("/")
        pod, _, container = rest.partition("/")
        return name, {"namespace": ns, "pod": pod, "container": container}
    if dimension == "service":
        return name, {"services": [name]}
    label = dimension.removeprefix("label:")
    return f"{label}={name}", {"labels": {label: name}}


def allocation(line: CostLine, dimension: str, window: Window) -> tuple[str, dict[str, Any]]:
    """One Penny row as an OpenCost allocation: (key, allocation JSON).

    Penny's reconciled costs fill the cost fields; ``externalCost`` carries Penny's
    'other' (bill lines outside CPU/RAM/GPU/storage/network/LB), and ``idleCost`` (an
    extra field) the idle shared in, so ``totalCost`` is the sum of the cost fields.
    Quantities Penny's cost report does not carry (core-hours, byte averages) are null —
    unknown, not zero.
    """
    key, props = _key_and_properties(line.name, dimension)
    minutes = (window.end - window.start).total_seconds() / 60.0
    zero = 0.0
    body: dict[str, Any] = {
        "name": key,
        "properties": props,
        "window": {"start": rfc3339(window.start), "end": rfc3339(window.end)},
        "start": rfc3339(window.start),
        "end": rfc3339(window.end),
        "minutes": minutes,
        "cpuCores": None,
        "cpuCoreRequestAverage": None,
        "cpuCoreUsageAverage": None,
        "cpuCoreHours": None,
        "cpuCost": micro_float(line.cpu),
        "cpuCostAdjustment": zero,
        "cpuCostIdle": None,
        "cpuEfficiency": None,
        "gpuCount": None,
        "gpuHours": None,
        "gpuCost": micro_float(line.gpu),
        "gpuCostAdjustment": zero,
        "gpuCostIdle": None,
        "gpuEfficiency": None,
        "networkTransferBytes": None,
        "networkReceiveBytes": None,
        "networkCost": micro_float(line.network),
        "networkCrossZoneCost": None,
        "networkCrossRegionCost": None,
        "networkInternetCost": None,
        "networkCostAdjustment": zero,
        "loadBalancerCost": micro_float(line.lb),
        "loadBalancerCostAdjustment": zero,
        "pvBytes": None,
        "pvByteHours": None,
        "pvCost": micro_float(line.pv),
        "pvs": None,
        "pvCostAdjustment": zero,
        "ramBytes": None,
        "ramByteRequestAverage": None,
        "ramByteUsageAverage": None,
        "ramByteHours": None,
        "ramCost": micro_float(line.ram),
        "ramCostAdjustment": zero,
        "ramCostIdle": None,
        "ramEfficiency": None,
        "externalCost": micro_float(line.other),
        "sharedCost": micro_float(line.shared),
        "idleCost": micro_float(line.idle),
        "totalCost": micro_float(line.total),
        "totalEfficiency": None if line.efficiency is None else round(line.efficiency, 6),
        "rawAllocationOnly": None,
        "lbAllocations": None,
    }
    return key, body
