"""DuckDB SQL → Spark SQL: the rewrites whose meaning sqlglot cannot carry by syntax.

No Spark needed: these check the text the Spark engine runs.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from assistant.spark.translate import bind, parse, to_spark


def spark(sql: str, *params: object) -> str:
    return to_spark(bind(parse(sql), list(params)))


def test_parameters_become_typed_literals() -> None:
    """Floats stay DOUBLE (a bare 0.5 is a DECIMAL literal in Spark), datetimes are
    TIMESTAMP_NTZ (DuckDB's TIMESTAMP), decimals keep their scale; ? in order, $N by number."""
    assert spark(
        "SELECT * FROM t WHERE a = ? AND b = ? AND c = ? AND d = ? AND e IS ?",
        0.5,
        datetime(2026, 10, 1, 3),
        Decimal("1.250"),
        "x'y",
        None,
    ) == (
        "SELECT * FROM t WHERE a = CAST(0.5 AS DOUBLE) AND "
        "b = CAST('2026-10-01 03:00:00' AS TIMESTAMP_NTZ) AND c = CAST('1.250' AS DECIMAL(4, 3)) "
        "AND d = 'x\\'y' AND e IS NULL"
    )
    assert spark("SELECT $2, $1", 1, 2) == "SELECT 2, 1"


def test_division_is_double_as_in_duckdb() -> None:
    assert spark("SELECT x / n FROM t") == "SELECT CAST(x AS DOUBLE) / n FROM t"
    assert spark("SELECT x::DOUBLE / n FROM t") == "SELECT CAST(x AS DOUBLE) / n FROM t"


def test_interval_seconds_hours_and_hash() -> None:
    assert spark("SELECT epoch(e - s), s + to_hours(i), hash(a, b) FROM t") == (
        "SELECT CAST(TIMESTAMPDIFF(MICROSECOND, s, e) AS DOUBLE) / 1000000.0, "
        "s + MAKE_DT_INTERVAL(0, i, 0, 0), XXHASH64(a, b) FROM t"
    )


def test_glob_order_by_all_and_qualifiers() -> None:
    assert spark(
        "SELECT ns, count(*) FROM main.t WHERE ns GLOB 'kube-*' GROUP BY ALL ORDER BY ALL"
    ) == (
        "SELECT ns, COUNT(*) FROM t WHERE ns RLIKE '^kube\\\\-.*$' GROUP BY ALL "
        "ORDER BY 1 NULLS LAST, 2 NULLS LAST"
    )


def test_aliases_cannot_be_read_as_columns() -> None:
    """`n.iid` where `_lines` has a column `n`: DuckDB reads the alias, Spark the column."""
    assert spark("SELECT n.iid FROM _lines l JOIN nodes n ON n.iid = l.rid") == (
        "SELECT t_n.iid FROM _lines AS t_l JOIN nodes AS t_n ON t_n.iid = t_l.rid"
    )


def test_named_window_in_arithmetic_and_unordered_row_number() -> None:
    assert spark("SELECT x - sum(x) OVER w, row_number() OVER () FROM t WINDOW w AS ()") == (
        "SELECT x - (SUM(x) OVER w), ROW_NUMBER() OVER (ORDER BY "
        "MONOTONICALLY_INCREASING_ID() NULLS LAST) "
        "FROM t WINDOW w AS ()"
    )
