"""Reading one FOCUS file into the staging table, typed, normalised and traceable.

Every file is first loaded as text (CSV columns declared VARCHAR; Parquet values cast to
text, nested MAP/STRUCT/LIST values such as AWS's ``Tags`` map as JSON) so nothing is
coerced behind our back; the typed values are then produced in SQL with ``TRY_CAST``,
which lets the importer name the first value that does not parse (file, row, column)
instead of failing somewhere inside DuckDB. Rows keep their place in the file as
``source_row`` (1-based data row, from the staging table's insertion-ordered ``rowid``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from assistant.errors import ImportFileError
from assistant.ingest.focus.columns import (
    ALLOWED_VALUES,
    COLUMNS,
    ColumnSpec,
    detect_version,
    mandatory_columns,
    normalise_value,
)
from assistant.ingest.focus.files import DataFile
from assistant.ingest.text_check import csv_place, first_bad_utf8, open_bytes
from assistant.warehouse.db import Connection
from assistant.warehouse.sql_text import ident, lit

__all__ = ["RAW", "STAGE", "StagedFile", "create_stage", "stage_file"]

RAW = "_focus_raw"
STAGE = "_focus_stage"
EXAMPLES = 3


@dataclass
class StagedFile:
    """What staging one file found, for the findings report."""

    file: DataFile
    rows: int
    focus_version: str
    columns: list[str]
    extra_columns: list[str]  # kept in extra_columns: x_* and non-standard ones
    renamed_columns: dict[str, str] = field(default_factory=dict)  # file header -> FOCUS id
    #: (column, from, to) -> [count, example rows]
    respelled: dict[tuple[str, str, str], list[Any]] = field(default_factory=dict)
    #: (column, value) -> [count, example rows] for values outside the FOCUS list
    unknown_values: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    #: column -> [count, example rows] for values kept as text in extra_columns
    unparsable: dict[str, list[Any]] = field(default_factory=dict)
    invalid_json: dict[str, list[Any]] = field(default_factory=dict)
    #: column -> [count, example rows] for numbers with more than 12 decimals
    rounded: dict[str, list[Any]] = field(default_factory=dict)


def create_stage(con: Connection) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} AS SELECT * FROM billing_lines LIMIT 0")


def _csv_header(path: Path) -> tuple[list[str], str]:
    """The header row (read with Python's csv module) and the compression DuckDB should use.

    Reading the header ourselves lets DuckDB parse with fixed settings instead of sniffing,
    so a broken row is reported with its line number rather than as a sniffing failure.
    Only the header line is decoded here: a bad byte further down is DuckDB's to find
    (and :func:`_not_utf8` places it).
    """
    try:
        with path.open("rb") as fh:
            gz = fh.read(2) == b"\x1f\x8b"
        with open_bytes(path) as raw:
            first = raw.readline()
        text = first.decode("utf-8-sig")
        header = next(csv.reader(io.StringIO(text)), None)
    except UnicodeDecodeError:
        raise _not_utf8(path, None) from None
    except (OSError, EOFError, csv.Error) as exc:
        raise ImportFileError(f"unreadable or garbled file: {exc}", file=str(path)) from exc
    if not header:
        raise ImportFileError(
            "the file is empty (no header row)",
            file=str(path),
            row=0,
            hint="Re-export it; a FOCUS CSV starts with a header row.",
        )
    names = [h.strip() or f"column{i}" for i, h in enumerate(header)]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ImportFileError(
            f"the header repeats column(s) {', '.join(dupes)}",
            file=str(path),
            row=0,
            column=dupes[0],
        )
    return names, "gzip" if gz else "none"


def _not_utf8(path: Path, header: list[str] | None) -> ImportFileError:
    """The file's first non-UTF-8 byte, by data row and column (row 0 = the header)."""
    bad = first_bad_utf8(path, keep_before=True)
    if bad is None:  # the decoder and the scan disagree: say what is known
        return ImportFileError("the file is not UTF-8 text", file=str(path))
    row, column = csv_place(bad, header)
    return ImportFileError(
        f"{bad.describe()} (line {bad.line})",
        file=str(path),
        row=row,
        column=column,
        hint="Re-export the file as UTF-8; nothing was imported.",
    )


def _duckdb_error(path: str, exc: duckdb.Error) -> ImportFileError:
    text = str(exc).strip()
    lines = text.split("Possible fixes")[0].splitlines()
    keep = [
        t.strip()
        for t in lines
        if t.strip() and not t.startswith("LINE ") and set(t.strip()) != {"^"}
    ]
    summary = "; ".join(keep)[:400]
    line = re.search(r"[Ll]ine:? (\d+)", text)
    return ImportFileError(
        "unreadable or garbled file: " + summary,
        file=path,
        row=int(line.group(1)) - 1 if line else None,
        hint="Check that it is a complete FOCUS CSV (comma-separated, with a header) "
        "or Parquet file.",
    )


def _load_raw(con: Connection, f: DataFile) -> set[str]:
    """Load ``f`` as text into RAW; return the columns that hold JSON from nested types."""
    path = str(f.path)
    try:
        if f.format == "parquet":
            source = "read_parquet(?, hive_partitioning = false)"
            types = con.execute(f"DESCRIBE SELECT * FROM {source}", [path]).fetchall()
            nested = {
                name
                for name, kind, *_ in types
                if kind.startswith(("MAP", "STRUCT")) or kind.endswith("]")
            }
            select = ", ".join(
                f"to_json({ident(name)})::VARCHAR AS {ident(name)}"
                if name in nested
                else f"{ident(name)}::VARCHAR AS {ident(name)}"
                for name, *_ in types
            )
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT {select} FROM {source}", [path]
            )
            return nested
        header, compression = _csv_header(f.path)
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT * FROM read_csv(?, "
                "header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
                "nullstr = ['NULL', ''], compression = ?, columns = ?, hive_partitioning = false)",
                [path, compression, {name: "VARCHAR" for name in header}],
            )
        except duckdb.Error as exc:
            # a byte that is not UTF-8 often surfaces as some other parse error first:
            # when the file has one, that is the problem to name (by row and column)
            if first_bad_utf8(f.path) is not None:
                raise _not_utf8(f.path, header) from exc
            raise
        return set()
    except duckdb.Error as exc:
        raise _duckdb_error(path, exc) from exc


