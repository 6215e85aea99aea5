"""Answers as Slack Block Kit: pure functions from an ``Answer`` to ``(text, blocks)``.

Slack's mrkdwn is not Markdown: headings become bold lines, ``**x**`` becomes ``*x*``,
links become ``<url|text>``, and Markdown tables become aligned preformatted text (the
one table form every Slack client renders). The context line names where the numbers
came from and what the answer cost, so a thread reader can check both.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from assistant.core.answer import Answer
from assistant.core.markdown import md_unescape, split_cells
from assistant.core.money import usd_small
from assistant.core.provenance import Provenance

__all__ = [
    "DRAFT_ACTION",
    "PLACEHOLDER",
    "answer_blocks",
    "bill_month",
    "context_line",
    "draftable_workloads",
    "error_blocks",
    "patch_blocks",
    "plain_mrkdwn",
    "slack_escape",
    "sources_text",
    "to_mrkdwn",
]

PLACEHOLDER = "Looking at the bill…"
DRAFT_ACTION = "penny_draft_patch"
_SECTION_LIMIT = 2900  # Slack's section text limit is 3000 characters
_HEADER_LIMIT = 150


#: Slack has no backslash escape: a literal formatting character from data is written as
#: its look-alike, so a label like ``*x*`` or ``__idle__`` shows as written
_LOOKALIKE = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"})
_ESCAPE_RE = re.compile(r"\\(.)")
_SLOT_RE = re.compile("\ue000(\\d+)\ue001")


def slack_escape(text: str) -> str:
    """The three characters Slack reads as control sequences (``<!channel>``, ``<@U…>``,
    links), as the entities Slack shows literally."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain_mrkdwn(text: str) -> str:
    """Text with no markup at all (notes, errors, names) as mrkdwn that shows it as is."""
    return slack_escape(str(text)).translate(_LOOKALIKE)


def _code(text: str) -> str:
    """Text for inside a Slack code block: escaped, and unable to close the block."""
    return slack_escape(text).replace("```", "\u02cb\u02cb\u02cb")


def _inline(text: str) -> str:
    """One line of Markdown as mrkdwn: escaped characters stay literal, data cannot mention
    anyone or link anywhere, and Markdown's own bold and links become Slack's."""
    literals: list[str] = []

    def hold(m: re.Match[str]) -> str:
        literals.append(m.group(1))
        return f"\ue000{len(literals) - 1}\ue001"

    text = slack_escape(_ESCAPE_RE.sub(hold, text))
    text = re.sub(r"\*\*(.+?)\*\*", r"*\1*", text)
    text = re.sub(r"(?<![\w*])__(.+?)__(?!\w)", r"*\1*", text)
    text = re.sub(
        r"\[([^\]|]+)\]\((https?://[^)\s|]+)\)",
        lambda m: f"<{m.group(2)}|{m.group(1)}>",
        text,
    )
    return _SLOT_RE.sub(lambda m: plain_mrkdwn(literals[int(m.group(1))]), text)


def _cell(cell: str) -> str:
    """A table cell's literal text: Markdown bold dropped, escapes resolved."""
    return md_unescape(re.sub(r"(?<!\\)\*\*", "", cell))


def _table(lines: list[str]) -> str:
    rows = []
    for line in lines:
        cells = split_cells(line)
        if all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
            continue  # the |---|---:| separator row
        rows.append([_cell(c) for c in cells])
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    sizes = [max(len(r[i]) for r in rows) for i in range(width)]

    # a column whose body cells are all numbers is right-aligned (header too): money lines up
    numeric = [
        all(re.fullmatch(r"[-+$0-9.,%]+", r[i]) for r in rows[1:] if r[i])
        and any(r[i] for r in rows[1:])
        for i in range(width)
    ]

    def fmt(row: list[str]) -> str:
        return "  ".join(
            c.rjust(sizes[i]) if numeric[i] else c.ljust(sizes[i]) for i, c in enumerate(row)
        ).rstrip()

    # aligned on the literal text, then escaped (an entity is wider than what it shows)
    return "\n".join(_code(fmt(r)) for r in rows)


def to_mrkdwn(markdown: str) -> list[tuple[str, str]]:
    """Split Markdown into ``("text", mrkdwn)`` and ``("table", preformatted)`` segments."""
    segments: list[tuple[str, str]] = []
    text: list[str] = []
    table: list[str] = []
    in_code = False

    def flush_text() -> None:
        body = "\n".join(text).strip("\n")
        if body.strip():
            segments.append(("text", body))
        text.clear()

    for line in markdown.splitlines():
        if line.strip().startswith("```"):
            in_code = not in_code
            text.append("```")
            continue
        if not in_code and line.strip().startswith("|"):
            if not table:
                flush_text()
            table.append(line)
            continue
        if table:
            segments.append(("table", _table(table)))
            table.clear()
        if in_code:
            text.append(_code(line))
        elif m := re.match(r"^#{1,6}\s+(.*)$", line):
            text.append(f"*{_inline(m.group(1)).strip('*')}*")
        elif m := re.match(r"^(\s*)[-*]\s+(.*)$", line):
            text.append(f"{m.group(1)}• {_inline(m.group(2))}")
        else:
            text.append(_inline(line))
    if table:
        segments.append(("table", _table(table)))
    flush_text()
    return segments


def _chunks(text: str, limit: int) -> list[str]:
    out: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        out.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*out, text] if text else out


