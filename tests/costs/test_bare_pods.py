"""Grouping by controller: a bare pod is its own workload, not a catch-all bucket."""

from __future__ import annotations

from assistant.costs.dimensions import _EXPR


def test_controller_expression_names_bare_pods() -> None:
    import duckdb

    con = duckdb.connect()
    rows = con.execute(
        f"SELECT {_EXPR['controller']} FROM (VALUES "
        "('Deployment', 'api', 'api-7d9f-abcde'), "  # rolled-up controller wins
        "(NULL, NULL, 'jupyter-dana'), "  # bare pod -> Pod/name
        "(NULL, NULL, '__unmounted__'), "  # PV time with no pod keeps its name
        "(NULL, NULL, NULL)) a(controller_kind, controller_name, pod)"
    ).fetchall()
    assert [r[0] for r in rows] == [
        "Deployment/api",
        "Pod/jupyter-dana",
        "__unmounted__",
        "__no_controller__",
    ]