def _map_columns(header: list[str]) -> tuple[dict[str, ColumnSpec], dict[str, str], list[str]]:
    """File header -> FOCUS spec, the headers that were spelled differently, and extras."""
    by_key = {re.sub(r"[^a-z0-9]", "", n.lower()): spec for n, spec in COLUMNS.items()}
    mapped: dict[str, ColumnSpec] = {}
    renamed: dict[str, str] = {}
    extra: list[str] = []
    taken: set[str] = set()
    for name in header:
        spec = COLUMNS.get(name)
        if spec is None and not name.lower().startswith("x_"):
            spec = by_key.get(re.sub(r"[^a-z0-9]", "", name.lower()))
            if spec is not None and spec.name not in header:
                renamed[name] = spec.name
            else:
                spec = None
        if spec is None or spec.name in taken:
            extra.append(name)
        else:
            mapped[name] = spec
            taken.add(spec.name)
    return mapped, renamed, extra


def _typed(spec: ColumnSpec, raw: str) -> str:
    if spec.kind == "decimal":
        return f"TRY_CAST({raw} AS DECIMAL(38,12))"
    if spec.kind == "datetime":
        return f"CAST(TRY_CAST({raw} AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP)"
    if spec.kind == "json":
        return f"CASE WHEN json_valid({raw}) AND json_type({raw}) = 'OBJECT' THEN {raw}::JSON END"
    return raw


def _bad(spec: ColumnSpec, raw: str) -> str:
    """SQL condition: the value is present but does not parse as its FOCUS type."""
    if spec.kind == "string":
        return "false"
    return f"({raw} IS NOT NULL AND {_typed(spec, raw)} IS NULL)"


