"""Samples of metrics files in a DuckDB temp table, read set-based; windows out as numpy.

Reading a multi-gigabyte OpenMetrics file line by line in Python costs about 5 µs a
line. DuckDB reads the same lines in parallel (one VARCHAR column, no quoting), splits
off the value and timestamp, and keys each sample by a hash of its ``name{labels}``
text. Only the small per-series table goes to Python (labels parsed once per series);
the samples stay in DuckDB (compressed, spillable) and each time chunk fetches just the
samples its grid can see, sorted by (series, time).

The fast reader is deliberately strict: a line it is not sure it reads exactly as the
line-by-line reader would (exemplars, irregular spacing, values DuckDB will not cast,
invalid names, a hash collision, unreadable bytes) makes it give up, and the caller
falls back to :func:`assistant.ingest.openmetrics.read_file`, which either reads the
file or raises the precise ``ImportFileError`` with file and line.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt

from assistant.errors import ImportFileError

__all__ = ["SampleStore", "Unsure"]

LabelKey = tuple[tuple[str, str], ...]
_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


class Unsure(Exception):
    """The fast reader cannot vouch for this file; read it line by line instead."""


# One pass over the file's lines. Comment lines only say whether the file ends in
# "# EOF". A sample line is split at spaces: the last two tokens are the value and the
# timestamp, the others (``key``) are its ``name{labels}`` text, which the list keeps
# exactly (joining it with spaces gives the text back) and which is hashed as a list:
# hashing the list is several times cheaper than cutting and hashing the string.
_LINES = """
    WITH raw AS (
        SELECT line, starts_with(line, '#') AS comment, string_split(line, ' ') AS parts
        FROM read_csv(?, columns={'line': 'VARCHAR'}, header=false, delim=chr(1), quote='',
                      escape='', auto_detect=false, compression=?)
        WHERE line IS NOT NULL AND line <> ''
    ), typed AS (
        SELECT line, comment, parts, CASE WHEN NOT comment THEN parts[1:-3] END AS key,
               TRY_CAST(parts[-2] AS DOUBLE) AS v, TRY_CAST(parts[-1] AS DOUBLE) AS t
        FROM raw
    )
    SELECT comment, key, hash(key) AS h, v, t,
           CASE WHEN starts_with(line, '# EOF') THEN line END AS eof,
           NOT comment AND (len(parts) < 3 OR parts[1] = '' OR parts[-3] = ''
               OR contains(line, ' # ') OR contains(line, chr(9)) OR contains(line, chr(13))
               OR v IS NULL OR t IS NULL OR NOT isfinite(t)) AS bad
    FROM typed
