"""The findings report: what in a FOCUS import is questionable but not fatal.

Each finding has a stable ``code``, the FOCUS column it concerns (if one), a count and a
few example rows (file, row, values), so a user can open the file and see it. Rules that
look at values run as SQL over the staged rows of the whole import (so currency mixing
across files is seen); findings about headers and spellings come from staging each file.

Rules and their exact definitions (the tests recompute each independently):

* ``list_cost_mismatch`` — ListCost, ListUnitPrice and PricingQuantity all present, the
  row not a correction (ChargeClass ≠ 'Correction'), and |ListCost − ListUnitPrice ×
  PricingQuantity| greater than both $0.000001 and 0.1 % of the larger of |ListCost| and
  |ListUnitPrice × PricingQuantity|. The floor ignores exporters rounding micro-cent
  lines to 11 decimals; the relative test catches price-unit mix-ups (e.g. per-10K prices).
* ``charge_period_not_after_start`` — ChargePeriodEnd ≤ ChargePeriodStart.
* ``charge_outside_billing_period`` — the charge period is not inside the billing period.
* ``negative_usage_cost`` — ChargeCategory 'Usage' with BilledCost < 0 or EffectiveCost < 0.
* ``null_mandatory_value`` — one finding per column of NON_NULL_COLUMNS that has nulls.
* ``mixed_currency`` — more than one BillingCurrency in the import; count = rows not in the
  most common currency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.ingest.focus.columns import COLUMNS, NON_NULL_COLUMNS
from assistant.ingest.focus.read import EXAMPLES, STAGE, StagedFile
from assistant.warehouse.db import Connection
from assistant.warehouse.sql_text import lit

__all__ = ["Finding", "staging_findings", "value_findings"]


@dataclass
class Finding:
    code: str
    message: str
    count: int
    column: str | None = None
    examples: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "column": self.column,
            "message": self.message,
            "count": self.count,
            "examples": self.examples,
            "details": self.details,
        }


_RULES: list[tuple[str, str, str, list[str]]] = [
    # (code, message, SQL condition over the staged row, columns shown in examples)
    (
        "list_cost_mismatch",
        "ListCost differs from ListUnitPrice × PricingQuantity",
        "list_cost IS NOT NULL AND list_unit_price IS NOT NULL AND pricing_quantity IS NOT NULL "
        "AND charge_class IS DISTINCT FROM 'Correction' "
        "AND abs(list_cost::DOUBLE - list_unit_price::DOUBLE * pricing_quantity::DOUBLE) > 1e-6 "
        "AND abs(list_cost::DOUBLE - list_unit_price::DOUBLE * pricing_quantity::DOUBLE) > "
        "0.001 * greatest(abs(list_cost::DOUBLE), "
        "abs(list_unit_price::DOUBLE * pricing_quantity::DOUBLE))",
        ["list_cost", "list_unit_price", "pricing_quantity", "provider_name"],
    ),
    (
        "charge_period_not_after_start",
        "ChargePeriodEnd is not after ChargePeriodStart",
        "charge_period_end <= charge_period_start",
        ["charge_period_start", "charge_period_end"],
    ),
    (
        "charge_outside_billing_period",
        "the charge period is not inside the billing period",
        "charge_period_start < billing_period_start OR charge_period_end > billing_period_end",
        ["charge_period_start", "charge_period_end", "billing_period_start", "billing_period_end"],
    ),
    (
        "negative_usage_cost",
        "a Usage charge has a negative BilledCost or EffectiveCost",
        "charge_category = 'Usage' AND (billed_cost < 0 OR effective_cost < 0)",
        ["billed_cost", "effective_cost", "service_name", "provider_name"],
    ),
]


def _rule(con: Connection, condition: str, shown: list[str]) -> tuple[int, list[dict[str, Any]]]:
    cols = ", ".join(f"'{c}': {c}::VARCHAR" for c in ["source_file", "source_row", *shown])
    count, examples = con.execute(
        f"SELECT count(*) FILTER (WHERE {condition}), "
        f"(list({{{cols}}} ORDER BY source_file, source_row) FILTER (WHERE {condition}))"
        f"[1:{EXAMPLES}] FROM {STAGE}"
    ).fetchone() or (0, None)
    out = []
    for e in examples or []:
        item = dict(e)
        item["file"] = item.pop("source_file")
        item["row"] = int(item.pop("source_row"))
        out.append(item)
    return int(count), out


def value_findings(con: Connection) -> list[Finding]:
    """Rules over the staged rows of the whole import."""
    found: list[Finding] = []
    for code, message, condition, shown in _RULES:
        count, examples = _rule(con, condition, shown)
        if count:
            found.append(Finding(code, message, count, examples=examples))
    for name in NON_NULL_COLUMNS:
        col = COLUMNS[name].column
        count, examples = _rule(con, f"{col} IS NULL", ["provider_name"])
        if count:
            found.append(
                Finding(
                    "null_mandatory_value",
                    f"{name} is null, which FOCUS does not allow",
                    count,
                    column=name,
                    examples=examples,
                )
            )
    currencies = con.execute(
        f"SELECT billing_currency, count(*) FROM {STAGE} GROUP BY 1 ORDER BY 2 DESC, 1 NULLS LAST"
    ).fetchall()
    if len(currencies) > 1:
        main = currencies[0][0]
        count, examples = _rule(
            con,
            f"billing_currency IS DISTINCT FROM {lit(main)}"
            if main is not None
            else "billing_currency IS NOT NULL",
            ["billing_currency", "provider_name"],
        )
        found.append(
            Finding(
                "mixed_currency",
                "more than one BillingCurrency in one import; totals are per currency",
                count,
                column="BillingCurrency",
                examples=examples,
                details={"rows_by_currency": {str(c): int(n) for c, n in currencies}},
            )
        )
    return found


def staging_findings(staged: list[StagedFile]) -> list[Finding]:
    """Findings about headers, spellings and unparsable optional values, over all files."""
    found: list[Finding] = []
    extra: dict[str, list[str]] = {}
    for s in staged:
        # x_* is how FOCUS says custom columns must be named, so those are not findings.
        for name in s.extra_columns:
            if not name.lower().startswith("x_"):
                extra.setdefault(name, []).append(s.file.source)
    if extra:
        found.append(
            Finding(
                "non_standard_columns",
                "columns neither in the FOCUS spec nor x_-prefixed, kept in extra_columns",
                len(extra),
                details={"columns": extra},
            )
        )
    renamed = {(s.file.path, k): v for s in staged for k, v in s.renamed_columns.items()}
    if renamed:
        found.append(
            Finding(
                "column_name_spelling",
                "column headers not spelled as in FOCUS, mapped to the FOCUS name",
                len(renamed),
                details={
                    "mapping": [
                        {"file": str(p), "from": k, "to": v} for (p, k), v in renamed.items()
                    ]
                },
            )
        )
    found += _merge_values(
        staged,
        "respelled",
        "value_spelling",
        "values not spelled as in FOCUS, stored in the FOCUS spelling",
    )
    found += _merge_values(
        staged,
        "unknown_values",
        "value_not_in_spec",
        "values outside the FOCUS list of allowed values, kept as found",
    )
    found += _merge_values(
        staged,
        "unparsable",
        "unparsable_value",
        "values that do not parse as their FOCUS type; the column is null "
        "and the text is kept in extra_columns",
    )
    found += _merge_values(
        staged,
        "rounded",
        "rounded_value",
        "numbers with more than 12 decimals, stored rounded to 12; the "
        "exact text is kept in extra_columns",
    )
    found += _merge_values(
        staged,
        "invalid_json",
        "invalid_json",
        "values that are not a JSON object; the column is null and the "
        "text is kept in extra_columns",
    )
    return found


def _merge_values(staged: list[StagedFile], attr: str, code: str, message: str) -> list[Finding]:
    """One finding per FOCUS column, summing the per-file, per-value counts."""
    by_column: dict[str, Finding] = {}
    for s in staged:
        for key, (count, examples) in getattr(s, attr).items():
            column = key[0] if isinstance(key, tuple) else key
            f = by_column.setdefault(
                column, Finding(code, f"{column}: {message}", 0, column=column)
            )
            f.count += count
            f.examples = (f.examples + examples)[:EXAMPLES]
            if isinstance(key, tuple):
                mapping = f.details.setdefault("values", [])
                entry = {"from": key[1], "count": count}
                if len(key) == 3:
                    entry["to"] = key[2]
                mapping.append(entry)
    for f in by_column.values():
        if "values" in f.details:
            merged: dict[tuple[str, str | None], int] = {}
            for e in f.details["values"]:
                k = (e["from"], e.get("to"))
                merged[k] = merged.get(k, 0) + e["count"]
            f.details["values"] = [
                {"from": a, **({"to": b} if b is not None else {}), "count": n}
                for (a, b), n in sorted(merged.items())
            ]
    return list(by_column.values())
