"""draft_rightsizing_change: a reviewable patch for one workload. Never applied by Penny."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from assistant.capabilities.rightsizing import DraftRequest, draft
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "draft_rightsizing_change"]


class Args(DraftRequest):
    format: Literal["patch", "kustomize", "pr"] = Field(  # type: ignore[assignment]
        "patch",
        description="'patch' = strategic merge patch YAML with the kubectl command, "
        "HPA rewrite and in-place resize commands; 'kustomize' = a patch file with its target "
        "selector; 'pr' = a pull-request description with a cost table and the evidence.",
    )
    history_days: int = Field(14, ge=1, le=90, description="Days of usage history to use.")


@tool("draft_rightsizing_change", Args, capability=draft)
def draft_rightsizing_change(args: Args, ctx: ToolContext) -> ToolResult:
    """Draft the change that applies one rightsizing recommendation, for a human to review:
    the strategic merge patch (JSON merge patch for custom resources), the `kubectl patch`
    command, the HPA target rewrite when an HPA scales on CPU/memory, in-place resize
    commands for running pods (Kubernetes ≥ 1.33), a kustomize patch, or a pull-request
    description with the cost table and evidence. Penny never applies it. For a diff against
    the user's manifests, tell them to run `penny rightsize --draft WORKLOAD --manifests DIR
    --format diff`."""
    return ToolResult.of(draft(args, ctx))
