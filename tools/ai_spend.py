"""ai_spend: Penny's own model calls and imported OpenAI/Anthropic usage, grouped and priced."""

from __future__ import annotations

from assistant.capabilities.ai_spend import AiSpendRequest
from assistant.capabilities.ai_spend import ai_spend as run_ai_spend
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "ai_spend"]

Args = AiSpendRequest


@tool("ai_spend", Args, capability=run_ai_spend)
def ai_spend(args: Args, ctx: ToolContext) -> ToolResult:
    """AI API spend: what Penny's own LLM calls cost and what imported OpenAI/Anthropic usage
    cost, by model, provider, user, team, source, channel or day, with token counts. Costs are
    exact decimal strings in USD. Calls whose model has no price are counted separately as
    unpriced_calls and are NOT included in cost (unknown is not $0): say so when reporting.
    Limited to your team's calls (and your own) unless you are an admin."""
    return ToolResult.of(run_ai_spend(args, ctx))
