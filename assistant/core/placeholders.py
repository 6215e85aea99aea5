"""The names Penny gives to cost that belongs to no workload, label or resource.

These strings are data: allocation writes them into the warehouse, every grouping shows
them as row names, filters match them, the OpenCost API passes them on and people type
them into questions. So each is spelled once, here; SQL spells them in with
:func:`assistant.warehouse.sql_text.lit`. OpenCost uses the same ``__idle__`` and
``__unallocated__``; the others follow its ``__x__`` convention.
"""

from __future__ import annotations

__all__ = [
    "GLOBAL",
    "IDLE",
    "NONE",
    "NO_CONTAINER",
    "NO_CONTROLLER",
    "NO_NODE",
    "OWN_ROWS",
    "UNALLOCATED",
    "UNASSIGNED",
    "UNKNOWN",
    "UNLABELED",
    "UNMOUNTED",
]

#: node capacity no workload used (node cost − allocated cost), a row of its own
IDLE = "__idle__"
#: bill lines no cluster resource explains (control-plane fee, taxes, credits, unknown ids)
UNALLOCATED = "__unallocated__"
#: volume or load-balancer time with no pod behind it (also its namespace when no claim)
UNMOUNTED = "__unmounted__"
#: a container with no node
NO_NODE = "__no_node__"
#: no team/app/env/cost-center label, after every fallback
UNLABELED = "__unlabeled__"
#: a pod with no owning controller and no name to stand for it
NO_CONTROLLER = "__no_controller__"
#: pod-level rows (PV, LB shares) that belong to no one container
NO_CONTAINER = "__pod__"
#: GPU capacity no pod requested
UNASSIGNED = "__unassigned__"
#: a bill column with no value: service, category, provider, account
UNKNOWN = "__unknown__"
#: a bill column with no value where "none" is the honest reading (sub-account, type)
NONE = "__none__"
#: a bill line with no region
GLOBAL = "__global__"

#: rows that are not a workload or group: listed after the ranked groups, never in top-N
OWN_ROWS = (IDLE, UNALLOCATED, UNMOUNTED, NO_NODE)
