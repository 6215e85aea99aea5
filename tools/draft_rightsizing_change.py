"""draft_rightsizing_change: a reviewable patch for one workload. Never applied by Penny."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, Field

from assistant.core.provenance import Provenance
from assistant.rightsizing.drafts import draft_change
from assistant.rightsizing.lookup import find_recommendation
from assistant.rightsizing.recommend import recommend
from assistant.warehouse.db import reader
from assistant.windows import Window
from tools.registry import ToolContext, tool
from tools.result import ToolResult
from tools.rightsizing import freshness

__all__ = ["Args", "draft_rightsizing_change"]


class Args(BaseModel):
    workload: str = Field(
        description="The workload as NAMESPACE/KIND/NAME (e.g. 'shop/Deployment/api'), "
        "KIND/NAME, or NAME when unique — use the 'workload' value the rightsizing tool returned."
    )
    namespace: str | None = Field(None, description="Namespace, if workload is a bare NAME.")
    format: Literal["patch", "kustomize", "pr"] = Field(
        "patch",
        description="'patch' = strategic merge patch YAML with the kubectl command, "
        "HPA rewrite and in-place resize commands; 'kustomize' = a patch file with its target "
        "selector; 'pr' = a pull-request description with a cost table and the evidence.",
    )
    strategy: Literal["simple", "vpa"] | None = Field(None, description="As in rightsizing.")
    history_days: int = Field(14, ge=1, le=90, description="Days of usage history to use.")


@tool("draft_rightsizing_change", Args)
def draft_rightsizing_change(args: Args, ctx: ToolContext) -> ToolResult:
    """Draft the change that applies one rightsizing recommendation, for a human to review:
    the strategic merge patch (JSON merge patch for custom resources), the `kubectl patch`
    command, the HPA target rewrite when an HPA scales on CPU/memory, in-place resize
    commands for running pods (Kubernetes ≥ 1.33), a kustomize patch, or a pull-request
    description with the cost table and evidence. Penny never applies it. For a diff against
    the user's manifests, tell them to run `penny rightsize --draft WORKLOAD --manifests DIR
    --format diff`."""
    settings = ctx.settings
    if not settings.db_path.exists():
        return ToolResult.no_data("No warehouse yet: run `penny demo` first.")
    window = Window(ctx.now - timedelta(days=args.history_days), ctx.now)
    prov = Provenance(
        tables=["container_hours", "k8s_pods", "node_cost_hours", "k8s_hpas", "allocations"],
        window=window.to_dict(),
        currency=settings.currency,
        filters={"workload": args.workload},
    )
    with reader(settings) as con:
        prov.freshness = freshness(con)
        recs = recommend(
            con,
            scope=ctx.scope,
            settings=settings,
            namespace=args.namespace,
            strategy=args.strategy,
            window=window,
        )
    rec = find_recommendation(recs, args.workload, args.namespace)  # NotFound → ok:false
    if rec.status != "ok":
        return ToolResult.no_data(
            f"{rec.workload} has only {rec.history_hours} h of usage history; a recommendation "
            f"needs {settings.rightsizing.min_history_hours} h.",
            prov,
        )
    draft = draft_change(rec, fmt=args.format)
    prov.row_count = 1
    prov.notes.append("draft only: nothing was applied to the cluster")
    return ToolResult.success(
        {
            "workload": rec.workload,
            "format": args.format,
            "text": draft.text,
            "patch_type": draft.patch_type,
            "patch": draft.patch,
            "kubectl_command": draft.kubectl_command,
            "hpa_command": draft.hpa_command,
            "resize_commands": draft.resize_commands,
            "notes": draft.notes,
            "monthly_savings": rec.to_dict()["monthly_savings"],
        },
        prov,
    )
