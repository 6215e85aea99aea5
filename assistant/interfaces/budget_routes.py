"""`GET /v1/budgets`: each budget the token may see, for a month (``budget_status``).

The same report `penny bill`, `penny costs`, the chat answer and the Slack budget alerts
read: spent, % used, remaining and the month's forecast, exact (Decimal strings), plus
``table``: the same rows as the CLI and the bill print them (the chat page shows it). A
scoped token sees only its own teams' and namespaces' budgets (``not_visible`` counts the
others); no budget configured, or none visible, is the one error shape (404 ``no_data``)
with the next step.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from assistant.billing.budget_rows import BUDGET_COLUMNS, budget_cells
from assistant.capabilities.context import Ctx
from assistant.capabilities.forecast import BudgetRequest, budget_status
from assistant.config import Settings
from assistant.core.serialize import jsonable
from assistant.interfaces.routes import Caller

__all__ = ["router"]

router = APIRouter(prefix="/v1")


@router.get(
    "/budgets",
    tags=["costs"],
    summary="Each visible budget for a month: spent, % used, remaining, forecast",
)
async def budgets(
    request: Request,
    who: Caller,
    month: Annotated[
        str, Query(max_length=20, description="this-month (default), last-month or YYYY-MM")
    ] = "this-month",
    budget: Annotated[
        list[str],
        Query(max_length=200, description="Only these budgets, by name or scope; repeatable"),
    ] = [],  # noqa: B006
) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    req = BudgetRequest(month=month, budgets=budget)
    report = await run_in_threadpool(budget_status, req, Ctx.create(settings, who.scope))
    body: dict[str, Any] = jsonable(report.model_dump(mode="python"))
    # the rows as every door shows them (money to the cent), for the chat page's panel
    body["table"] = {
        "columns": BUDGET_COLUMNS,
        "rows": [budget_cells(b) for b in report.budgets],
    }
    return {"ok": True, **body}
