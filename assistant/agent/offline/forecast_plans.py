"""Plans for what a month will cost, budgets, and unit costs.

A forecast is always month to date *plus* the forecast, with its method and range (the
number ``penny bill this-month`` shows); a month that is over is its actual; a month not
started is a projection and says so. Budgets and unit costs that are not configured are
said plainly with the settings that would configure them.
"""

from __future__ import annotations

from typing import Any

from assistant.agent.offline.intents import Parsed
from assistant.agent.offline.runner import Runner, who
from assistant.agent.offline.templates import pct, table
from assistant.billing.forecast import ForecastReport
from assistant.budgets import BudgetReport
from assistant.core.money import usd, usd_rate
from assistant.costs.units import UnitCostReport
from assistant.windows import Window, month_window

__all__ = ["budget", "forecast", "unit_cost"]


def _month(p: Parsed, run: Runner) -> str:
    """The month asked about as the tools take it (this month when none is named)."""
    w = p.slots.window
    if w is None:
        return "this-month"
    m = month_window(w.start.year, w.start.month)
    return m.label()


def _slice(p: Parsed) -> dict[str, str]:
    e = p.slots.entity
    if e is not None and e.kind in ("team", "namespace"):
        return {e.kind: e.name}
    return {}


def forecast(p: Parsed, run: Runner) -> str:
    e = p.slots.entity
    if e is not None and e.kind not in ("team", "namespace"):
        run.refused = True
        return (
            f"I can forecast the whole bill, a team or a namespace, not a {e.kind}. Try: "
            f'"How much will the {e.namespace or "payments"} namespace cost this month?"'
        )
    args: dict[str, Any] = {"month": _month(p, run), **_slice(p)}
    r, msg = run.report("cost_forecast", args, ForecastReport)
    if r is None:
        return msg or ""
    subject = f"The {who(e)}" if e is not None else "The bill"
    month = r.month["label"]
    if r.complete:
        return (
            f"{month} is over, so there is nothing to forecast: {subject} cost "
            f"**{usd(r.actual)}** in {month} (actual, amortized)."
        )
    f = r.forecast
    if f is None:
        return f"There is not enough data in {month} to forecast it."
    end = (r.data_end or "")[:16].replace("T", " ")
    span = f" (range {usd(f.low)} to {usd(f.high)})" if f.low is not None else ""
    if r.covered is None:
        head = (
            f"{month} has not started in the data (the data ends {end} UTC), so this is a "
            f"projection, not a bill: at the current run rate of {usd(f.daily_run_rate)} a "
            f"day, {subject.lower() if e is None else subject} would cost **{usd(f.forecast)}**"
            f"{span} over its {f.days_in_month} days."
        )
    else:
        head = (
            f"{subject} so far in {month} (month to date, {f.days_elapsed} of "
            f"{f.days_in_month} days, data through {end} UTC): {usd(r.actual)}. Forecast for "
            f"the whole month: **{usd(f.forecast)}**{span}, at a run rate of "
            f"{usd(f.daily_run_rate)} a day."
        )
    lines = [head, "", f"_Method: {f.method}._"]
    lines += _budget_lines(p, run, args["month"])
    return "\n".join(lines)


def _budget_lines(p: Parsed, run: Runner, month: str) -> list[str]:
    """Budgets beside a forecast ("are we on track?"), when there are any."""
    if not run.ctx.settings.budgets:
        return [
            "",
            "No budget is configured to compare it with (add `budgets:` to the settings, "
            "e.g. `budgets: [{scope: total, monthly: 30000}]`).",
        ]
    names = [f"{k}:{v}" for k, v in _slice(p).items()] or []
    r, msg = run.report("budget_status", {"month": month, "budgets": names}, BudgetReport)
    if r is None:
        return ["", msg or ""]
    return ["", _budget_table(r)]


def _verdict(v: str) -> str:
    return {
        "over": "over budget",
        "forecast over": "on track to go over",
        "within": "within budget",
        "no data": "no data",
    }[v]


def _budget_table(r: BudgetReport) -> str:
    rows = [
        [
            b.name,
            usd(b.monthly),
            usd(b.spent) if b.spent is not None else "n/a",
            usd(b.remaining) if b.remaining is not None else "n/a",
            usd(b.forecast.forecast) if b.forecast else "-",
            _verdict(b.verdict),
        ]
        for b in r.budgets
    ]
    head = "spent" if r.complete else "spent so far"
    return table(["budget", "monthly", head, "remaining", "forecast", "verdict"], rows)


def budget(p: Parsed, run: Runner) -> str:
    month = _month(p, run)
    names = [f"{k}:{v}" for k, v in _slice(p).items()]
    r, msg = run.report("budget_status", {"month": month, "budgets": names}, BudgetReport)
    if r is None:
        run.refused = True
        return run.last_error or msg or ""
    over = [b for b in r.budgets if b.verdict == "over"]
    going = [b for b in r.budgets if b.verdict == "forecast over"]
    label = r.month["label"]
    state = "" if r.complete else " so far"
    if over:
        head = (
            f"Yes: {', '.join(b.name for b in over)} {'is' if len(over) == 1 else 'are'} over "
            f"budget in {label}{state}."
        )
    elif going:
        head = (
            f"Not yet, but {', '.join(b.name for b in going)} "
            f"{'is' if len(going) == 1 else 'are'} forecast to go over budget by the end of "
            f"{label}."
        )
    else:
        head = f"No: every budget is within its amount in {label}{state}."
    lines = [head, "", _budget_table(r)]
    for b in r.budgets:
        if b.spent_pct is not None:
            lines.append(
                f"- {b.name}: {pct(b.spent_pct, already_percent=True)} of the budget spent"
            )
    method = next((b.forecast.method for b in r.budgets if b.forecast), None)
    if method:
        lines += ["", f"_Forecast method: {method}._"]
    if r.not_visible:
        lines += ["", f"_{r.not_visible} other budget(s) are outside what you may see._"]
    return "\n".join(lines)


def unit_cost(p: Parsed, run: Runner) -> str:
    e = p.slots.entity
    unit = p.slots.unit or "unit"
    scale = p.slots.unit_scale
    per = f"per {scale:,} {unit}s" if scale > 1 else f"per {unit}"
    if e is None or (
        e.kind != "workload" and not (unit == "gpu-hour" and e.kind in ("team", "namespace"))
    ):
        run.refused = True
        target = f"{e.kind} {e.name}" if e else "the question"
        return (
            f"A cost {per} needs one workload (I found {target}). Name the workload, e.g. "
            f'"What is the cost {per} for checkout-api last month?"'
        )
    w: Window | None = p.slots.window
    args: dict[str, Any] = {"unit": unit, "scale": scale, **_unit_target(e)}
    if w is not None:
        from assistant.agent.offline.runner import window_arg

        args["window"] = window_arg(w)
    d, _ = run.report("unit_cost", args, UnitCostReport)
    if d is None:
        run.refused = True
        return f"I can't give the cost {per} for {who(e)}: {run.last_error}"
    return (
        f"The {who(e)} cost {usd(d.cost)} in {d.window} and served "
        f"{float(d.quantity):,.0f} {unit}s ({d.source}): **{usd_rate(d.per_scale)} {per}**."
    )


def _unit_target(e: Any) -> dict[str, str]:
    if e.kind == "workload":
        return {"namespace": e.namespace or "", "workload": e.name}
    return {e.kind: e.name}
