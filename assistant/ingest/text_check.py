"""Where a text file stops being UTF-8: the line, the character and the byte.

Readers learn that a file is not UTF-8 from a decoder that speaks in byte offsets of a
buffer ("position 688"), which nobody can find in a 2 GB export. When a read fails on
encoding, :func:`first_bad_utf8` scans the file once more, line by line, and names the
place a person can open; :func:`csv_place` turns that into a CSV data row and column.
Only the failure path pays for the scan.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

__all__ = ["BadByte", "csv_place", "first_bad_utf8", "open_bytes"]


@dataclass(frozen=True)
class BadByte:
    line: int  # 1-based physical line
    column: int  # 1-based character position in that line
    byte: int  # the first byte that is not UTF-8
    #: the lines before it (decoded), for placing it in a CSV record
    before: str
    #: the bad line's text up to the bad byte
    prefix: str

    def describe(self) -> str:
        return f"byte 0x{self.byte:02x} at character {self.column} is not UTF-8"


def open_bytes(path: Path) -> IO[bytes]:
    """``path`` as bytes, gunzipped when it is gzip (by its magic number, not its name)."""
    with path.open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    return cast(IO[bytes], gzip.open(path, "rb")) if gz else path.open("rb")


def first_bad_utf8(path: Path, *, keep_before: bool = False) -> BadByte | None:
    """The first byte of ``path`` that is not UTF-8, or None if the whole file decodes.

    ``keep_before`` keeps the text before the bad line (for CSV records spanning lines).
    """
    before = io.StringIO() if keep_before else None
    with open_bytes(path) as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                prefix = raw[: exc.start].decode("utf-8", "replace")
                if number == 1 and prefix.startswith("\ufeff"):
                    prefix = prefix[1:]
                return BadByte(
                    number,
                    len(prefix) + 1,
                    raw[exc.start],
                    before.getvalue() if before is not None else "",
                    prefix,
                )
            if before is not None:
                before.write(text)
    return None


def csv_place(bad: BadByte, header: list[str] | None) -> tuple[int, str | None]:
    """(data row, column name) of ``bad`` in a CSV file with a header row.

    Row 0 is the header. A record may span lines (a quoted newline), so the records
    before the bad line are counted by parsing them, not by counting lines.
    """
    text = bad.before.lstrip("\ufeff")
    try:
        records = sum(1 for _ in csv.reader(io.StringIO(text, newline=""))) if text else 0
    except csv.Error:  # not CSV before the byte either: count physical lines
        records = bad.line - 1
    # the bad line may continue a record that began on an earlier line
    open_record = text.count('"') % 2 == 1
    if open_record:
        records -= 1
        last = text.rfind("\n", 0, text.rfind('"'))
        partial = text[last + 1 :] + bad.prefix
    else:
        partial = bad.prefix
    try:
        fields = next(csv.reader(io.StringIO(partial + "x", newline="")), [""])
    except csv.Error:
        fields = partial.split(",")
    index = len(fields) - 1
    row = records  # records before this one, the header included, = this data row's number
    name = header[index] if header and 0 <= index < len(header) else None
    if row == 0 and name is None and index >= 0:
        name = f"column {index + 1}"
    return row, name
