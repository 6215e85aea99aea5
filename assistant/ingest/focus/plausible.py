"""What a FOCUS import refuses though every value parses, and the copies it flags.

A cost that parses can still poison the warehouse: $99,999,999,999,999 on a $0.19 list
price overflows every sum a reader takes, and a BillingPeriodStart of 1900 makes every
window a century long. These checks run over the staged rows of the whole import, before
anything is replaced or inserted, and refuse with the file, row, column and value of the
first offending line (the writer's transaction then rolls back: nothing is stored).

Rules (each a SQL condition over a staged row; the tests recompute them):

* ``cost_out_of_range`` — any cost or unit price with magnitude ≥ 10^12 (no single bill
  line is a trillion; sums of such values overflow the readers' DECIMAL(38,12)).
* ``cost_implausible_for_list_price`` — a Usage line whose BilledCost or EffectiveCost
  exceeds 100 × ListCost + 1000 in magnitude, ListCost being positive.
* ``time_out_of_range`` — a billing or charge period bound outside 2000-01-01..2100-12-31.

And, as findings or refusals about the files themselves:

* ``duplicate_rows`` (finding) — lines identical in every FOCUS column, in one file; all
  are kept (a provider may bill two identical lines) and counted here so nobody sums them
  unawares.
* ``restated_copy`` (refused) — two files of one import hold the same billing period of
  one account and most lines of the smaller are also in the larger: a month and its
  restated copy side by side. Summing both double-counts, and which one is current is for
  a person to say: the error names both and asks for the one to keep.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.errors import ImportFileError
from assistant.ingest.focus.checks import Finding
from assistant.ingest.focus.columns import COLUMNS
from assistant.ingest.focus.read import EXAMPLES, STAGE
from assistant.warehouse.db import Connection
from assistant.windows import EARLIEST, LATEST

__all__ = ["COST_LIMIT", "duplicate_findings", "refuse_implausible", "refuse_restated_copies"]

#: no single bill line is a trillion (of any currency)
COST_LIMIT = 10**12
#: a usage line may cost at most this many times its list price (plus the slack below)
LIST_RATIO = 100
LIST_SLACK = 1000
#: a file's lines shared with another file of the same period that make it a copy
COPY_SHARE = 0.5

_MONEY = [
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "ListUnitPrice",
    "ContractedUnitPrice",
]
_TIMES = ["BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"]
#: what identifies a charge line across a month and its restatement (costs may change)
_IDENTITY = [
    "charge_period_start",
    "charge_period_end",
    "charge_category",
    "resource_id",
    "sku_id",
    "sku_price_id",
    "service_name",
    "charge_description",
    "sub_account_id",
    "region_id",
]


def _rules() -> list[tuple[str, str, str, str]]:
    """(code, column, SQL condition, what is wrong) in the order they are reported."""
    rules: list[tuple[str, str, str, str]] = []
    for name in _MONEY:
        col = COLUMNS[name].column
        rules.append(
            (
                "cost_out_of_range",
                name,
                f"abs({col}) >= {COST_LIMIT}",
                f"is {{value}}, beyond the {COST_LIMIT:,} any single bill line can hold",
            )
        )
    for name in ("BilledCost", "EffectiveCost"):
        col = COLUMNS[name].column
        rules.append(
            (
                "cost_implausible_for_list_price",
                name,
                f"charge_category = 'Usage' AND list_cost > 0 AND "
                f"abs({col}) > list_cost * {LIST_RATIO} + {LIST_SLACK}",
                f"is {{value}} on a ListCost of {{list_cost}}: more than {LIST_RATIO}× the "
                "list price",
            )
        )
    for name in _TIMES:
        col = COLUMNS[name].column
        rules.append(
            (
                "time_out_of_range",
                name,
                f"({col} < TIMESTAMP '{EARLIEST:%Y-%m-%d}' OR {col} >= "
                f"TIMESTAMP '{LATEST:%Y-%m-%d}')",
                f"is {{value}}, outside {EARLIEST:%Y}..{LATEST.year - 1} (a default or "
                "mistyped date)",
            )
        )
    return rules


def refuse_implausible(con: Connection) -> None:
    """Raise ImportFileError for the first staged line (by file, row) that breaks a rule."""
    rules = _rules()
    # the first offending line of each rule, as 'file NUL zero-padded row' (sorts by both)
    place = "source_file || chr(0) || lpad(source_row::VARCHAR, 20, '0')"
    firsts = con.execute(
        "SELECT "
        + ", ".join(f"min({place}) FILTER (WHERE {cond})" for _, _, cond, _ in rules)
        + f" FROM {STAGE}"
    ).fetchone()
    hits = [
        (hit.split("\x00")[0], int(hit.split("\x00")[1]), i)
        for i, hit in enumerate(firsts or ())
        if hit is not None
    ]
    if not hits:
        return
    file, row, i = min(hits)
    code, column, _, what = rules[i]
    col = COLUMNS[column].column
    value, list_cost = con.execute(
        f"SELECT {col}::VARCHAR, list_cost::VARCHAR FROM {STAGE} "
        "WHERE source_file = ? AND source_row = ?",
        [file, row],
    ).fetchone() or (None, None)
    raise ImportFileError(
        f"{column} " + what.format(value=_shown(value), list_cost=_shown(list_cost)),
        file=file,
        row=row,
        column=column,
        value=value,
        check=code,
        hint="Fix or re-export the file; nothing was imported.",
    )


def _shown(value: Any) -> str:
    if value is None:
        return "empty"
    text = str(value)
    if "." in text and "-" not in text[1:] and ":" not in text:
        text = text.rstrip("0").rstrip(".")  # 0.190000000000 -> 0.19
    return text


def duplicate_findings(con: Connection) -> list[Finding]:
    """Lines identical in every FOCUS column within one file (extra copies counted)."""
    cols = ", ".join(spec.column for spec in COLUMNS.values() if spec.column != "tags")
    count, examples = con.execute(
        f"""
        WITH groups AS (
            SELECT source_file, min(source_row) AS first_row, count(*) AS n,
                   list(source_row ORDER BY source_row) AS rows_
            FROM {STAGE}
            GROUP BY source_file, {cols}, tags::VARCHAR
            HAVING count(*) > 1
        )
        SELECT coalesce(sum(n - 1), 0),
               (list({{'file': source_file, 'row': rows_[2], 'same_as_row': first_row,
                       'copies': n}} ORDER BY source_file, first_row))[1:{EXAMPLES}]
        FROM groups
        """
    ).fetchone() or (0, None)
    if not count:
        return []
    return [
        Finding(
            "duplicate_rows",
            "lines identical in every column within one file; all are kept and summed — "
            "check the export if the provider did not bill them twice",
            int(count),
            examples=[
                {
                    "file": e["file"],
                    "row": int(e["row"]),
                    "same_as_row": int(e["same_as_row"]),
                    "copies": int(e["copies"]),
                }
                for e in examples or []
            ],
        )
    ]


def refuse_restated_copies(con: Connection, export_of: dict[str, str]) -> None:
    """Refuse an import holding a billing period twice over: a month and its restatement.

    ``export_of`` maps each file to the export (manifest) it belongs to: the parts one
    manifest lists are one export split into files, never copies of each other.
    """
    key = ", ".join(_IDENTITY)
    con.execute("CREATE OR REPLACE TEMP TABLE _focus_export (source_file VARCHAR, export VARCHAR)")
    con.executemany("INSERT INTO _focus_export VALUES (?, ?)", list(export_of.items()))
    pairs = con.execute(
        f"""
        WITH lines AS (
            SELECT DISTINCT source_file, provider_name, billing_account_id,
                   billing_period_start, {key}
            FROM {STAGE}
        ), sizes AS (
            SELECT source_file, provider_name, billing_account_id, billing_period_start,
                   count(*) AS n
            FROM lines GROUP BY ALL
        ), shared AS (
            SELECT a.source_file AS a, b.source_file AS b, a.provider_name,
                   a.billing_account_id, a.billing_period_start, count(*) AS n
            FROM lines a JOIN lines b
              ON a.source_file < b.source_file
             AND (SELECT export FROM _focus_export e WHERE e.source_file = a.source_file)
                 IS DISTINCT FROM
                 (SELECT export FROM _focus_export e WHERE e.source_file = b.source_file)
             AND a.provider_name IS NOT DISTINCT FROM b.provider_name
             AND a.billing_account_id IS NOT DISTINCT FROM b.billing_account_id
             AND a.billing_period_start IS NOT DISTINCT FROM b.billing_period_start
             AND {" AND ".join(f"a.{c} IS NOT DISTINCT FROM b.{c}" for c in _IDENTITY)}
            GROUP BY ALL
        )
        SELECT s.a, s.b, s.billing_account_id, s.billing_period_start, s.n,
               least(sa.n, sb.n) AS smaller
        FROM shared s
        JOIN sizes sa ON sa.source_file = s.a
             AND sa.provider_name IS NOT DISTINCT FROM s.provider_name
             AND sa.billing_account_id IS NOT DISTINCT FROM s.billing_account_id
             AND sa.billing_period_start IS NOT DISTINCT FROM s.billing_period_start
        JOIN sizes sb ON sb.source_file = s.b
             AND sb.provider_name IS NOT DISTINCT FROM s.provider_name
             AND sb.billing_account_id IS NOT DISTINCT FROM s.billing_account_id
             AND sb.billing_period_start IS NOT DISTINCT FROM s.billing_period_start
        WHERE s.n >= {COPY_SHARE} * least(sa.n, sb.n)
        ORDER BY s.a, s.b
        LIMIT 1
        """
    ).fetchall()
    con.execute("DROP TABLE _focus_export")
    if not pairs:
        return
    a, b, account, period, shared, smaller = pairs[0]
    month = f"{period:%Y-%m}" if period is not None else "(no period)"
    raise ImportFileError(
        f"{Path(a).name} and {Path(b).name} both hold billing period {month} of account "
        f"{account}: {shared} of the {smaller} distinct lines of the smaller one are in "
        "both, so this looks like a month and its restated copy, and importing both would "
        "count it twice",
        file=b,
        other_file=a,
        billing_period=month,
        shared_lines=int(shared),
        hint=f"Import only the file to keep (the newer export restates the older): "
        f"`penny ingest focus {b}` or `penny ingest focus {a}`. Nothing was imported.",
    )
