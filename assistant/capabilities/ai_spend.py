"""AI API spend as a cost line: ``ai_spend(request, ctx)``.

Penny's own model calls and imported OpenAI/Anthropic usage, from the ledger, grouped and
priced. Unpriced calls are counted, never costed as $0. A team sees its team's rows and
every asker their own calls.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.capabilities.context import Ctx
from assistant.core.placeholders import UNLABELED
from assistant.core.provenance import Provenance
from assistant.core.scope import Scope
from assistant.errors import DataGap
from assistant.warehouse.ledger import ledger_path, read_ledger
from assistant.warehouse.sql_text import lit
from assistant.windows import parse_window

__all__ = ["AiSpendReport", "AiSpendRequest", "ai_spend"]

_GROUP_SQL = {
    "model": "model",
    "provider": "provider",
    "user": "coalesce(user_id, '(unknown)')",
    "team": f"coalesce(team, {lit(UNLABELED)})",
    "source": "source",
    "channel": "coalesce(channel, '(unknown)')",
    "day": "substr(ts, 1, 10)",
}
_SOURCES = {"penny": "source = 'penny'", "imports": "source <> 'penny'", "all": "TRUE"}


class AiSpendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window: str = Field(
        "this-month",
        description="Period: 'YYYY-MM' (2026-10), 'last-month', 'this-month', '7d', '24h', "
        "'today', 'yesterday', or 'START..END' (dates, end exclusive).",
    )
    group_by: Literal["model", "provider", "user", "team", "source", "channel", "day"] = Field(
        "model", description="How to break the spend down. 'day' lists days in order."
    )
    source: Literal["penny", "imports", "all"] = Field(
        "all",
        description="'penny' = Penny's own calls; 'imports' = OpenAI/Anthropic usage "
        "imported from their cost exports; 'all' = both.",
    )
    provider: Literal["openai", "anthropic"] | None = Field(
        None,
        description="Only this provider's spend (Penny's own calls to it and imported usage); "
        "omit for every provider.",
    )
    top_n: int = Field(20, ge=1, le=200, description="Groups to return (largest cost first).")


def _scope_sql(scope: Scope) -> tuple[str, list[Any]]:
    """ai_usage has team and user, no namespace: a team sees its team's rows and the asker
    always sees their own calls."""
    if scope.admin:
        return "TRUE", []
    parts, params = ["user_id = ?"], [scope.user]
    if scope.teams:
        parts.append(f"team IN ({', '.join('?' for _ in scope.teams)})")
        params.extend(scope.teams)
    return "(" + " OR ".join(parts) + ")", params


_PICO = Decimal("1e-12")


def _dec(value: Any) -> Decimal | None:
    """The ledger keeps money to 12 places (as DECIMAL(38,12) did); sums keep that scale."""
    return None if value is None else Decimal(value).quantize(_PICO)


class AiSpendReport(BaseModel):
    window: str
    group_by: str
    source: str
    provider: str | None = None
    groups: list[dict[str, Any]]
    total: dict[str, Any]
    groups_total: int
    more: int
    provenance: Provenance


def ai_spend(args: AiSpendRequest, ctx: Ctx) -> AiSpendReport:
    """Spend per group over the window; DataGap when nothing was recorded."""
    window = parse_window(args.window, now=ctx.now)
    expr = _GROUP_SQL[args.group_by]
    scope_sql, scope_params = _scope_sql(ctx.scope)
    where = f"ts >= ? AND ts < ? AND {_SOURCES[args.source]} AND {scope_sql}"
    params: list[Any] = [window.start, window.end, *scope_params]
    if args.provider is not None:
        where += " AND lower(provider) = ?"
        params.append(args.provider)
    sql = (
        f"SELECT {expr} AS grp, count(*) AS calls, count(cost) AS priced_calls, "
        f"count(*) - count(cost) AS unpriced_calls, decimal_sum(cost) AS cost, "
        f"sum(coalesce(input_tokens, 0)) AS input_tokens, "
        f"sum(coalesce(cached_input_tokens, 0)) AS cached_input_tokens, "
        f"sum(coalesce(cache_write_tokens, 0)) AS cache_write_tokens, "
        f"sum(coalesce(output_tokens, 0)) AS output_tokens, "
        f"sum(coalesce(reasoning_tokens, 0)) AS reasoning_tokens "
        f"FROM ai_usage WHERE {where} GROUP BY grp "
        + (
            "ORDER BY grp"
            if args.group_by == "day"
            # the order only: the reported sums are decimal_sum's exact text
            else "ORDER BY sum(CAST(cost AS REAL)) DESC NULLS LAST, grp"
        )
    )
    prov = Provenance(
        tables=[f"ai_usage ({ledger_path(ctx.settings).name})"],
        sql=sql,
        params=[str(p) for p in params],
        window=window.to_dict(),
        filters={"source": args.source} | ({"provider": args.provider} if args.provider else {}),
        group_by=args.group_by,
        currency=ctx.settings.currency,
        source="ledger",
    )
    rows = read_ledger(ctx.settings, sql, params)
    if not rows:
        which = f"source={args.source}" + (f", provider={args.provider}" if args.provider else "")
        raise DataGap(
            f"No AI usage recorded for {window.label()} ({which}).",
            hint="Penny records its own calls when an LLM is configured; import provider "
            "usage with `penny ingest ai-usage openai|anthropic PATH`.",
            provenance=prov,
        )
    keys = [
        "calls",
        "priced_calls",
        "unpriced_calls",
        "cost",
        "input_tokens",
        "cached_input_tokens",
        "cache_write_tokens",
        "output_tokens",
        "reasoning_tokens",
    ]
    groups: list[dict[str, Any]] = [
        {args.group_by: r[0], **dict(zip(keys, r[1:], strict=True))} for r in rows
    ]
    for g in groups:
        g["cost"] = _dec(g["cost"])
        for k in keys:
            if k != "cost":
                g[k] = int(g[k])
    priced = [g["cost"] for g in groups if g["cost"] is not None]
    totals: dict[str, Any] = {k: sum(g[k] for g in groups) for k in keys if k != "cost"}
    totals["cost"] = sum(priced, Decimal(0)) if priced else None
    shown = groups[: args.top_n]
    prov.row_count = len(shown)
    prov.truncated = len(groups) > len(shown)
    if totals["unpriced_calls"]:
        prov.notes.append(
            f"{totals['unpriced_calls']} call(s) have no price (model not in the "
            "price table); their cost is unknown and not in the totals."
        )
    return AiSpendReport(
        window=window.label(),
        group_by=args.group_by,
        source=args.source,
        provider=args.provider,
        groups=shown,
        total=totals,
        groups_total=len(groups),
        more=len(groups) - len(shown),
        provenance=prov,
    )
