"""Markdown as a medium: data written into an answer stays data.

Answers are Markdown, and what goes into them comes from files and clusters Penny does
not control: a label can be ``[click me](https://evil.example)``, hold a ``|`` that
splits a table cell, or a newline that starts a heading. :func:`md_escape` is the one
escape for a value placed in Markdown; every renderer of answers (the web page, Slack,
the terminal) honours backslash escapes, and :func:`split_cells` splits a table row
without breaking a cell at an escaped pipe.
"""

from __future__ import annotations

import re

__all__ = ["md_escape", "md_unescape", "split_cells"]

#: characters that are markup wherever they appear
_ALWAYS = set("\\`[]<>|")
#: emphasis delimiters: markup only next to text (a lone " * " is a literal asterisk)
_EMPHASIS = set("*_~")
_ESCAPED = re.compile(r"\\([\\`*_\[\]<>|~#!()])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")


def md_escape(value: object, *, keep_code: bool = False) -> str:
    """``value`` as literal Markdown text on one line.

    ``keep_code`` leaves backticks alone, for a message that quotes commands as code
    spans (a tool's "run `penny demo`"): inside a code span everything is literal, so a
    stray backtick can only move where code formatting starts, never add a link.
    """
    text = _CONTROL.sub(" ", str(value)).replace("\n", " ")
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch == "`" and keep_code:
            out.append(ch)
        elif ch in _ALWAYS:
            out.append("\\" + ch)
        elif ch in _EMPHASIS:
            before = text[i - 1] if i else " "
            after = text[i + 1] if i + 1 < len(text) else " "
            lone = before.isspace() and after.isspace()
            # intraword underscores (snake_case) are not emphasis in CommonMark
            snake = ch == "_" and before.isalnum() and after.isalnum()
            out.append(ch if lone or snake else "\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def md_unescape(text: str) -> str:
    """The literal text of Markdown that only used backslash escapes."""
    return _ESCAPED.sub(r"\1", text)


def split_cells(row: str) -> list[str]:
    """Cells of a pipe-table row, still escaped; an escaped ``\\|`` stays in its cell."""
    body = row.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not _escaped_at(body, len(body) - 1):
        body = body[:-1]
    cells: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            current.append(body[i : i + 2])
            i += 2
            continue
        if ch == "|":
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        i += 1
    cells.append("".join(current).strip())
    return cells


def _escaped_at(text: str, index: int) -> bool:
    """Whether ``text[index]`` is preceded by an odd number of backslashes."""
    count = 0
    j = index - 1
    while j >= 0 and text[j] == "\\":
        count += 1
        j -= 1
    return count % 2 == 1
