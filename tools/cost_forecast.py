"""cost_forecast: a month's cost so far plus the forecast, for everything, a team or a ns."""

from __future__ import annotations

from assistant.capabilities.forecast import ForecastRequest
from assistant.capabilities.forecast import cost_forecast as run_cost_forecast
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "cost_forecast"]

Args = ForecastRequest


@tool("cost_forecast", Args, capability=run_cost_forecast)
def cost_forecast(args: Args, ctx: ToolContext) -> ToolResult:
    """How much a month will cost: month-to-date actual (amortized) plus a forecast for the
    whole month, with its method (month to date + the mean daily cost of the last 7
    complete days × days left) and a range (the cheapest and dearest of those days as the
    rate), for everything the asker may see, one team or one namespace. The same forecast
    `penny bill this-month` shows. A month that is over returns its actual and no forecast;
    a month that has not started is projected from the run rate. Says where the data ends,
    so month-to-date is never mistaken for a whole month."""
    return ToolResult.of(run_cost_forecast(args, ctx))
