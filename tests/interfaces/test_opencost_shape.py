"""OpenCost's request vocabulary → Penny's, and Penny's rows → OpenCost's field names.

Window and filter forms are the ones OpenCost's API docs list (opencost.io, API and API
examples pages); the allocation fields are those of the documented example response
(OpenCost's swagger.json, ``/allocation/compute``).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.capabilities.costs import CostLine
from assistant.core.money import micro_float
from assistant.errors import InputError
from assistant.interfaces import opencost_shape as oc
from assistant.windows import Window

NOW = datetime(2026, 11, 20, 15)  # a Friday, 15:00 UTC

#: every field of the allocation in OpenCost's documented example response
DOCUMENTED_FIELDS = {
    "name", "properties", "window", "start", "end", "minutes", "cpuCores",
    "cpuCoreRequestAverage", "cpuCoreUsageAverage", "cpuCoreHours", "cpuCost",
    "cpuCostAdjustment", "cpuEfficiency", "gpuCount", "gpuHours", "gpuCost",
    "gpuCostAdjustment", "networkTransferBytes", "networkReceiveBytes", "networkCost",
    "networkCostAdjustment", "loadBalancerCost", "loadBalancerCostAdjustment", "pvBytes",
    "pvByteHours", "pvCost", "pvs", "pvCostAdjustment", "ramBytes", "ramByteRequestAverage",
    "ramByteUsageAverage", "ramByteHours", "ramCost", "ramCostAdjustment", "ramEfficiency",
    "sharedCost", "externalCost", "totalCost", "totalEfficiency", "rawAllocationOnly",
}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("today", datetime(2026, 11, 20), datetime(2026, 11, 21)),
        ("yesterday", datetime(2026, 11, 19), datetime(2026, 11, 20)),
        # OpenCost weeks start on Sunday: 2026-11-15
        ("week", datetime(2026, 11, 15), NOW),
        ("lastweek", datetime(2026, 11, 8), datetime(2026, 11, 15)),
        ("month", datetime(2026, 11, 1), NOW),
        ("lastmonth", datetime(2026, 10, 1), datetime(2026, 11, 1)),
        ("12h", NOW - timedelta(hours=12), NOW),
        ("7d", NOW - timedelta(days=7), NOW),
        ("120m", NOW - timedelta(hours=2), NOW),
        (
            "2023-01-18T10:00:00Z,2023-01-19T10:00:00Z",
            datetime(2023, 1, 18, 10),
            datetime(2023, 1, 19, 10),
        ),
        # 1674036000 = 2023-01-18T10:00:00Z, 1674122400 = 2023-01-19T10:00:00Z
        ("1674036000,1674122400", datetime(2023, 1, 18, 10), datetime(2023, 1, 19, 10)),
        # Penny's own forms pass through
        ("2026-10", datetime(2026, 10, 1), datetime(2026, 11, 1)),
        ("2026-10-01..2026-10-08", datetime(2026, 10, 1), datetime(2026, 10, 8)),
    ],
)
def test_documented_window_forms(text: str, start: datetime, end: datetime) -> None:
    assert oc.parse_window_param(text, NOW) == Window(start, end)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("30m", "window '30m' is not a whole number of hours."),
        (
            "2023-01-18T10:30:00Z,2023-01-19T10:30:00Z",
            "does not start and end on the hour.",
        ),
        ("1674073869,1674193869", "does not start and end on the hour."),
        ("soon", "Cannot read window 'soon'."),
        ("2023-01-19T00:00:00Z,2023-01-18T00:00:00Z", "is not after start"),
    ],
)
def test_windows_penny_cannot_answer_exactly_are_refused(text: str, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        oc.parse_window_param(text, NOW)


def test_steps_cover_the_window_from_its_start_and_the_last_may_be_short() -> None:
    window = Window(datetime(2026, 11, 1), datetime(2026, 11, 8, 12))
    steps = oc.split_steps(window, oc.parse_step("3d"))
    assert [(s.start.day, s.end.day, s.end.hour) for s in steps] == [
        (1, 4, 0),
        (4, 7, 0),
        (7, 8, 12),
    ]
    assert oc.split_steps(window, None) == [window]
    with pytest.raises(InputError, match="not a whole number of hours"):
        oc.parse_step("10m")
    with pytest.raises(InputError, match="sets; the limit is 400"):
        oc.split_steps(Window(datetime(2026, 1, 1), datetime(2026, 3, 1)), oc.parse_step("1h"))


@given(
    hours=st.integers(min_value=1, max_value=24 * 60),
    step=st.integers(min_value=1, max_value=24 * 14),
)
def test_steps_partition_the_window(hours: int, step: int) -> None:
    """Consecutive, non-overlapping, no gap: their hours add up to the window's."""
    start = datetime(2026, 10, 1)
    window = Window(start, start + timedelta(hours=hours))
    if -(-hours // step) > oc.MAX_SETS:
        return
    steps = oc.split_steps(window, timedelta(hours=step))
    assert steps[0].start == window.start and steps[-1].end == window.end
    assert all(a.end == b.start for a, b in pairwise(steps))
    assert sum(s.hours for s in steps) == window.hours


@pytest.mark.parametrize(
    ("aggregate", "dimension"),
    [
        ("namespace", "namespace"),
        ("cluster", "cluster"),
        ("node", "node"),
        ("controller", "controller"),
        ("service", "service"),
        ("pod", "pod"),
        ("container", "container"),
        ("label:app", "label:app"),
        ("team", "team"),
        (None, "container"),
        ("", "container"),
    ],
)
def test_aggregates(aggregate: str | None, dimension: str) -> None:
    assert oc.aggregate_to_dimension(aggregate) == dimension


@pytest.mark.parametrize(
    ("aggregate", "message"),
    [
        ("namespace,label:app", "asks for several dimensions at once"),
        ("controllerKind", "Unknown aggregate 'controllerKind'."),
        ("annotation:owner", "Unknown aggregate 'annotation:owner'."),
    ],
)
def test_aggregates_penny_does_not_record_are_refused(aggregate: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        oc.aggregate_to_dimension(aggregate)


@pytest.mark.parametrize(
    ("text", "filters"),
    [
        ('namespace:"kubecost"', {"namespace": "kubecost"}),
        (
            'namespace:"default"+label[app]:"nginx"',
            {"namespace": "default", "label:app": "nginx"},
        ),
        (
            'cluster:"one" and controllerName:"Deployment/api"',
            {"cluster": "one", "controller": "Deployment/api"},
        ),
        ("node:ip-10-0-0-1", {"node": "ip-10-0-0-1"}),
        ('team:"payments"', {"team": "payments"}),
        ("", {}),
        (None, {}),
    ],
)
def test_filters(text: str | None, filters: dict[str, str]) -> None:
    assert oc.parse_filter(text) == filters


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('namespace:"default","kube-system"', "must name exactly one value"),
        ('namespace!:"kube-system"', "Filter operator '!:'"),
        ('namespace~:"kube"', "Filter operator '~:'"),
        ('controllerKind:"deployment"', "Cannot filter on 'controllerKind'."),
        ("namespace", "Cannot read filter clause 'namespace'."),
    ],
)
def test_filters_that_are_not_exact_matches_are_refused(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        oc.parse_filter(text)


def line(name: str, kind: str = "workload", **costs: str) -> CostLine:
    values = {k: Decimal(v) for k, v in costs.items()}
    return CostLine(name=name, kind=kind, total=sum(values.values(), Decimal(0)), **values)


def test_an_allocation_has_every_documented_field_and_penny_numbers() -> None:
    window = Window(datetime(2026, 10, 1), datetime(2026, 10, 8))
    row = line(
        "payments", cpu="10.123456789", ram="2.5", pv="1.25", lb="0.5", shared="3", idle="0.75"
    )
    key, body = oc.allocation(row, "namespace", window)
    assert key == "payments"
    assert set(body) >= DOCUMENTED_FIELDS
    assert body["properties"] == {"namespace": "payments"}
    assert body["window"] == {"start": "2026-10-01T00:00:00Z", "end": "2026-10-08T00:00:00Z"}
    assert body["minutes"] == 7 * 24 * 60
    # six places, as OpenCost rounds; the sum of the cost fields is totalCost:
    # 10.123457 + 2.5 + 1.25 + 0.5 + 3 + 0.75 (idle shared in) = 18.123457
    assert body["cpuCost"] == 10.123457
    assert (body["ramCost"], body["pvCost"], body["loadBalancerCost"]) == (2.5, 1.25, 0.5)
    assert (body["sharedCost"], body["idleCost"], body["totalCost"]) == (3.0, 0.75, 18.123457)
    # quantities Penny's cost report does not carry are unknown, not zero
    assert body["cpuCoreHours"] is None and body["ramByteUsageAverage"] is None


@pytest.mark.parametrize(
    ("name", "dimension", "key", "properties"),
    [
        ("Deployment/checkout-api", "controller", "deployment:checkout-api",
         {"controllerKind": "deployment", "controller": "checkout-api"}),
        ("shop/api-7f9", "pod", "shop/api-7f9", {"namespace": "shop", "pod": "api-7f9"}),
        ("shop/api-7f9/app", "container", "shop/api-7f9/app",
         {"namespace": "shop", "pod": "api-7f9", "container": "app"}),
        ("nginx", "label:app", "app=nginx", {"labels": {"app": "nginx"}}),
        ("__idle__", "namespace", "__idle__", {}),
        ("prod-use1", "cluster", "prod-use1", {"cluster": "prod-use1"}),
    ],
)  # fmt: skip
def test_keys_and_properties_follow_opencost(
    name: str, dimension: str, key: str, properties: dict[str, object]
) -> None:
    window = Window(datetime(2026, 10, 1), datetime(2026, 10, 2))
    got_key, body = oc.allocation(line(name, cpu="1"), dimension, window)
    assert (got_key, body["properties"]) == (key, properties)


@given(st.decimals(min_value=0, max_value=10**8, places=12, allow_nan=False))
def test_money_keeps_the_cents(value: Decimal) -> None:
    """A float of ≤ 15 significant digits prints back as the same six-place decimal
    (rounded half-up, as every amount Penny shows)."""
    six = value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    assert Decimal(repr(micro_float(value))) == six


@pytest.mark.parametrize(
    ("text", "value"), [("true", True), ("1", True), ("false", False), (None, True), ("", True)]
)
def test_booleans(text: str | None, value: bool) -> None:
    assert oc.parse_bool(text, "includeIdle", True) is value
    with pytest.raises(InputError, match=re.escape("includeIdle='maybe' is not true or false.")):
        oc.parse_bool("maybe", "includeIdle", True)
