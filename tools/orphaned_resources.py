"""orphaned_resources: what still costs money while serving no running pod."""

from __future__ import annotations

from pydantic import Field

from assistant.capabilities.orphans import OrphansRequest
from assistant.capabilities.orphans import orphaned_resources as run_orphans
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "orphaned_resources"]


class Args(OrphansRequest):
    top_n: int | None = Field(20, ge=1, le=200, description="Resources to list, costliest first.")


@tool("orphaned_resources", Args, capability=run_orphans)
def orphaned_resources(args: Args, ctx: ToolContext) -> ToolResult:
    """Resources that cost money in the window while serving no running pod: persistent
    volumes bound to no claim and claims no pod mounted (orphaned volumes, with their own
    bill line's cost when the bill has one, else the storage price list), LoadBalancer
    services with no backing pods, and namespaces that cost money with no running pod.
    Each has its cost in the window, a monthly figure (× 730 h / window hours), where the
    price came from (bill, price_list, allocation) and the evidence; the totals say how
    much of it is still on the resources' own bill lines. Unbound volumes belong to no
    namespace, so only admins see them."""
    return ToolResult.of(run_orphans(args, ctx))