def stage_file(con: Connection, f: DataFile, ingest_id: str) -> StagedFile:
    """Load ``f`` into the staging table; raise ImportFileError on anything fatal."""
    nested = _load_raw(con, f)
    path = f.source
    header = [r[0] for r in con.execute(f"DESCRIBE {RAW}").fetchall()]
    mapped, renamed, extra = _map_columns(header)
    focus_names = {spec.name for spec in mapped.values()}
    version = detect_version(focus_names)
    missing = [c for c in mandatory_columns(version) if c not in focus_names]
    if not focus_names:
        raise ImportFileError(
            f"no FOCUS columns in the header (found {', '.join(header[:5])}…)",
            file=path,
            row=0,
            hint="Is this a FOCUS export? Other billing formats are not read.",
        )
    if missing:
        raise ImportFileError(
            f"missing mandatory FOCUS {version} column(s): {', '.join(missing)}",
            file=path,
            row=0,
            column=missing[0],
            hint="See docs/ingest-focus.md for the columns each FOCUS version requires.",
        )
    rows = int(con.execute(f"SELECT count(*) FROM {RAW}").fetchone()[0])  # type: ignore[index]
    if rows == 0:
        raise ImportFileError(
            "the file has a header but no data rows",
            file=path,
            hint="Export a billing period that has charges.",
        )
    # Inside the writer's transaction a temp table's rowids start at a large offset; they
    # are contiguous and in file order, so the data row is rowid - first rowid + 1.
    first = con.execute(f"SELECT min(rowid) FROM {RAW}").fetchone()[0]  # type: ignore[index]
    row = f"(rowid - {int(first)} + 1)"
    raw_of = {spec.name: f"NULLIF({ident(name)}, 'NULL')" for name, spec in mapped.items()}
    staged = StagedFile(f, rows, version, header, extra, renamed)
    _check_fatal(con, path, mapped, raw_of, row)
    keep_text = _value_findings(con, path, mapped, raw_of, staged, row)
    value_sql = _normalise(con, path, mapped, raw_of, staged, row)
    _insert(con, f, ingest_id, version, mapped, raw_of, value_sql, extra, row, keep_text, nested)
    return staged


def _rounded(raw: str) -> str:
    """SQL condition: a plain decimal with a non-zero digit after the 12th decimal place."""
    return f"regexp_matches({raw}, '[.][0-9]{{12}}[0-9]*[1-9]')"


def _value_findings(
    con: Connection,
    path: str,
    mapped: dict[str, ColumnSpec],
    raw_of: dict[str, str],
    staged: StagedFile,
    row: str,
) -> dict[str, str]:
    """Count unparsable optional values, non-object JSON and over-precise numbers (one scan).

    Returns {FOCUS column: SQL condition} for the values whose original text must also be
    kept in ``extra_columns``, so nothing in the file is lost.
    """
    checks: list[tuple[str, str, dict[str, list[Any]]]] = []
    for spec in mapped.values():
        raw = raw_of[spec.name]
        # Mandatory numbers and dates were checked before (fatal); the rest are findings.
        if spec.kind == "json" or (spec.kind != "string" and spec.level != "mandatory"):
            target = staged.invalid_json if spec.kind == "json" else staged.unparsable
            checks.append((spec.name, _bad(spec, raw), target))
        if spec.kind == "decimal":
            checks.append((spec.name, _rounded(raw), staged.rounded))
    if not checks:
        return {}
    counts = con.execute(
        "SELECT "
        + ", ".join(f"count(*) FILTER (WHERE {cond})" for _, cond, _ in checks)
        + f" FROM {RAW}"
    ).fetchone()
    example = _examples_collector(con, path, row)
    keep_text: dict[str, str] = {}
    for (name, cond, target), count in zip(checks, counts or (), strict=True):
        if count:
            target[name] = example(cond, raw_of[name])
            keep_text[name] = f"{keep_text[name]} OR {cond}" if name in keep_text else cond
    return keep_text


def _check_fatal(
    con: Connection, path: str, mapped: dict[str, ColumnSpec], raw_of: dict[str, str], row: str
) -> None:
    """One scan: the first row whose mandatory typed value is unparsable, or has no period."""
    checks: list[tuple[str, str, str]] = []  # (FOCUS column, condition, raw expr)
    for spec in mapped.values():
        raw = raw_of[spec.name]
        if spec.level == "mandatory" and spec.kind in ("decimal", "datetime"):
            checks.append((spec.name, _bad(spec, raw), raw))
        if spec.name in ("ChargePeriodStart", "ChargePeriodEnd"):
            checks.append((spec.name, f"{raw} IS NULL", raw))
    if not checks:
        return
    select = ", ".join(f"min({row}) FILTER (WHERE {cond})" for _, cond, _ in checks)
    firsts = con.execute(f"SELECT {select} FROM {RAW}").fetchone() or ()
    hits = [(rowid, i) for i, rowid in enumerate(firsts) if rowid is not None]
    if not hits:
        return
    first_row, i = min(hits)
    column, _, raw = checks[i]
    value = con.execute(f"SELECT {raw} FROM {RAW} WHERE {row} = ?", [first_row]).fetchone()
    shown = value[0] if value else None
    kind = COLUMNS[column].kind
    what = (
        "is empty (a charge must have a period)"
        if shown is None
        else f"value {shown!r} is not a valid {'number' if kind == 'decimal' else 'date-time'}"
    )
    raise ImportFileError(
        what,
        file=path,
        row=int(first_row),
        column=column,
        value=shown,
        hint="Fix or re-export the file; nothing was imported.",
    )