def _prov(p: Provenance) -> str:
    parts = [", ".join(p.tables) or p.source]
    if p.window:
        parts.append(f"{p.window.get('start', '?')[:10]}..{p.window.get('end', '?')[:10]}")
    if p.filters:
        parts.append(", ".join(f"{k}={v}" for k, v in p.filters.items()))
    if p.truncated:
        parts.append("truncated")
    return " · ".join(parts)


def sources_text(provenance: list[Provenance]) -> str:
    """'allocations · 2026-10-01..2026-11-01 · team=payments; …': the first three sources,
    the line every Slack message (answer or notice) cites its numbers with."""
    return "; ".join(dict.fromkeys(_prov(p) for p in provenance[:3])) or "no tools"


def context_line(answer: Answer) -> str:
    """'Sources: … | offline engine · AI cost $0.00 · 12 ms'."""
    sources = sources_text(answer.provenance)
    engine = "offline engine" if answer.engine == "offline" else (answer.model or "LLM")
    tokens = answer.usage.input_tokens + answer.usage.output_tokens
    cost = Decimal(0) if answer.engine == "offline" and answer.cost is None else answer.cost
    used = f" · {tokens:,} tokens" if tokens else ""
    return plain_mrkdwn(
        f"Sources: {sources} | {engine}{used} · AI cost {usd_small(cost)} · "
        f"{answer.duration_ms:,.0f} ms"
    )[:2900]


def draftable_workloads(answer: Answer, limit: int = 3) -> list[str]:
    """Workloads of an ok ``rightsizing`` tool result, largest savings first — only those a
    patch can change (Jobs and bare pods are immutable: no button for a draft the API
    would refuse)."""
    for call in answer.tool_calls:
        if call.name == "rightsizing" and call.result.get("ok"):
            recs = (call.result.get("data") or {}).get("recommendations") or []
            ok = [r for r in recs if r.get("workload") and r.get("draftable", True)]
            return [str(r["workload"]) for r in ok[:limit]]
    return []


def bill_month(answer: Answer) -> str | None:
    """The month (YYYY-MM) an ok ``explain_bill`` call explained, if the answer has one."""
    for call in answer.tool_calls:
        if (
            call.name == "explain_bill"
            and call.result.get("ok")
            and call.result.get("status") == "success"
        ):
            month = (call.result.get("data") or {}).get("month") or {}
            label = month.get("label") if isinstance(month, dict) else None
            if label:
                return str(label)
            window = (call.result.get("provenance") or {}).get("window") or {}
            if window.get("start"):
                return str(window["start"])[:7]
    return None


def answer_blocks(answer: Answer) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks): header, sections/tables, draft buttons, context line."""
    # The header is the answer's own heading when it has one, else the question asked.
    body = answer.text.lstrip()
    if re.match(r"^#{1,6}\s", body):
        first, _, body = body.partition("\n")
        title = md_unescape(re.sub(r"^#+\s*|(?<!\\)\*\*", "", first)).strip()
    else:
        title = " ".join(answer.question.split())
        title = title[:1].upper() + title[1:]
    title = (title[: _HEADER_LIMIT - 1] + "…" if len(title) > _HEADER_LIMIT else title) or "Penny"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}}
    ]
    segments = to_mrkdwn(body)
    for kind, content in segments:
        if kind == "table":
            for part in _chunks(content, _SECTION_LIMIT - 6):
                blocks.append(
                    {"type": "section", "text": {"type": "mrkdwn", "text": f"```{part}```"}}
                )
        else:
            for part in _chunks(content, _SECTION_LIMIT):
                blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": part}})
    for note in answer.notes[:3]:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"_{plain_mrkdwn(note)}_"[:2900]}],
            }
        )
    workloads = draftable_workloads(answer)
    if workloads:
        blocks.append(
            {
                "type": "actions",
                "block_id": "penny_drafts",
                "elements": [
                    {
                        "type": "button",
                        "action_id": f"{DRAFT_ACTION}_{i}",
                        "value": w[:2000],
                        "text": {
                            "type": "plain_text",
                            "text": f"Draft patch: {w.split('/')[-1]}"[:75],
                        },
                    }
                    for i, w in enumerate(workloads)
                ],
            }
        )
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": context_line(answer)}]}
    )
    # the notification text is mrkdwn too: the same escaped segments, never the raw answer
    fallback = "\n\n".join(
        f"```{content}```" if kind == "table" else content for kind, content in segments
    )
    return (fallback or plain_mrkdwn(title))[:3000], blocks[:50]


def error_blocks(message: str, hint: str | None) -> tuple[str, list[dict[str, Any]]]:
    text = f":x: {plain_mrkdwn(message)}" + (f"\n*Next step:* {plain_mrkdwn(hint)}" if hint else "")
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}]


def patch_blocks(result: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """A ``draft_rightsizing_change`` result as a reviewable patch (never applied)."""
    if not result.get("ok") or result.get("status") != "success":
        return error_blocks(str(result.get("error") or "No draft."), None)
    data = result["data"]
    head = (
        f"*Draft for {plain_mrkdwn(data['workload'])}* (saves "
        f"${plain_mrkdwn(data.get('monthly_savings', '?'))}/month; "
        "not applied — review and apply it yourself)"
    )
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": head}}]
    for part in _chunks(_code(str(data.get("text") or "")), _SECTION_LIMIT - 6):
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"```{part}```"}})
    if data.get("kubectl_command"):
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"`{plain_mrkdwn(data['kubectl_command'])[:2800]}`",
                    }
                ],
            }
        )
    fallback = f"Draft for {plain_mrkdwn(data['workload'])}:\n{_code(str(data.get('text', '')))}"
    return fallback[:3000], blocks[:50]
