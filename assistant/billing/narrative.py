"""The bill's prose: a template summary offline, or an LLM's text checked number by number.

An LLM may write the narrative (from the structured explanation, with
``prompts/bill_narrative.md``), but every number it writes must be one the explanation
contains, at the precision written (``$1,234.6`` matches 1234.5678). A sentence carrying a
number that is not in the result is removed and flagged, so no invented figure reaches a
reader.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from assistant.billing.models import EFFECT_LABELS, BillExplanation
from assistant.core.money import usd, usd_change

__all__ = ["check_numbers", "llm_narrative", "template_narrative"]


def template_narrative(expl: BillExplanation, top: int = 3) -> str:
    month = expl.month["label"]
    parts: list[str] = []
    if expl.totals is not None:
        t = expl.totals
        parts.append(
            f"The {month} bill{' so far' if expl.partial else ''} is {usd(t.amortized)} "
            f"amortized (EffectiveCost) and {usd(t.invoice)} on the invoice (BilledCost)."
        )
        if t.difference:
            reasons = sorted(t.bridge, key=lambda b: -abs(b.amount))
            main = next((b for b in reasons if b.amount), None)
            if main is not None:
                parts.append(
                    f"The invoice differs by {usd_change(t.difference)}, "
                    f"mostly {main.reason} ({usd_change(main.amount)})."
                )
    else:
        parts.append(
            f"Your visible cost for {month}{' so far' if expl.partial else ''} is "
            f"{usd(expl.allocated_total)} amortized."
        )
    if expl.forecast is not None:
        f = expl.forecast
        span = (
            f", range {usd(f.low)} to {usd(f.high)}"
            if f.low is not None and f.high is not None
            else ""
        )
        parts.append(f"Forecast for the full month: {usd(f.forecast)}{span} ({f.method}).")
    v = expl.variance
    if v is not None:
        before, change, pct_value = v.total_a, v.change, v.pct
        if expl.totals is not None and expl.previous_totals is not None:
            # bill to bill: the two months' own bills, never an allocation total
            before = expl.previous_totals.amortized
            change = expl.totals.amortized - before
            pct_value = (change / before * 100).quantize(Decimal("0.01")) if before else None
        direction = "up" if change > 0 else "down" if change < 0 else "unchanged"
        pct = f" ({pct_value:+}%)" if pct_value is not None else ""
        parts.append(
            f"Against {v.a['label']} ({usd(before)}) it is {direction} {usd(abs(change))}{pct}."
        )
        drivers = [d for d in v.drivers if d.effect != "calendar"][:top]
        if drivers:
            listed = "; ".join(
                f"{EFFECT_LABELS[d.effect].lower()} for {d.subject} {usd_change(d.amount)}"
                for d in drivers
            )
            parts.append(f"Top drivers: {listed}.")
        parts.extend(v.notes)
    if expl.estimated:
        parts.append(
            f"Not in these figures: {usd(expl.estimated)} estimated from the price list for "
            "nodes the bill never mentions."
        )
    if expl.reconciliation is not None and expl.reconciliation.difference is not None:
        r = expl.reconciliation
        if r.reconciled:
            parts.append("Allocated + idle + shared + unallocated matches the bill to the cent.")
        else:
            parts.append(
                f"Allocation and bill differ by {usd(r.difference or Decimal(0))}: "
                "re-run `penny allocate` for this month."
            )
    return " ".join(parts)


_NUMBER = re.compile(r"(?<![\w.\-/])([-+−]?)(\$?)(\d[\d,]*(?:\.\d+)?)(%?)(?![\w\-/]|\.\d)")
_DATE_LIKE = re.compile(r"\b\d{4}-\d{2}(?:-\d{2})?(?:T\d{2}:\d{2})?\b")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _numbers_in(value: Any) -> Iterable[Decimal]:
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float, Decimal)):
        yield Decimal(str(value))
    elif isinstance(value, str):
        for m in re.finditer(r"\d[\d,]*(?:\.\d+)?", value):
            try:
                yield Decimal(m.group(0).replace(",", ""))
            except InvalidOperation:
                continue
    elif isinstance(value, dict):
        for v in value.values():
            yield from _numbers_in(v)
    elif isinstance(value, (list, tuple, set)):
        for v in value:
            yield from _numbers_in(v)


def _matches(written: Decimal, decimals: int, allowed: set[Decimal]) -> bool:
    step = Decimal(1).scaleb(-decimals)
    target = abs(written)
    return any(abs(v).quantize(step) == target for v in allowed)


def check_numbers(text: str, result: Any) -> tuple[str, list[str]]:
    """Remove sentences with numbers not in ``result``; return (clean text, flags).

    Dates (2026-10, 2026-10-05) and numbers inside names (m5.xlarge, web-2) are not
    amounts and are skipped. A written number matches when some number in the result,
    rounded to the written precision, equals it (so $1,234.57 and 12.3% are fine).
    """
    data = json.loads(json.dumps(result, default=str)) if not isinstance(result, dict) else result
    allowed = {abs(v) for v in _numbers_in(data)}
    kept: list[str] = []
    flags: list[str] = []
    for sentence in _SENTENCE.split(text.strip()):
        scrubbed = _DATE_LIKE.sub(" ", sentence)
        bad = []
        for m in _NUMBER.finditer(scrubbed):
            raw = m.group(3).replace(",", "")
            try:
                value = Decimal(raw)
            except InvalidOperation:
                continue
            decimals = len(raw.split(".")[1]) if "." in raw else 0
            if not _matches(value, decimals, allowed):
                bad.append(m.group(0).strip())
        if bad:
            flags.append(
                f"removed a sentence with number(s) not in the data {bad}: {sentence.strip()!r}"
            )
        elif sentence.strip():
            kept.append(sentence.strip())
    return " ".join(kept), flags


def llm_narrative(expl: BillExplanation, llm: Callable[[str], str]) -> tuple[str, list[str]]:
    """Ask ``llm`` (prompt -> text) for the narrative, then keep only checked numbers."""
    from prompts import render

    payload = expl.model_dump(mode="json", exclude={"narrative", "narrative_flags", "daily"})
    prompt = render(
        "bill_narrative",
        month=expl.month["label"],
        explanation=json.dumps(payload, indent=1, default=str),
    )
    text = llm(prompt)
    return check_numbers(text, payload)