def _examples_collector(con: Connection, path: str, row: str) -> Callable[[str, str], list[Any]]:
    def collect(condition: str, value_expr: str) -> list[Any]:
        found = con.execute(
            f"SELECT count(*) FILTER (WHERE {condition}), "
            f"(list({{'row': {row}, 'value': {value_expr}}} ORDER BY rowid) "
            f"FILTER (WHERE {condition}))[1:{EXAMPLES}] FROM {RAW}"
        ).fetchone() or (0, None)
        examples = [
            {"file": path, "row": int(e["row"]), "value": e["value"]} for e in (found[1] or [])
        ]
        return [int(found[0]), examples]

    return collect


def _normalise(
    con: Connection,
    path: str,
    mapped: dict[str, ColumnSpec],
    raw_of: dict[str, str],
    staged: StagedFile,
    row: str,
) -> dict[str, str]:
    """SQL expressions that store enumerated values in their FOCUS spelling."""
    exprs: dict[str, str] = {}
    for spec in mapped.values():
        if spec.name not in ALLOWED_VALUES:
            continue
        raw = raw_of[spec.name]
        values = con.execute(
            f"SELECT {raw} AS v, count(*), list({row} ORDER BY rowid)[1:{EXAMPLES}] "
            f"FROM {RAW} WHERE {raw} IS NOT NULL GROUP BY v ORDER BY v"
        ).fetchall()
        cases: list[str] = []
        for value, count, rows in values:
            examples = [{"file": path, "row": int(r), "value": value} for r in rows]
            spelled = normalise_value(spec.name, value)
            if spelled is None:
                staged.unknown_values[(spec.name, value)] = [int(count), examples]
            elif spelled != value:
                staged.respelled[(spec.name, value, spelled)] = [int(count), examples]
                cases.append(f"WHEN {lit(value)} THEN {lit(spelled)}")
        if cases:
            exprs[spec.name] = f"CASE {raw} {' '.join(cases)} ELSE {raw} END"
    return exprs


def _insert(
    con: Connection,
    f: DataFile,
    ingest_id: str,
    version: str,
    mapped: dict[str, ColumnSpec],
    raw_of: dict[str, str],
    value_sql: dict[str, str],
    extra: list[str],
    row: str,
    keep_text: dict[str, str],
    nested: set[str],
) -> None:
    targets = ["ingest_id", "source_file", "source_row", "focus_version"]
    values = [lit(ingest_id), lit(f.source), row, lit(version)]
    kept_as_text: list[str] = []  # values not stored exactly in their column, kept verbatim
    for spec in mapped.values():
        raw = value_sql.get(spec.name, raw_of[spec.name])
        targets.append(spec.column)
        values.append(_typed(spec, raw))
        if spec.name in keep_text:
            kept_as_text.append(
                f"CASE WHEN {keep_text[spec.name]} "
                f"THEN json_object({lit(spec.name)}, {raw_of[spec.name]}) END"
            )
    # Extra columns keep their text; Parquet nested values (already JSON) stay JSON.
    extras = [
        f"{lit(name)}, {ident(name)}::JSON"
        if name in nested
        else f"{lit(name)}, NULLIF({ident(name)}, 'NULL')"
        for name in extra
    ]
    # Merging into {} drops null-valued keys (JSON merge patch), so NULL extras vanish.
    base = f"json_object({', '.join(extras)})" if extras else "'{}'::JSON"
    merged = f"json_merge_patch('{{}}'::JSON, {base})"
    for patch in kept_as_text:
        merged = f"json_merge_patch({merged}, COALESCE({patch}, '{{}}'::JSON))"
    targets.append("extra_columns")
    values.append(
        f"NULLIF(({merged})::VARCHAR, '{{}}')::JSON" if extras or kept_as_text else "NULL"
    )
    con.execute(
        f"INSERT INTO {STAGE} ({', '.join(targets)}) "
        f"SELECT {', '.join(values)} FROM {RAW} ORDER BY rowid"
    )
