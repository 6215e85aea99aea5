"""Deterministic grading of one answer: expected numbers, expected names, no unsupported money.

- **Numbers**: every expected figure (computed by the case's own SQL) must appear in the
  answer within the case's tolerance. Money is read as ``$1,234.56`` (also ``-$5``,
  ``+$5``, ``$35.5K``, ``$1.2M``), percentages as ``16.71%``, counts as plain numbers.
- **Names**: every expected name appears in the text (case-insensitive).
- **Traceability**: every money figure in the answer equals, at the precision shown,
  some number inside the tool results the engine received; a figure no tool returned is
  an unsupported number and fails the case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from assistant.core.markdown import md_unescape

__all__ = [
    "Figure",
    "Grade",
    "grade_answer",
    "money_figures",
    "percent_figures",
    "tool_numbers",
    "traceable",
]

_MONEY = re.compile(r"(?P<sign>[-+−])?\s?\$\s?(?P<num>\d[\d,]*(?:\.\d+)?)\s?(?P<suf>[KkMm]\b)?")
_PERCENT = re.compile(r"(?P<sign>[-+−])?(?P<num>\d+(?:\.\d+)?)\s?%")
_PLAIN = re.compile(r"(?<![\w.$])(?P<sign>-)?(?P<num>\d[\d,]*(?:\.\d+)?)(?![\w%])")
_SUFFIX = {"k": Decimal(1000), "m": Decimal(1_000_000)}


@dataclass(frozen=True)
class Figure:
    """A number as written in an answer, with the half-unit its display precision allows."""

    value: Decimal
    slack: Decimal
    text: str


def _figure(m: re.Match[str]) -> Figure:
    raw = m.group("num").replace(",", "")
    digits = len(raw.split(".")[1]) if "." in raw else 0
    mult = _SUFFIX.get((m.groupdict().get("suf") or "").lower(), Decimal(1))
    value = Decimal(raw) * mult
    if m.group("sign") in ("-", "−"):
        value = -value
    slack = Decimal(5) * Decimal(10) ** (-(digits + 1)) * mult
    return Figure(value, slack, m.group(0).strip())


def money_figures(text: str) -> list[Figure]:
    return [_figure(m) for m in _MONEY.finditer(text)]


def percent_figures(text: str) -> list[Figure]:
    return [_figure(m) for m in _PERCENT.finditer(text)]


def plain_figures(text: str) -> list[Figure]:
    return [_figure(m) for m in _PLAIN.finditer(text)]


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    if isinstance(value, str) and re.fullmatch(r"[-+]?\d+(?:\.\d+)?(?:E[-+]?\d+)?", value.strip()):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def tool_numbers(results: Iterable[Any]) -> list[Decimal]:
    """Every number inside the tool results (Decimal strings included), recursively."""
    out: list[Decimal] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                if k not in ("sql", "params"):
                    walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)
        else:
            d = _decimal(v)
            if d is not None:
                out.append(d)
            elif isinstance(v, str) and "$" in v:  # "$25" inside a method note
                out.extend(f.value for f in money_figures(v))

    for r in results:
        walk(r)
    return out


def traceable(fig: Figure, numbers: list[Decimal]) -> bool:
    """True when some tool number rounds to the figure as shown (sign-insensitive, since
    answers say 'down $5' as often as '-$5')."""
    target = abs(fig.value)
    limit = fig.slack + Decimal("0.000001")
    return any(abs(abs(n) - target) <= limit for n in numbers)


@dataclass
class Grade:
    passed: bool
    failures: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    checked_numbers: int = 0


def _found(expected: Decimal, figures: list[Figure], tolerance: Decimal) -> bool:
    return any(
        abs(f.value - expected) <= max(tolerance, f.slack)
        or abs(abs(f.value) - abs(expected)) <= max(tolerance, f.slack)
        for f in figures
    )


def grade_answer(
    text: str,
    *,
    understood: bool,
    expect_understood: bool,
    numbers: list[dict[str, Any]],
    names: list[str],
    tool_results: list[Any],
    forbid_money: bool = False,
    tools_called: list[str] | None = None,
    expect_tools: list[str] | None = None,
) -> Grade:
    """Grade one answer. ``numbers`` items: {label, value, kind, tolerance}."""
    failures: list[str] = []
    if understood != expect_understood:
        failures.append(f"understood={understood}, expected {expect_understood}")
    money = money_figures(text)
    by_kind = {"money": money, "percent": percent_figures(text), "count": plain_figures(text)}
    for n in numbers:
        value = n["value"]
        if value is None:
            failures.append(f"expected {n['label']}: the case's SQL returned NULL")
            continue
        tol = Decimal(str(n.get("tolerance", "0.011")))
        if not _found(Decimal(str(value)), by_kind[n.get("kind", "money")], tol):
            failures.append(f"missing {n['label']} = {value} ({n.get('kind', 'money')}, ±{tol})")
    lowered = md_unescape(text).lower()  # names as the reader sees them, not as escaped
    for name in names:
        if name.lower() not in lowered:
            failures.append(f"missing name {name!r}")
    numbers_seen = tool_numbers(tool_results)
    unsupported = [f.text for f in money if not traceable(f, numbers_seen)]
    if unsupported:
        failures.append("unsupported money figures: " + ", ".join(unsupported[:5]))
    if forbid_money and money:
        failures.append(
            "money figures in an answer that should have none: "
            + ", ".join(f.text for f in money[:5])
        )
    for t in expect_tools or []:
        if t not in (tools_called or []):
            failures.append(f"tool {t} was not called (called: {tools_called})")
    return Grade(not failures, failures, unsupported, len(numbers))
