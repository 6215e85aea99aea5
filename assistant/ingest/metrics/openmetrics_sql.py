"""The SQL that reads a metrics text file set-based: split lines, flag doubtful ones, group.

Kept apart from :mod:`assistant.ingest.metrics.openmetrics_samples` (which runs it and holds the
samples) because every condition here is part of the exactness contract with the line
reader, :func:`assistant.ingest.metrics.openmetrics.read_file`, and reads best on its own.
Parameters of each statement: the file path, then the compression (``gzip``/``none``).
"""

from __future__ import annotations

from assistant.warehouse.sql_text import path_lit

__all__ = ["LINES", "PART_META", "READ", "sliced_groups"]

# One pass over the file's lines, split at single spaces into up to eight tokens (empty
# tokens kept as '', missing ones NULL). The last two tokens are the value and the
# timestamp, the others the series' ``name{labels}`` text (label values may hold spaces:
# up to five in a line here). Most lines have exactly three tokens, so the text is the
# first column as read; only longer lines build a token list. "bad" marks every line
# the line reader might read differently: fewer than three tokens or eight and more,
# an empty first or key-ending token, a " # " (exemplar), a value or timestamp DuckDB
# will not cast, a token equal to the NULL marker chr(2). Lines ending in "\r\n" or a
# lone "\r" split as in Python's universal newlines; blank lines are skipped by both.
# Comment lines only say whether the file ends in "# EOF" (one that starts so but has
# more than one more token is left to the line reader).
READ = """
    read_csv(?, columns={'c1': 'VARCHAR', 'c2': 'VARCHAR', 'c3': 'VARCHAR', 'c4': 'VARCHAR',
                         'c5': 'VARCHAR', 'c6': 'VARCHAR', 'c7': 'VARCHAR', 'c8': 'VARCHAR'},
             header=false, delim=' ', quote='', escape='', auto_detect=false,
             null_padding=true, strict_mode=false, nullstr=chr(2), compression=?)
"""
LINES = f"""
    WITH raw AS (
        SELECT *, coalesce(starts_with(c1, '#'), false) AS comment,
               CASE WHEN c4 IS NOT NULL THEN
                   list_filter([c1, c2, c3, c4, c5, c6, c7], lambda x: x IS NOT NULL) END
                   AS tokens
        FROM {READ}
    ), typed AS (
        SELECT *,
               CASE WHEN comment THEN NULL WHEN tokens IS NULL THEN c1
                    ELSE array_to_string(tokens[1:-3], ' ') END AS key,
               TRY_CAST(CASE WHEN tokens IS NULL THEN c2 ELSE tokens[-2] END AS DOUBLE) AS v,
               TRY_CAST(CASE WHEN tokens IS NULL THEN c3 ELSE tokens[-1] END AS DOUBLE) AS t,
               coalesce(comment AND c1 = '#' AND starts_with(c2, 'EOF'), false) AS eof_like
        FROM raw
    )
    SELECT comment, key, CASE WHEN NOT comment THEN hash(key) END AS h, v, t,
           CASE WHEN eof_like THEN concat_ws(' ', c1, c2, c3) END AS eof,
           CASE WHEN comment THEN eof_like AND NOT (c3 IS NULL OR (c3 = '' AND c4 IS NULL))
                ELSE c1 IS NULL OR c1 = '' OR c2 IS NULL OR c3 IS NULL OR c8 IS NOT NULL
                     OR (tokens IS NOT NULL AND (
                         (c5 IS NULL AND (c6 IS NOT NULL OR c7 IS NOT NULL))
                         OR (c6 IS NULL AND c7 IS NOT NULL)
                         OR tokens[-3] = '' OR list_contains(tokens[2:], '#')))
                     OR v IS NULL OR t IS NULL OR NOT isfinite(t) END AS bad
    FROM typed
"""


def sliced_groups(target: str, scale: float, slice_s: int) -> str:
    """The one pass over the file, grouped by time slice and series, written to Parquet.

    Lines are grouped by slice ``b = floor(t · scale / slice_s)`` (``scale`` turns the
    file's timestamps into seconds) and by a hash of their ``name{labels}`` text; each
    group keeps one key text, the extremes of a second hash over other bytes (two texts
    sharing ``h`` differ there too, bar a 128-bit coincidence), its bad lines, the
    finite samples' count and time range, and its timestamps and values as two lists in
    one order. ``target`` gets one directory per slice (``b=N``; comment lines in
    ``b=NULL``), so a time chunk later reads only its slices and memory is bounded by a
    slice, not the file. Non-finite values are dropped in numpy, as the line reader drops
    them (a FILTER on the lists costs more than the lists).
    """
    quoted = path_lit(target)
    return f"""
        COPY (
            SELECT CAST(floor((t * {scale!r}) / {slice_s}) AS BIGINT) AS b, h,
                   any_value(key) AS key, min(hash(key || '~')) AS h2_min,
                   max(hash(key || '~')) AS h2_max, count(*) FILTER (bad) AS bad,
                   list(eof) FILTER (eof IS NOT NULL) AS eof,
                   count(*) FILTER (isfinite(v)) AS n_finite,
                   min(t) FILTER (isfinite(v)) AS t_min, max(t) FILTER (isfinite(v)) AS t_max,
                   min(v) FILTER (isfinite(v)) AS v_min, max(v) FILTER (isfinite(v)) AS v_max,
                   count(*) FILTER (isinf(v)) AS n_inf,
                   list(t) AS ts, list(v) AS vs
            FROM ({LINES})
            GROUP BY ALL
        ) TO {quoted} (FORMAT parquet, PARTITION_BY (b))
    """


# Per series over every slice of one file's groups (parameter: the Parquet glob): the
# checks of the whole file (bad lines, a second text under one hash, "# EOF") and the
# finite samples' count, time and value ranges and infinities (the plausibility checks),
# before any slice is read.
PART_META = """
    SELECT h, any_value(key) AS key, min(h2_min) AS h2_min, max(h2_max) AS h2_max,
           sum(bad) AS bad, flatten(list(eof)) AS eof, sum(n_finite) AS n_finite,
           min(t_min) AS t_min, max(t_max) AS t_max, min(v_min) AS v_min,
           max(v_max) AS v_max, sum(n_inf) AS n_inf
    FROM read_parquet(?, hive_partitioning = true)
    GROUP BY h
"""