"""


def _split_prefix(prefix: str) -> tuple[str, str | None]:
    """(name, label text) exactly as the line reader splits it, or Unsure."""
    brace = prefix.find("{")
    if brace < 0:
        name, labels = prefix, None
    else:
        if not prefix.endswith("}"):
            raise Unsure(prefix)
        name, labels = prefix[:brace], prefix[brace + 1:-1]
    if not _NAME_RE.fullmatch(name):
        raise Unsure(prefix)
    return name, labels


@dataclass
class SampleStore:
    """Every sample of the wanted metrics, keyed by a dense series id."""

    con: duckdb.DuckDBPyConnection
    keys: list[tuple[str, LabelKey]]     # series id → (metric, sorted labels)
    first_ts: float | None
    last_ts: float | None

    tmp: tempfile.TemporaryDirectory[str] | None = None
    index: dict[tuple[str, LabelKey], int] = field(default_factory=dict)

    @classmethod
    def create(cls, memory_limit: str = "256MB") -> SampleStore:
        tmp = tempfile.TemporaryDirectory(prefix="penny-samples-")
        con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": tmp.name})
        con.execute("SET enable_progress_bar = false")   # Penny draws its own
        con.execute("CREATE TABLE samples (sid INTEGER, t DOUBLE, v DOUBLE)")
        return cls(con, [], None, None, tmp)

    def close(self) -> None:
        self.con.close()
        if self.tmp is not None:
            self.tmp.cleanup()

    def __enter__(self) -> SampleStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ids(self, keys: Iterable[tuple[str, LabelKey]]) -> npt.NDArray[np.int32]:
        index, out = self.index, []
        for key in keys:
            sid = index.get(key)
            if sid is None:
                sid = index[key] = len(self.keys)
                self.keys.append(key)
            out.append(sid)
        return np.array(out, dtype=np.int32)

    def add_sorted(self, keys: list[tuple[str, LabelKey]], lengths: list[int],
                   ts: npt.NDArray[np.float64], values: npt.NDArray[np.float64]) -> None:
        """Append series read line by line (``lengths[i]`` samples of ``keys[i]``, each
        series stably sorted by time). Of samples sharing a timestamp only the last is
        kept: it is the one a grid point picks (``bisect_right``)."""
        sids = np.repeat(self._ids(keys), lengths)
        shadowed = np.zeros(len(ts), dtype=bool)
        shadowed[:-1] = (sids[1:] == sids[:-1]) & (ts[1:] == ts[:-1])
        keep = ~shadowed
        self._append(sids[keep], ts[keep], values[keep])

    def _append(self, sids: npt.NDArray[np.int32], ts: npt.NDArray[np.float64],
                values: npt.NDArray[np.float64]) -> None:
        keep = np.isfinite(values)
        batch = {"sid": sids[keep], "t": ts[keep], "v": values[keep]}
        self.con.register("batch", batch)
        self.con.execute("INSERT INTO samples SELECT sid, t, v FROM batch ORDER BY t")
        self.con.unregister("batch")
        self._update_span()

    def read_file(self, path: Path, wanted: frozenset[str],
                  parse_labels: Callable[[str, str, int], LabelKey]) -> int:
        """Load ``path``'s samples of ``wanted`` metrics set-based; Unsure if not exact."""
        compression = "gzip" if path.suffix == ".gz" else "none"
        con = self.con
        params = [str(path), compression]
        try:
            # grouping by the key itself too makes a hash collision visible (two rows, one h)
            groups = con.execute(
                f"SELECT h, key, count(*) FILTER (bad), list(eof) FILTER (eof IS NOT NULL) "
                f"FROM ({_LINES}) GROUP BY h, key", params).fetchall()
        except duckdb.Error as exc:
            raise Unsure(str(exc)) from exc
        if any(g[2] for g in groups):
            raise Unsure(f"{sum(g[2] for g in groups)} lines need the exact reader")
        if len({g[0] for g in groups}) != len(groups):
            raise Unsure("two series texts with one 64-bit hash")
        eof = any(line.strip() == "# EOF" for g in groups for line in g[3] or ())
        scale = 1.0 if eof else 0.001
        mapping: list[tuple[int, int]] = []
        for h, key, _, _ in groups:
            if key is None:      # the comment lines' group
                continue
            name, label_text = _split_prefix(" ".join(key))
            if name not in wanted:
                continue
            try:
                labels = parse_labels(label_text, str(path), 0) if label_text else ()
            except ImportFileError as exc:
                raise Unsure(str(exc)) from exc
            mapping.append((h, int(self._ids([(name, labels)])[0])))
        if not mapping:
            return 0
        before = self.count()
        con.register("series_map", {"h": np.array([h for h, _ in mapping], dtype=np.uint64),
                                    "sid": np.array([s for _, s in mapping], dtype=np.int32)})
        try:
            con.execute(f"""
                INSERT INTO samples
                SELECT m.sid, l.t * CAST({scale!r} AS DOUBLE), l.v
                FROM ({_LINES}) l JOIN series_map m ON l.h = m.h
                WHERE NOT l.comment AND isfinite(l.v)
                ORDER BY l.t""", params)
        except duckdb.Error as exc:
            raise Unsure(str(exc)) from exc
        finally:
            con.unregister("series_map")
        self._update_span()
        return self.count() - before

    def count(self) -> int:
        return int(self.con.execute("SELECT count(*) FROM samples").fetchall()[0][0])

    def _update_span(self) -> None:
        lo, hi = self.con.execute("SELECT min(t), max(t) FROM samples").fetchall()[0]
        self.first_ts = None if lo is None else float(lo)
        self.last_ts = None if hi is None else float(hi)

    def check_ties(self) -> None:
        """Unsure when a series has two different values at one timestamp (whole table;
        the ingest checks each window instead, which costs nothing extra).

        Set-based reading does not keep line order, which is what decides such a tie
        (the later line wins); equal duplicates are harmless.
        """
        ties = self.con.execute(
            "SELECT count(*) FROM (SELECT sid, t FROM samples GROUP BY sid, t "
            "HAVING count(*) > 1 AND min(v) <> max(v))").fetchall()[0][0]
        if ties:
            raise Unsure(f"{ties} timestamps with two values")

    def window(self, lo: float, hi: float) -> tuple[npt.NDArray[np.int32],
                                                     npt.NDArray[np.float64],
                                                     npt.NDArray[np.float64]]:
        """Samples with ``lo <= t <= hi``, sorted by (series, time).

        Each file's samples were stored in time order, so DuckDB's per-row-group min/max
        skips the rest of the table. Unsure when a series has two different values at one
        timestamp (see :meth:`check_ties`).
        """
        got = self.con.execute(
            "SELECT sid, t, v FROM samples WHERE t >= ? AND t <= ? ORDER BY sid, t",
            [lo, hi]).fetchnumpy()
        sid = np.asarray(got["sid"], dtype=np.int32)
        ts = np.asarray(got["t"], dtype=np.float64)
        vs = np.asarray(got["v"], dtype=np.float64)
        twin = (sid[1:] == sid[:-1]) & (ts[1:] == ts[:-1]) & (vs[1:] != vs[:-1])
        if twin.any():
            raise Unsure(f"{int(twin.sum())} timestamps with two values")
        return sid, ts, vs
